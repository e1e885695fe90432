"""Evidence: the exact lines of a file that prove a statement, and their hash.

``snippet_hash`` is the SHA-256 (64 hex digits) of the UTF-8 bytes of lines
``line_start..line_end`` (1-based, inclusive) of the decoded file, each line
without its terminator, joined by ``"\\n"``. Lines are split the way Python's
``str.splitlines`` splits them, so anyone can re-check a hash with three lines
of Python. Evidence for a whole file cites every line and also carries
``file_sha256``, the SHA-256 of the file's raw bytes.
"""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

DISPLAY_MAX_CHARS = 160

# Words that mark a variable's name as holding a credential wherever they stand
# in it (GITHUB_TOKEN, DB_PASSWORD, STRIPE_API_KEY). Each kind of file adds
# its own words to these: see ``is_secret_name``.
SECRET_NAME_WORDS = (
    r"SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL"
)
SECRET_NAME = re.compile(rf"(?i)(?:{SECRET_NAME_WORDS})")

# Assignments and key/value pairs whose name says they hold a secret; their
# value is replaced before a line is shown anywhere.
_SECRET_NAME = (
    rf"[A-Za-z0-9_.-]*(?:{SECRET_NAME_WORDS}|PASS|PWD|AUTH|DSN|SALT)"
    r"[A-Za-z0-9_.-]*"
)
_SECRET_ASSIGNMENT = re.compile(
    rf"(?i)(\b{_SECRET_NAME}\b['\"]?\s*[:=]\s*['\"]?)([^'\"\s,;}}]+)"
)
_URL_CREDENTIALS = re.compile(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)")
_LONG_TOKEN_MIN = 32
_LONG_TOKEN = re.compile(rf"\b[A-Za-z0-9+/_-]{{{_LONG_TOKEN_MIN},}}={{0,2}}\b")
# Words of ``_SECRET_NAME``: a line with none of them has no named secret.
_SECRET_WORDS = (
    "SECRET", "TOKEN", "PASS", "PWD", "API", "KEY", "CREDENTIAL", "AUTH", "DSN",
    "SALT",
)  # fmt: skip


class EvidenceKind(StrEnum):
    """Whether evidence cites a range of lines or a whole file."""

    LINES = "lines"
    FILE = "file"


@dataclass(frozen=True, order=True)
class Evidence:
    """A cited range of lines of one file of the repository."""

    path: str
    line_start: int
    line_end: int
    snippet_hash: str
    display: str
    kind: EvidenceKind = EvidenceKind.LINES
    file_sha256: str | None = None

    @property
    def location(self) -> str:
        """``path:line`` or ``path:start-end``, as written in the dossier."""
        if self.line_start == self.line_end:
            return f"{self.path}:{self.line_start}"
        return f"{self.path}:{self.line_start}-{self.line_end}"

    def to_json(self) -> dict[str, object]:
        """The evidence object written into the output files."""
        data: dict[str, object] = {
            "path": self.path,
            "line_start": self.line_start,
            "line_end": self.line_end,
            "snippet_hash": self.snippet_hash,
            "display": self.display,
            "kind": str(self.kind),
        }
        if self.file_sha256 is not None:
            data["file_sha256"] = self.file_sha256
        return data


def is_secret_name(name: str, more: re.Pattern[str] | None = None) -> bool:
    """True when ``name`` holds a word of ``SECRET_NAME`` or matches ``more``.

    ``more`` carries the words one kind of file adds (``DSN`` in a compose
    file's environment, ``_KEY`` at the end of a name in a ``.env`` file).
    """
    if SECRET_NAME.search(name) is not None:
        return True
    return more is not None and more.search(name) is not None


def split_lines(text: str) -> list[str]:
    """Split decoded text into lines exactly as evidence hashes count them."""
    return text.splitlines()


def hash_snippet(lines: Sequence[str]) -> str:
    """SHA-256 hex digest of ``lines`` joined by newlines, encoded as UTF-8."""
    joined = "\n".join(lines)
    return hashlib.sha256(joined.encode("utf-8", errors="surrogatepass")).hexdigest()


def redact(text: str) -> str:
    """Hide values that may be secrets: named secrets, URL passwords, long tokens."""
    if "://" in text:
        text = _URL_CREDENTIALS.sub(r"\1***\3", text)
    if _has_secret_word(text):
        text = _SECRET_ASSIGNMENT.sub(_mask_value, text)
    if len(text) >= _LONG_TOKEN_MIN:
        text = _LONG_TOKEN.sub("***", text)
    return text


def make_display(lines: Sequence[str]) -> str:
    """A one-line, redacted, bounded excerpt of the cited lines for people."""
    first = ""
    for line in lines:
        first = line.strip()
        if first:
            break
    shown = redact(first)
    if len(shown) > DISPLAY_MAX_CHARS:
        shown = shown[: DISPLAY_MAX_CHARS - 1] + "…"
    if len(lines) > 1:
        shown += f" (+{len(lines) - 1} lines)"
    return shown


def _has_secret_word(text: str) -> bool:
    # A plain loop: several times quicker than any() over a generator, or a
    # case-insensitive regex, on the short lines this sees by the hundred
    # thousand.
    upper = text.upper()
    for word in _SECRET_WORDS:  # noqa: SIM110
        if word in upper:
            return True
    return False


def _mask_value(match: re.Match[str]) -> str:
    value = match.group(2)
    if _looks_like_reference(value):
        return match.group(0)
    return match.group(1) + "***"


def _looks_like_reference(value: str) -> bool:
    """True for values that name a secret rather than hold one."""
    return (
        value.startswith(("$", "process.env", "os.environ", "os.getenv", "env("))
        or value in {"None", "null", "true", "false", "''", '""'}
        or value.isupper()
    )
