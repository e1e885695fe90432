"""Error codes of a run and the exceptions that carry them.

Every failure a run can end with has one stable code (``ErrorCode``), stored
in ``ci_runs.error_code`` and as the prefix of ``ci_runs.error``
(``"REPO_TOO_LARGE: 312 MB > 250 MB"``). ``docs/ERROR_CODES.md`` documents
each code: what happened, whether it is retried, what the operator does.

Exception tree::

    PtaError
    ├── ConfigError            (CONFIG_INVALID)
    ├── SchemaOutdated         (DB_SCHEMA_OUTDATED)
    ├── InvalidRepoUrl         (INVALID_REPO_URL)
    ├── HostNotAllowed         (HOST_NOT_ALLOWED)
    ├── RunNotFound            (RUN_NOT_FOUND)
    ├── RunStateConflict       (RUN_STATE_CONFLICT)
    └── RunError               (any run code; ``retryable`` tells the task)
"""

from enum import StrEnum


class ErrorCode(StrEnum):
    """Stable codes of failures, shown as ``CODE: detail``."""

    # Rejected at submit time (never stored on a run).
    INVALID_REPO_URL = "INVALID_REPO_URL"
    HOST_NOT_ALLOWED = "HOST_NOT_ALLOWED"
    # A run's outcome.
    REPO_NOT_FOUND = "REPO_NOT_FOUND"
    AUTH_REQUIRED = "AUTH_REQUIRED"
    REF_NOT_FOUND = "REF_NOT_FOUND"
    GIT_CLONE_FAILED = "GIT_CLONE_FAILED"
    GIT_CHECKOUT_FAILED = "GIT_CHECKOUT_FAILED"
    CLONE_TIMEOUT = "CLONE_TIMEOUT"
    REPO_TOO_LARGE = "REPO_TOO_LARGE"
    TOO_MANY_FILES = "TOO_MANY_FILES"
    LOW_DISK_SPACE = "LOW_DISK_SPACE"
    WORKDIR_INVALID = "WORKDIR_INVALID"
    WORKDIR_ESCAPE = "WORKDIR_ESCAPE"
    ANALYZER_TIMEOUT = "ANALYZER_TIMEOUT"
    ANALYZER_CRASHED = "ANALYZER_CRASHED"
    ANALYZER_SCHEMA_INVALID = "ANALYZER_SCHEMA_INVALID"
    TASK_TIMEOUT = "TASK_TIMEOUT"
    MAX_ATTEMPTS_EXCEEDED = "MAX_ATTEMPTS_EXCEEDED"
    WORKER_LOST = "WORKER_LOST"
    CANCELED = "CANCELED"
    UNKNOWN_ERROR = "UNKNOWN_ERROR"
    # The service itself (configuration, database, API calls).
    CONFIG_INVALID = "CONFIG_INVALID"
    DB_SCHEMA_OUTDATED = "DB_SCHEMA_OUTDATED"
    RUN_NOT_FOUND = "RUN_NOT_FOUND"
    RUN_STATE_CONFLICT = "RUN_STATE_CONFLICT"


# Codes of failures that may pass on another try (network, disk, a lost
# worker). Everything else fails the run at once: the same input would fail
# the same way.
RETRYABLE_CODES = frozenset(
    {
        ErrorCode.GIT_CLONE_FAILED,
        ErrorCode.LOW_DISK_SPACE,
        ErrorCode.WORKDIR_INVALID,
        ErrorCode.WORKER_LOST,
    }
)

# When the attempts run out, a run ends with MAX_ATTEMPTS_EXCEEDED, except
# for these codes, which name the cause better than the count does.
KEEP_CODE_WHEN_EXHAUSTED = frozenset(
    {ErrorCode.LOW_DISK_SPACE, ErrorCode.WORKDIR_INVALID, ErrorCode.WORKER_LOST}
)


class PtaError(Exception):
    """Base of every error ``pta_tasks`` raises on purpose."""

    code: ErrorCode = ErrorCode.UNKNOWN_ERROR

    def __init__(self, detail: str, code: ErrorCode | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if code is not None:
            self.code = code

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}"


class ConfigError(PtaError):
    """Raised when an environment variable is missing, malformed or unsafe."""

    code = ErrorCode.CONFIG_INVALID


class SchemaOutdated(PtaError):
    """Raised when the database is behind the code's migrations."""

    code = ErrorCode.DB_SCHEMA_OUTDATED


class InvalidRepoUrl(PtaError):
    """Raised when a submitted URL has a refused shape, scheme or credential."""

    code = ErrorCode.INVALID_REPO_URL


class HostNotAllowed(PtaError):
    """Raised when a submitted URL names a host outside the allow-list."""

    code = ErrorCode.HOST_NOT_ALLOWED


class RunNotFound(PtaError):
    """Raised when no run has the given id."""

    code = ErrorCode.RUN_NOT_FOUND


class RunStateConflict(PtaError):
    """Raised when a run cannot be canceled or retried in its current state."""

    code = ErrorCode.RUN_STATE_CONFLICT


class RunError(PtaError):
    """Raised inside the task when a run fails; the code says why."""

    @property
    def retryable(self) -> bool:
        """True when another attempt may succeed."""
        return self.code in RETRYABLE_CODES


def format_error(code: ErrorCode, detail: str) -> str:
    """Return the ``ci_runs.error`` text: the code, a colon, the detail."""
    one_line = " ".join(detail.split())
    return f"{code}: {one_line}"[:2000]
