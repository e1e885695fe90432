"""The app factory: configuration in, a Flask app with every route out.

``build_app(config)`` connects nothing at import time. It creates the
database engine (connections open lazily), the rate limiter, the metrics,
and attaches the hooks every request goes through: request id and access
log, access control, security headers, CORS for configured origins.
"""

import logging
import re
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import redis
from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

from pta_api.auth import enforce_access, rate_limit_key
from pta_api.config import ApiConfig, load_config
from pta_api.errors import register_error_handlers
from pta_api.idempotency import IdempotencyStore
from pta_api.metrics import Metrics
from pta_tasks.db import make_engine, make_sessionmaker
from pta_tasks.enqueue import Dispatcher
from pta_tasks.logs import configure_logging

logger = logging.getLogger(__name__)
access_logger = logging.getLogger("pta_api.access")

REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
CORS_HEADERS = "Content-Type, X-Api-Key, Authorization, Idempotency-Key"
CORS_MAX_AGE_S = 600
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Cross-Origin-Resource-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"
# Added to an answer that has none of its own: (lower-case name, name, value).
DEFAULT_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (*SECURITY_HEADERS.items(), ("Cache-Control", "no-store"))
)
# Routes under the lower submission limit (RATE_LIMIT_ENQUEUE_PER_MINUTE).
WRITE_ENDPOINTS = frozenset({"runs.enqueue", "runs.cancel", "runs.retry"})


@dataclass
class Services:
    """What the views need, built once per app (and so once per process)."""

    config: ApiConfig
    engine: Engine
    factory: sessionmaker[Session]
    reader: sessionmaker[Session]
    metrics: Metrics
    limiter: Limiter
    started_at: float = field(default_factory=time.monotonic)
    send: Dispatcher | None = None
    _redis: "redis.Redis | None" = None
    _idempotency: IdempotencyStore | None = None

    def dispatch(self, run_id: uuid.UUID, delay_s: float) -> None:
        """Send the broker message of ``run_id`` (only the id travels)."""
        assert self.send is not None
        self.send(run_id, delay_s)

    @property
    def idempotency(self) -> IdempotencyStore:
        """Where first answers to ``Idempotency-Key`` requests are kept."""
        if self._idempotency is None:
            self._idempotency = IdempotencyStore(
                self.redis, self.config.idempotency_ttl_s
            )
        return self._idempotency

    @property
    def redis(self) -> "redis.Redis | None":
        """A Redis client when ``REDIS_URL`` is set (idempotency keys)."""
        url = self.config.settings.redis_url
        if url is None:
            return None
        if self._redis is None:
            self._redis = redis.Redis.from_url(
                url, socket_timeout=2, socket_connect_timeout=2
            )
        return self._redis


def build_app(
    config: ApiConfig | None = None, dispatch: Dispatcher | None = None
) -> Flask:
    """A configured API app; ``config`` defaults to the environment's."""
    config = config or load_config()
    configure_logging(
        config.log_level,
        as_json=True,
        secrets=[
            config.admin_key,
            config.webhook_secret,
            config.settings.github_token,
            *config.api_keys,
        ],
    )
    app = Flask("pta_api", static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = config.max_request_bytes
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if config.proxy_hops:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=config.proxy_hops, x_proto=config.proxy_hops
        )

    engine = make_engine(config.settings.database_url)
    limiter = _make_limiter(app, config)
    services = Services(
        config=config,
        engine=engine,
        factory=make_sessionmaker(engine),
        # Reads need no transaction: autocommit spares BEGIN and ROLLBACK,
        # two round trips of every poll.
        reader=make_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT")
        ),
        metrics=Metrics(),
        limiter=limiter,
        send=dispatch or _celery_dispatcher(config),
    )
    app.extensions["pta"] = services

    app.before_request(_start_request)
    app.before_request(enforce_access)
    app.after_request(_finish_response)
    register_error_handlers(app)
    _register_views(app, services)
    return app


def _celery_dispatcher(config: ApiConfig) -> Dispatcher:
    # Built with the app, so the first submission does not pay for importing
    # Celery; nothing connects until a message is sent.
    from pta_tasks.app import create_celery, make_dispatcher

    return make_dispatcher(create_celery(config.settings, with_tasks=False))


def _make_limiter(app: Flask, config: ApiConfig) -> Limiter:
    return Limiter(
        key_func=rate_limit_key,
        app=app,
        # One limit per route, chosen by the route when the request arrives:
        # a limit decorated on a view costs a second pass over the limits of
        # every request to it.
        default_limits=[_RouteLimit(config)],
        storage_uri=config.rate_limit_storage_uri,
        storage_options={"socket_timeout": 2, "socket_connect_timeout": 2}
        if config.settings.redis_url
        else {},
        strategy="fixed-window",
        # Headers on every answer cost a storage round trip each; 429s get
        # Retry-After from the error handler instead.
        headers_enabled=False,
        enabled=config.rate_limit_enabled,
        swallow_errors=True,
        key_prefix="pta-api",
    )


class _RouteLimit:
    """The client limit of the current route: lower for submissions."""

    def __init__(self, config: ApiConfig) -> None:
        self._default = f"{config.rate_limit_per_minute} per minute"
        self._write = f"{config.enqueue_rate_limit_per_minute} per minute"

    def __call__(self) -> str:
        return self._write if request.endpoint in WRITE_ENDPOINTS else self._default


def _register_views(app: Flask, services: Services) -> None:
    from pta_api.views import admin, health, metrics, openapi, runs, webhooks

    for module in (health, runs, webhooks, admin, metrics, openapi):
        app.register_blueprint(module.blueprint)

    config = services.config
    limiter = services.limiter
    for endpoint in ("health.liveness", "health.api_health", "metrics.metrics"):
        limiter.exempt(app.view_functions[endpoint])
    # Webhooks count by address, not by client key: a limit of their own,
    # checked by a wrapper that replaces the view (and keeps its access
    # level).
    views: dict[str, Any] = app.view_functions
    webhook_limit = f"{config.webhook_rate_limit_per_minute} per minute"
    views["webhooks.github"] = limiter.limit(webhook_limit, key_func=_address)(
        views["webhooks.github"]
    )


def _address() -> str:
    return "addr:" + (request.remote_addr or "unknown")


def _start_request() -> None:
    g.started = time.perf_counter()
    given = request.headers.get("X-Request-Id", "")
    g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex


def _finish_response(response: Response) -> Response:
    services: Services = current_app.extensions["pta"]
    config = services.config
    request_id = g.get("request_id") or uuid.uuid4().hex
    _add_default_headers(response)
    response.headers["X-Request-Id"] = request_id
    if not config.force_http:
        response.headers["Strict-Transport-Security"] = HSTS
    _add_cors(response, config)

    duration_s = time.perf_counter() - g.get("started", time.perf_counter())
    route = request.url_rule.rule if request.url_rule else "unmatched"
    services.metrics.observe_request(
        request.method, route, response.status_code, duration_s
    )
    access_logger.info(
        "request",
        extra=_log_fields(request_id, response.status_code, duration_s),
    )
    return response


def _add_default_headers(response: Response) -> None:
    # One pass over the answer's headers (a lookup by name is a pass each).
    headers = response.headers
    present = {name.lower() for name, _ in headers}
    for lower, name, value in DEFAULT_HEADERS:
        if lower not in present:
            headers.add(name, value)


def _log_fields(request_id: str, status: int, duration_s: float) -> dict[str, Any]:
    # The path only: a query string may carry a token, and bodies and header
    # values are never logged.
    return {
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "status": status,
        "duration_ms": round(duration_s * 1000, 2),
        "remote_addr": request.remote_addr,
    }


def _add_cors(response: Response, config: ApiConfig) -> None:
    origin = request.headers.get("Origin")
    if not origin or origin not in config.cors_origins:
        return
    response.headers["Access-Control-Allow-Origin"] = origin
    response.headers.add("Vary", "Origin")
    response.headers["Access-Control-Expose-Headers"] = (
        "X-Request-Id, Retry-After, ETag, Location"
    )
    if request.method == "OPTIONS":
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = CORS_HEADERS
        response.headers["Access-Control-Max-Age"] = str(CORS_MAX_AGE_S)
