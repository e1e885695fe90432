"""The API's routes, one blueprint per area, and helpers they share."""

import uuid
from typing import TYPE_CHECKING, Any

from flask import current_app, request

from pta_api.errors import ApiErrorCode, InvalidRequest
from pta_tasks.errors import RunNotFound

if TYPE_CHECKING:
    from pta_api.app import Services


def services() -> "Services":
    """The services of the current app."""
    found: Services = current_app.extensions["pta"]
    return found


def base_url() -> str:
    """``PUBLIC_URL``, else the scheme and host the request was sent to.

    Built from the two parts, not werkzeug's ``host_url`` (which turns the
    URI into an IRI, a visible cost on every submission).
    """
    return services().config.public_url or f"{request.scheme}://{request.host}"


def parse_run_id(text: str) -> uuid.UUID:
    """The run id in a URL; an unknown shape is a 404, like an unknown id."""
    try:
        return uuid.UUID(text)
    except ValueError:
        raise RunNotFound(f"no run {text[:64]!r}") from None


def json_object(allowed: frozenset[str]) -> dict[str, Any]:
    """The request's JSON object body, refusing unknown fields.

    Raises ``InvalidRequest`` (415 for another content type, 400 for bad
    JSON, a non-object, or a field outside ``allowed``).
    """
    if not request.is_json:
        raise InvalidRequest(
            "send a JSON body with Content-Type: application/json",
            ApiErrorCode.UNSUPPORTED_MEDIA_TYPE,
            415,
        )
    body = request.get_json(silent=True)
    if body is None:
        raise InvalidRequest("the body is not valid JSON", ApiErrorCode.INVALID_JSON)
    if not isinstance(body, dict):
        raise InvalidRequest("the body must be a JSON object", field="body")
    for name in body:
        if name not in allowed:
            raise InvalidRequest(f"unknown field {name[:64]!r}", field=str(name)[:64])
    return body


def optional_text(body: dict[str, Any], name: str, max_length: int) -> str | None:
    """Field ``name`` as a non-empty string of at most ``max_length``, or None."""
    value = body.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string", field=name)
    if len(value) > max_length:
        raise InvalidRequest(
            f"{name} must be at most {max_length} characters", field=name
        )
    if not value.isprintable():
        raise InvalidRequest(f"{name} contains control characters", field=name)
    return value.strip()
