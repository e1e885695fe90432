"""The service's configuration: environment variables, parsed and checked once.

``load_settings(environ)`` is the only place that reads them. A malformed
value is a ``ConfigError`` naming the variable; a limit is never silently
disabled. With nothing set, the embedded default applies: a SQLite file and a
file-backed broker under ``PTA_STATE_DIR``.
"""

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pta_tasks.errors import ConfigError

MIB = 1024 * 1024
GIB = 1024 * MIB
# Time a task keeps after the analyzer's limit for validate and store, and the
# gap between the soft and the hard limit left for cleanup (seconds).
TASK_MARGIN_S = 60
CLEANUP_GAP_S = 30
# Added to the hard limit and the longest retry delay to get the broker's
# visibility timeout, so no message is redelivered while it is still held.
VISIBILITY_MARGIN_S = 300
DEFAULT_HOSTS = ("github.com", "gitlab.com", "bitbucket.org")
TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True)
class Settings:
    """Every setting of the worker, beat and enqueue side (units in names)."""

    env: str = "development"
    database_url: str = ""
    redis_url: str | None = None
    state_dir: Path = Path(".pta")
    github_token: str | None = field(default=None, repr=False)
    git_token_hosts: tuple[str, ...] = ("github.com",)
    worker_enabled: bool = True
    tmp_dir: Path = Path("/tmp/ci")  # noqa: S108 (the documented default)
    max_repo_bytes: int = 250 * MIB
    max_file_count: int = 50_000
    analyzer_timeout_ms: int = 600_000
    analyzer_memory_mb: int = 2048
    analyzer_jobs: int = 1  # processes per analysis: workers scale by count
    analyzer_module: str = "pta_analyzer"
    clone_timeout_ms: int = 300_000
    allowed_repo_hosts: tuple[str, ...] = DEFAULT_HOSTS
    allowed_repo_schemes: tuple[str, ...] = ("https",)
    allow_private_network: bool = False
    allow_local_repos: bool = False
    min_free_bytes: int = GIB
    min_free_percent: float = 5.0
    max_attempts: int = 3
    retry_backoff_s: float = 30.0
    retry_backoff_max_s: float = 600.0
    dedupe_window_s: int = 86_400
    heartbeat_s: float = 15.0
    heartbeat_timeout_s: float = 120.0
    reconcile_interval_s: float = 60.0
    requeue_after_s: float = 300.0
    output_retention_days: float = 30.0
    run_retention_days: float = 90.0
    max_tasks_per_child: int = 50
    worker_concurrency: int = 1
    queue: str = "pta"
    task_margin_s: float = TASK_MARGIN_S
    cleanup_gap_s: float = CLEANUP_GAP_S

    @property
    def is_production(self) -> bool:
        """True when ``PTA_ENV=production``."""
        return self.env == "production"

    @property
    def is_embedded(self) -> bool:
        """True when the broker is the file-backed one (no Redis)."""
        return self.redis_url is None

    @property
    def soft_time_limit_s(self) -> float:
        """Celery soft limit: the clone's limit, the analyzer's limit twice
        (analysis and validation are bounded separately) and a margin for
        storing; it fires only when a step without a limit of its own hangs."""
        bounded_ms = self.clone_timeout_ms + 2 * self.analyzer_timeout_ms
        return bounded_ms / 1000 + self.task_margin_s

    @property
    def hard_time_limit_s(self) -> float:
        """Celery hard limit: the soft limit plus time to clean up."""
        return self.soft_time_limit_s + self.cleanup_gap_s

    @property
    def visibility_timeout_s(self) -> int:
        """Redis visibility timeout: above the hard limit and any retry delay."""
        longest = self.hard_time_limit_s + self.retry_backoff_max_s
        return int(longest + VISIBILITY_MARGIN_S)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build ``Settings`` from ``environ`` (default ``os.environ``).

    Raises ``ConfigError`` naming the variable when a value is malformed, out
    of range, or required and missing (``DATABASE_URL is required`` in
    production).
    """
    env = _Reader(os.environ if environ is None else environ)
    pta_env = env.text("PTA_ENV", "development")
    state_dir = env.path("PTA_STATE_DIR", _default_state_dir(env))
    database_url = env.text("DATABASE_URL", "")
    redis_url = env.text("REDIS_URL", "") or None

    if pta_env not in {"development", "production", "test"}:
        raise ConfigError("Invalid PTA_ENV: expected development, production or test")
    if pta_env == "production" and not database_url:
        raise ConfigError("DATABASE_URL is required")
    if pta_env == "production" and redis_url is None:
        raise ConfigError("REDIS_URL is required")
    if not database_url:
        database_url = f"sqlite:///{state_dir / 'pta.db'}"

    settings = Settings(
        env=pta_env,
        database_url=database_url,
        redis_url=redis_url,
        state_dir=state_dir,
        github_token=env.text("GITHUB_TOKEN", "") or None,
        git_token_hosts=env.hosts("CI_GIT_TOKEN_HOSTS", ("github.com",)),
        worker_enabled=env.flag("CI_WORKER_ENABLED", True),
        tmp_dir=env.path("CI_TMP_DIR", Settings.tmp_dir),
        max_repo_bytes=env.integer("MAX_REPO_BYTES", 250 * MIB),
        max_file_count=env.integer("MAX_FILE_COUNT", 50_000),
        analyzer_timeout_ms=env.integer("ANALYZER_TIMEOUT_MS", 600_000),
        analyzer_memory_mb=env.integer("ANALYZER_MEMORY_MB", 2048),
        analyzer_jobs=env.integer("ANALYZER_JOBS", 1),
        analyzer_module=env.text("CI_ANALYZER_MODULE", "pta_analyzer"),
        clone_timeout_ms=env.integer("CLONE_TIMEOUT_MS", 300_000),
        allowed_repo_hosts=env.hosts("ALLOWED_REPO_HOSTS", DEFAULT_HOSTS),
        allowed_repo_schemes=env.hosts("ALLOWED_REPO_SCHEMES", ("https",)),
        allow_private_network=env.flag("ALLOW_PRIVATE_NETWORK", False),
        allow_local_repos=env.flag("ALLOW_LOCAL_REPOS", False),
        min_free_bytes=env.integer("CI_MIN_FREE_BYTES", GIB, minimum=0),
        min_free_percent=env.number("CI_MIN_FREE_PERCENT", 5.0, 0.0, 100.0),
        max_attempts=env.integer("CI_MAX_ATTEMPTS", 3),
        retry_backoff_s=env.number("CI_RETRY_BACKOFF_S", 30.0, 0.0),
        retry_backoff_max_s=env.number("CI_RETRY_BACKOFF_MAX_S", 600.0, 0.0),
        dedupe_window_s=env.integer("CI_DEDUPE_WINDOW_S", 86_400, minimum=0),
        heartbeat_s=env.number("CI_HEARTBEAT_S", 15.0, 0.05),
        heartbeat_timeout_s=env.number("CI_HEARTBEAT_TIMEOUT_S", 120.0, 0.1),
        reconcile_interval_s=env.number("CI_RECONCILE_INTERVAL_S", 60.0, 0.1),
        requeue_after_s=env.number("CI_REQUEUE_AFTER_S", 300.0, 0.0),
        output_retention_days=env.number("CI_OUTPUT_RETENTION_DAYS", 30.0, 0.0),
        run_retention_days=env.number("CI_RUN_RETENTION_DAYS", 90.0, 0.0),
        max_tasks_per_child=env.integer("CI_MAX_TASKS_PER_CHILD", 50),
        worker_concurrency=env.integer("CI_WORKER_CONCURRENCY", 1),
        queue=env.text("CI_QUEUE", "pta"),
        task_margin_s=env.number("CI_TASK_MARGIN_S", TASK_MARGIN_S, 0.0),
        cleanup_gap_s=env.number("CI_CLEANUP_GAP_S", CLEANUP_GAP_S, 1.0),
    )
    _check_consistency(settings)
    return settings


def _check_consistency(settings: Settings) -> None:
    if settings.heartbeat_timeout_s < 2 * settings.heartbeat_s:
        raise ConfigError(
            "Invalid CI_HEARTBEAT_TIMEOUT_S: must be at least twice CI_HEARTBEAT_S"
        )
    if settings.retry_backoff_max_s < settings.retry_backoff_s:
        raise ConfigError(
            "Invalid CI_RETRY_BACKOFF_MAX_S: must not be below CI_RETRY_BACKOFF_S"
        )
    if settings.output_retention_days > settings.run_retention_days:
        raise ConfigError(
            "Invalid CI_OUTPUT_RETENTION_DAYS: must not exceed CI_RUN_RETENTION_DAYS"
        )
    unknown = set(settings.allowed_repo_schemes) - {"https", "http", "git"}
    if unknown:
        raise ConfigError("Invalid ALLOWED_REPO_SCHEMES: only https, http, git")
    if not settings.queue.replace("-", "").replace("_", "").isalnum():
        raise ConfigError("Invalid CI_QUEUE: letters, digits, '-' and '_' only")


def _default_state_dir(env: "_Reader") -> Path:
    data_home = env.text("XDG_DATA_HOME", "") or str(Path.home() / ".local/share")
    return Path(data_home) / "pta"


class _Reader:
    """Typed access to an environment mapping; every error names its variable."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = environ

    def text(self, name: str, default: str) -> str:
        return self._environ.get(name, default).strip()

    def path(self, name: str, default: Path) -> Path:
        value = self.text(name, "")
        return Path(value) if value else default

    def flag(self, name: str, default: bool) -> bool:
        value = self.text(name, "").lower()
        if not value:
            return default
        if value in TRUE_WORDS:
            return True
        if value in FALSE_WORDS:
            return False
        raise ConfigError(f"Invalid {name}: expected true or false")

    def integer(self, name: str, default: int, minimum: int = 1) -> int:
        value = self.text(name, "")
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            raise ConfigError(f"Invalid {name}: not an integer") from None
        if number < minimum:
            raise ConfigError(f"Invalid {name}: must be at least {minimum}")
        return number

    def number(
        self,
        name: str,
        default: float,
        minimum: float,
        maximum: float | None = None,
    ) -> float:
        value = self.text(name, "")
        if not value:
            return default
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"Invalid {name}: not a number") from None
        if not math.isfinite(number) or number < minimum:
            raise ConfigError(f"Invalid {name}: must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise ConfigError(f"Invalid {name}: must be at most {maximum}")
        return number

    def hosts(self, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.text(name, "")
        if not value:
            return default
        hosts = tuple(h.strip().lower() for h in value.split(",") if h.strip())
        if not hosts:
            raise ConfigError(f"Invalid {name}: no host named")
        return hosts
