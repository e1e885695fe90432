"""Who may call what: client API keys, the admin key, and the rate-limit key.

Each view declares its access level with ``@access(...)``; one
``before_request`` hook enforces it, so a view without a declaration is a
client route (the safe default). Keys come in ``X-Api-Key`` or
``Authorization: Bearer``; the admin key also in ``X-Admin-Key``. Every
comparison is constant-time and runs over all keys.
"""

import hashlib
import hmac
from collections.abc import Callable
from enum import StrEnum
from typing import TypeVar

from flask import Flask, current_app, g, request

from pta_api.config import ApiConfig
from pta_api.errors import ApiErrorCode, Forbidden, Unauthorized

ACCESS_ATTR = "_pta_access"
View = TypeVar("View", bound=Callable[..., object])


class Access(StrEnum):
    """Who may call a route."""

    PUBLIC = "public"
    CLIENT = "client"
    ADMIN = "admin"
    WEBHOOK = "webhook"
    METRICS = "metrics"


def access(level: Access) -> Callable[[View], View]:
    """Declare the access level of a view."""

    def mark(view: View) -> View:
        setattr(view, ACCESS_ATTR, level)
        return view

    return mark


def view_access(app: Flask, endpoint: str | None) -> Access | None:
    """The access level of ``endpoint`` (None for an unknown route)."""
    if endpoint is None or endpoint not in app.view_functions:
        return None
    view = app.view_functions[endpoint]
    level: Access = getattr(view, ACCESS_ATTR, Access.CLIENT)
    return level


def presented_key() -> str | None:
    """The client key of the request, from ``X-Api-Key`` or a Bearer token."""
    key = request.headers.get("X-Api-Key")
    if key:
        return key
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def is_client(config: ApiConfig) -> bool:
    """True when the request carries a valid client key (or none is needed)."""
    cached: bool | None = g.get("pta_is_client")
    if cached is not None:
        return cached
    valid = not config.auth_required or _matches(presented_key(), config.api_keys)
    g.pta_is_client = valid
    return valid


def rate_limit_key() -> str:
    """The identity a rate limit counts: a key's hash, else the address."""
    config: ApiConfig = current_app.extensions["pta"].config
    key = presented_key()
    if key and config.auth_required and is_client(config):
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "addr:" + (request.remote_addr or "unknown")


def enforce_access() -> None:
    """``before_request``: refuse the request unless its access level is met."""
    if request.method == "OPTIONS":
        return
    config: ApiConfig = current_app.extensions["pta"].config
    level = view_access(current_app, request.endpoint)
    if level in (None, Access.PUBLIC, Access.WEBHOOK):
        return
    if level == Access.METRICS and config.metrics_public:
        return
    if level == Access.ADMIN:
        _require_admin(config)
        return
    if not is_client(config):
        raise Unauthorized("send a valid API key in X-Api-Key or Authorization: Bearer")


def _require_admin(config: ApiConfig) -> None:
    if config.admin_key is None:
        raise Forbidden(
            "admin routes are disabled: set ADMIN_KEY", ApiErrorCode.ADMIN_DISABLED
        )
    key = request.headers.get("X-Admin-Key") or presented_key()
    if not _matches(key, (config.admin_key,)):
        raise Unauthorized("send the admin key in X-Admin-Key")


def _matches(key: str | None, keys: tuple[str, ...]) -> bool:
    # Every key is compared, whatever matched, so timing tells nothing.
    given = (key or "").encode()
    found = False
    for candidate in keys:
        found |= hmac.compare_digest(given, candidate.encode())
    return found and bool(key)
