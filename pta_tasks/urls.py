"""Validation of submitted repository URLs and refs.

A URL reaches git only after it passed here: an allow-listed scheme and host,
no transport tricks (``ext::``), nothing shaped like an option, no
credentials, no local path unless explicitly allowed. What comes out is a
normalized URL that is safe to log and to hand to git after ``--``.
"""

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pta_tasks.errors import HostNotAllowed, InvalidRepoUrl
from pta_tasks.settings import Settings

MAX_URL_LENGTH = 2048
MAX_REF_LENGTH = 255
SEGMENT = re.compile(r"[A-Za-z0-9._~-]+")
REF = re.compile(r"[A-Za-z0-9._/+-]+")
COMMIT_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
# Whitespace (``str.isspace``, Unicode included) or an ASCII control character.
SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")
LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


@dataclass(frozen=True)
class RepoUrl:
    """A validated repository URL and the parts the run records."""

    url: str
    host: str
    owner: str
    name: str
    is_local: bool = False


def validate_repo_url(
    url: str, settings: Settings, allow_local: bool | None = None
) -> RepoUrl:
    """Check ``url`` against the rules of ``settings``; return it normalized.

    ``allow_local`` overrides ``ALLOW_LOCAL_REPOS`` (the CLI allows paths).
    Raises ``InvalidRepoUrl`` for a refused shape and ``HostNotAllowed`` for
    a host outside ``ALLOWED_REPO_HOSTS`` or on a private network.
    """
    local_ok = settings.allow_local_repos if allow_local is None else allow_local
    text = _check_shape(url)

    if _is_local(text):
        if not local_ok:
            raise InvalidRepoUrl("local repositories are not allowed")
        return _local_repo(text)

    parts = urlsplit(text)
    scheme = parts.scheme.lower()
    if scheme not in settings.allowed_repo_schemes:
        raise InvalidRepoUrl(f"scheme {scheme or 'none'!r} is not allowed")
    if "@" in parts.netloc or parts.password is not None:
        raise InvalidRepoUrl("credentials in the URL are not allowed")
    if parts.query or parts.fragment:
        raise InvalidRepoUrl("a query or fragment is not allowed")

    host = _check_host(parts.hostname or "", settings)
    segments = _check_path(parts.path)
    try:
        port = parts.port
    except ValueError:
        raise InvalidRepoUrl("the port is not a number") from None
    netloc = f"{host}:{port}" if port else host
    if ":" in host:
        netloc = f"[{host}]:{port}" if port else f"[{host}]"

    name = segments[-1].removesuffix(".git")
    owner = "/".join(segments[:-1])
    normalized = f"{scheme}://{netloc}/{'/'.join(segments)}"
    return RepoUrl(url=normalized, host=host, owner=owner, name=name)


def validate_ref(ref: str | None) -> str | None:
    """Return ``ref`` if it is a plausible branch, tag or commit name.

    Raises ``InvalidRepoUrl`` for anything option-shaped or outside git's
    ref syntax.
    """
    if ref is None or ref == "":
        return None
    if len(ref) > MAX_REF_LENGTH or not REF.fullmatch(ref):
        raise InvalidRepoUrl("the ref has characters git does not allow")
    if ref.startswith(("-", "/")) or ".." in ref or ref.endswith((".lock", "/")):
        raise InvalidRepoUrl("the ref is not a valid git ref name")
    return ref


def is_commit_sha(ref: str | None) -> bool:
    """True when ``ref`` is a full SHA-1 or SHA-256 commit id."""
    return ref is not None and COMMIT_SHA.fullmatch(ref.lower()) is not None


def _check_shape(url: str) -> str:
    text = url.strip()
    if not text:
        raise InvalidRepoUrl("the URL is empty")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidRepoUrl(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if text.startswith("-"):
        raise InvalidRepoUrl("the URL looks like a command-line option")
    if "::" in text.split("/", 1)[0] or text.lower().startswith("ext:"):
        raise InvalidRepoUrl("git transport helpers (such as ext::) are refused")
    if SPACE_OR_CONTROL.search(text):
        raise InvalidRepoUrl("the URL contains whitespace or control characters")
    if "%" in text:
        raise InvalidRepoUrl("percent-encoded URLs are refused")
    return text


def _is_local(text: str) -> bool:
    return text.lower().startswith("file:") or text.startswith(("/", ".", "~"))


def _local_repo(text: str) -> RepoUrl:
    raw = text[len("file://") :] if text.lower().startswith("file://") else text
    if text.lower().startswith("file:") and not raw.startswith("/"):
        raise InvalidRepoUrl("a file URL must name an absolute path")
    path = Path(raw).expanduser().resolve()
    return RepoUrl(
        url=path.as_uri(),
        host="",
        owner=path.parent.name,
        name=path.name,
        is_local=True,
    )


def _check_host(host: str, settings: Settings) -> str:
    host = host.lower().rstrip(".")
    if not host or host.startswith("-"):
        raise InvalidRepoUrl("the URL names no valid host")
    if host not in settings.allowed_repo_hosts:
        raise HostNotAllowed(f"host {host!r} is not in ALLOWED_REPO_HOSTS")
    if _is_private(host) and not settings.allow_private_network:
        raise HostNotAllowed(f"host {host!r} is on a private network")
    return host


def _is_private(host: str) -> bool:
    # Limitation: names are not resolved here, so a public name that resolves
    # to a private address passes; the allow-list of hosts is the guard.
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def _check_path(path: str) -> list[str]:
    segments = [s for s in path.split("/") if s]
    if not segments:
        raise InvalidRepoUrl("the URL names no repository")
    if path.count("//") or any(s in {".", ".."} for s in segments):
        raise InvalidRepoUrl("the URL path has empty or relative segments")
    for segment in segments:
        if not SEGMENT.fullmatch(segment) or segment.startswith("-"):
            raise InvalidRepoUrl("the URL path has characters that are refused")
    if segments[-1] in {".git", ""}:
        raise InvalidRepoUrl("the URL names no repository")
    return segments
