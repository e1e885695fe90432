"""Logging of the service: JSON lines, the run id bound, secrets redacted.

Modules log fixed messages with fields (``extra={...}``); ``bound_run``
attaches the run id to every line logged inside it; ``configure_logging``
installs one handler on the root logger, once, at process start.
"""

import json
import logging
import re
import sys
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

_run_id: ContextVar[str | None] = ContextVar("pta_run_id", default=None)
# Attributes every LogRecord has; anything else came from ``extra``.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
}
_PATTERNS = (
    (re.compile(r"(://)[^/@\s]+@"), r"\1***@"),
    (re.compile(r"(?i)(authorization:\s*)(\S+\s+)?\S+"), r"\1***"),
    (re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})"), "***"),
    (re.compile(r"(?i)(x-access-token:)[^@\s]+"), r"\1***"),
)
_known_secrets: list[str] = []


@contextmanager
def bound_run(run_id: uuid.UUID | str) -> Iterator[None]:
    """Tag every log line inside the block with ``run_id``."""
    token = _run_id.set(str(run_id))
    try:
        yield
    finally:
        _run_id.reset(token)


def redact(text: str) -> str:
    """``text`` with tokens, credentials in URLs and known secrets masked."""
    for secret in _known_secrets:
        text = text.replace(secret, "***")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def configure_logging(
    level: str = "INFO", as_json: bool = True, secrets: Iterable[str | None] = ()
) -> None:
    """Install the service's handler on the root logger (idempotent)."""
    _known_secrets[:] = [s for s in secrets if s and len(s) >= 6]
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_pta", False):
            root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler._pta = True  # type: ignore[attr-defined]
    handler.setFormatter(JsonFormatter() if as_json else TextFormatter())
    handler.addFilter(RunContextFilter())
    root.addHandler(handler)
    root.setLevel(level.upper())


class RunContextFilter(logging.Filter):
    """Adds ``run_id`` from the bound context when the line has none."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "run_id", None) is None:
            record.run_id = _run_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        line |= _fields(record)
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return redact(json.dumps(line, default=str))


class TextFormatter(logging.Formatter):
    """Readable lines for a terminal: level, logger, message, fields."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        text = f"{record.levelname} {record.name}: {record.getMessage()} {fields}"
        if record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return redact(text.rstrip())


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in vars(record).items()
        if key not in _STANDARD and value is not None and not key.startswith("_")
    }
