"""The API's configuration: environment variables, parsed and checked once.

``load_config(environ)`` reads the API-only variables here and everything
the enqueue side shares through ``pta_tasks.settings.load_settings``. A bad
value is a ``ConfigError`` whose detail is the message operators grep for
(``Invalid PORT``, ``DATABASE_URL is required``, ``ADMIN_KEY must be at
least 32 characters``). A limit with a bad number is an error, never a
silently disabled limit.
"""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from pta_tasks.errors import ConfigError
from pta_tasks.settings import FALSE_WORDS, TRUE_WORDS, Settings, load_settings

KIB = 1024
MIB = 1024 * KIB
MIN_ADMIN_KEY_CHARS = 32
# Largest JSON request body of the client routes (bytes).
DEFAULT_MAX_REQUEST_BYTES = 64 * KIB
# GitHub caps a webhook payload at 25 MB and drops bigger ones (bytes).
DEFAULT_WEBHOOK_MAX_BYTES = 25 * MIB
# Requests per minute a client key (or, without one, an address) may make.
DEFAULT_RATE_LIMIT_PER_MINUTE = 300
DEFAULT_ENQUEUE_RATE_LIMIT_PER_MINUTE = 60
DEFAULT_WEBHOOK_RATE_LIMIT_PER_MINUTE = 600
# Gunicorn worker processes and threads in each (see pta_api.server).
DEFAULT_WEB_CONCURRENCY = 4
DEFAULT_WEB_THREADS = 2
DEFAULT_WEB_TIMEOUT_S = 30
DEFAULT_IDEMPOTENCY_TTL_S = 86_400


@dataclass(frozen=True)
class ApiConfig:
    """Every setting of the API process; ``settings`` is the shared part."""

    settings: Settings
    host: str = "0.0.0.0"  # noqa: S104 (the documented default)
    port: int = 5000
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    admin_key: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)
    webhook_allowed_repos: tuple[str, ...] = ()
    cors_origins: tuple[str, ...] = ()
    force_http: bool = False
    metrics_public: bool = True
    rate_limit_enabled: bool = True
    rate_limit_per_minute: int = DEFAULT_RATE_LIMIT_PER_MINUTE
    enqueue_rate_limit_per_minute: int = DEFAULT_ENQUEUE_RATE_LIMIT_PER_MINUTE
    webhook_rate_limit_per_minute: int = DEFAULT_WEBHOOK_RATE_LIMIT_PER_MINUTE
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    webhook_max_bytes: int = DEFAULT_WEBHOOK_MAX_BYTES
    idempotency_ttl_s: int = DEFAULT_IDEMPOTENCY_TTL_S
    web_concurrency: int = DEFAULT_WEB_CONCURRENCY
    web_threads: int = DEFAULT_WEB_THREADS
    web_timeout_s: int = DEFAULT_WEB_TIMEOUT_S
    public_url: str | None = None
    proxy_hops: int = 0
    db_configured: bool = False
    log_level: str = "INFO"

    @property
    def env(self) -> str:
        """``development``, ``test`` or ``production`` (``PTA_ENV``)."""
        return self.settings.env

    @property
    def is_production(self) -> bool:
        """True when ``PTA_ENV=production``."""
        return self.settings.is_production

    @property
    def auth_required(self) -> bool:
        """True when client routes need an API key (``API_KEYS`` is set)."""
        return bool(self.api_keys)

    @property
    def rate_limit_storage_uri(self) -> str:
        """Where flask-limiter keeps its counters (Redis when there is one)."""
        redis_url = self.settings.redis_url
        return redis_url if redis_url else "memory://"


def load_config(environ: Mapping[str, str] | None = None) -> ApiConfig:
    """Build the ``ApiConfig`` from ``environ`` (default ``os.environ``).

    Raises ``ConfigError`` whose ``detail`` is the exact message to print.
    """
    source = os.environ if environ is None else environ
    env = _Reader(source)
    port = env.port("PORT", 5000)
    settings = load_settings(source)
    admin_key = env.text("ADMIN_KEY") or None
    if admin_key is not None and len(admin_key) < MIN_ADMIN_KEY_CHARS:
        raise ConfigError(
            f"ADMIN_KEY must be at least {MIN_ADMIN_KEY_CHARS} characters"
        )
    api_keys = env.items("API_KEYS")
    if settings.is_production and not api_keys:
        raise ConfigError("API_KEYS is required in production")

    return ApiConfig(
        settings=settings,
        host=env.text("HOST") or ApiConfig.host,
        port=port,
        api_keys=api_keys,
        admin_key=admin_key,
        webhook_secret=env.text("GITHUB_WEBHOOK_SECRET") or None,
        webhook_allowed_repos=tuple(
            name.lower() for name in env.items("WEBHOOK_ALLOWED_REPOS")
        ),
        cors_origins=env.items("CORS_ORIGINS"),
        force_http=env.flag("FORCE_HTTP", False),
        metrics_public=env.flag("METRICS_PUBLIC", True),
        rate_limit_enabled=env.flag("RATE_LIMIT_ENABLED", True),
        rate_limit_per_minute=env.integer(
            "RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE
        ),
        enqueue_rate_limit_per_minute=env.integer(
            "RATE_LIMIT_ENQUEUE_PER_MINUTE", DEFAULT_ENQUEUE_RATE_LIMIT_PER_MINUTE
        ),
        webhook_rate_limit_per_minute=env.integer(
            "RATE_LIMIT_WEBHOOK_PER_MINUTE", DEFAULT_WEBHOOK_RATE_LIMIT_PER_MINUTE
        ),
        max_request_bytes=env.integer("MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES),
        webhook_max_bytes=env.integer("WEBHOOK_MAX_BYTES", DEFAULT_WEBHOOK_MAX_BYTES),
        idempotency_ttl_s=env.integer("IDEMPOTENCY_TTL_S", DEFAULT_IDEMPOTENCY_TTL_S),
        # Without Redis (the embedded default) rate limits and idempotency
        # answers live in process memory, so one worker keeps them exact.
        web_concurrency=env.integer(
            "WEB_CONCURRENCY", 1 if settings.is_embedded else DEFAULT_WEB_CONCURRENCY
        ),
        web_threads=env.integer("WEB_THREADS", DEFAULT_WEB_THREADS),
        web_timeout_s=env.integer("WEB_TIMEOUT_S", DEFAULT_WEB_TIMEOUT_S),
        public_url=(env.text("PUBLIC_URL").rstrip("/") or None),
        proxy_hops=env.integer("PROXY_FIX_HOPS", 0, minimum=0),
        db_configured=bool(env.text("DATABASE_URL")),
        log_level=env.level("LOG_LEVEL", "INFO"),
    )


class _Reader:
    """Typed access to the API's variables; every error names its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str) -> str:
        return self._environ.get(name, "").strip()

    def items(self, name: str) -> tuple[str, ...]:
        return tuple(
            item.strip() for item in self.text(name).split(",") if item.strip()
        )

    def port(self, name: str, default: int) -> int:
        value = self.text(name)
        if not value:
            return default
        if not value.isdigit() or not 1 <= int(value) <= 65535:
            raise ConfigError(f"Invalid {name}")
        return int(value)

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name).lower()
        if not value:
            return default
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        raise ConfigError(f"Invalid {name}: expected true or false")

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        value = self.text(name)
        if not value:
            return default
        if not value.isdigit():
            raise ConfigError(f"Invalid {name}: not a whole number")
        if int(value) < minimum:
            raise ConfigError(f"Invalid {name}: must be at least {minimum}")
        return int(value)

    def level(self, name: str, default: str) -> str:
        value = self.text(name).upper() or default
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ConfigError(f"Invalid {name}: DEBUG, INFO, WARNING or ERROR")
        return value
