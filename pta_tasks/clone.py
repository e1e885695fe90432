"""Cloning one commit of a repository, bounded in time, bytes and files.

git runs directly (GitPython cannot bound a download): a shallow fetch of
the one commit, no submodules, no LFS smudge, no hooks, no prompts, only the
allowed protocols, configuration from the environment (so a token never
appears in argv or a URL). While it downloads, the size of the clone is
watched and the fetch killed past ``MAX_REPO_BYTES``; before checkout the
commit's tree is measured, so neither a big file nor a git bomb reaches disk.
"""

import logging
import os
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from pta_tasks.errors import ErrorCode, RunError
from pta_tasks.limits import ChildGroup, ChildTimeout, Finished, tree_size

logger = logging.getLogger(__name__)

# A credential helper that answers from the environment, so the token is
# neither in git's argv nor in a URL; git only asks it on a 401 from a host
# the token is configured for.
CREDENTIAL_HELPER = (
    '!f() { test "$1" = get || exit 0; '
    'echo username=x-access-token; echo "password=$PTA_GIT_TOKEN"; }; f'
)
# Fixed git configuration of every clone (key, value).
GIT_CONFIG = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("credential.helper", ""),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("filter.lfs.smudge", ""),
    ("filter.lfs.process", ""),
    ("filter.lfs.required", "false"),
    ("protocol.ext.allow", "never"),
    ("advice.detachedHead", "false"),
    ("gc.auto", "0"),
    # Always stream the pack to disk (index-pack), never unpack in memory,
    # so the byte budget sees a download while it grows.
    ("fetch.unpackLimit", "1"),
    ("transfer.unpackLimit", "1"),
)
# stderr patterns of git, mapped to codes (first match wins).
GIT_FAILURES = (
    (
        ErrorCode.AUTH_REQUIRED,
        re.compile(
            r"authentication failed|could not read (username|password)"
            r"|terminal prompts disabled|\b(401|403)\b|permission denied",
            re.IGNORECASE,
        ),
    ),
    (
        ErrorCode.REF_NOT_FOUND,
        re.compile(
            r"couldn't find remote ref|not our ref|no such remote ref"
            r"|unadvertised object|invalid refspec|bad object",
            re.IGNORECASE,
        ),
    ),
    (
        ErrorCode.REPO_NOT_FOUND,
        re.compile(
            r"repository .* not found|repository not found|\b404\b"
            r"|does not appear to be a git repository|not exported"
            r"|no such (file|directory)",
            re.IGNORECASE,
        ),
    ),
)
BASE_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ")


@dataclass(frozen=True)
class CloneRequest:
    """What to clone, where, and within which limits."""

    url: str
    ref: str | None
    commit_sha: str | None
    repo_dir: Path
    home_dir: Path
    timeout_s: float
    max_bytes: int
    max_files: int
    token: str | None = None


def clone_repository(
    request: CloneRequest, children: ChildGroup, environ: Mapping[str, str]
) -> str:
    """Fetch and check out one commit into ``request.repo_dir``; return its id.

    Raises ``RunError`` with ``REPO_NOT_FOUND``, ``AUTH_REQUIRED``,
    ``REF_NOT_FOUND``, ``CLONE_TIMEOUT``, ``REPO_TOO_LARGE``,
    ``TOO_MANY_FILES``, ``GIT_CHECKOUT_FAILED`` or ``GIT_CLONE_FAILED``.
    """
    env = git_environment(request, environ)
    cwd = request.repo_dir.parent
    deadline = _Deadline(request.timeout_s)
    request.repo_dir.mkdir()
    request.home_dir.mkdir(exist_ok=True)

    _git(
        children, cwd, env, deadline, "init", "-q", "--template=", str(request.repo_dir)
    )
    _git(
        children,
        cwd,
        env,
        deadline,
        "-C",
        str(request.repo_dir),
        "remote",
        "add",
        "--",
        "origin",
        request.url,
    )
    target = request.commit_sha or request.ref or "HEAD"
    fetched = _fetch(children, request, env, deadline, target)
    if fetched.returncode != 0:
        raise RunError(_detail(fetched), classify_git_failure(fetched.stderr_text))

    sha = _rev_parse(children, request, env, deadline)
    _check_tree(children, request, env, deadline, sha)
    checkout = _run_git(
        children, cwd, env, deadline, "-C", str(request.repo_dir),
        "checkout", "-q", "--detach", sha,
        watch=_budget(request.repo_dir, 2 * request.max_bytes),
    )  # fmt: skip
    if checkout.returncode != 0:
        raise RunError(_detail(checkout), ErrorCode.GIT_CHECKOUT_FAILED)
    logger.info("clone finished", extra={"commit_sha": sha})
    return sha


def git_environment(
    request: CloneRequest, environ: Mapping[str, str]
) -> dict[str, str]:
    """The whole environment of git: nothing inherited but the basics."""
    env = {name: environ[name] for name in BASE_ENV_NAMES if name in environ}
    protocols = "file" if request.url.startswith("file:") else "http:https:git"
    env |= {
        "HOME": str(request.home_dir),
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "GIT_LFS_SKIP_SMUDGE": "1",
        "GIT_ALLOW_PROTOCOL": protocols,
        "GIT_PROTOCOL_FROM_USER": "0",
        "GIT_ASKPASS": "",
        "SSH_ASKPASS": "",
        "GIT_SSH_COMMAND": "false",
    }
    config = list(GIT_CONFIG)
    if request.url.startswith("file:"):
        config.append(("protocol.file.allow", "always"))
    if request.token:
        config.append(("credential.helper", CREDENTIAL_HELPER))
        env["PTA_GIT_TOKEN"] = request.token
    env["GIT_CONFIG_COUNT"] = str(len(config))
    for index, (key, value) in enumerate(config):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


def classify_git_failure(stderr: str) -> ErrorCode:
    """The error code a failed fetch's stderr points to."""
    for code, pattern in GIT_FAILURES:
        if pattern.search(stderr):
            return code
    return ErrorCode.GIT_CLONE_FAILED


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.limit_s = seconds
        self._end = time.monotonic() + seconds

    def remaining(self) -> float:
        left = self._end - time.monotonic()
        if left <= 0:
            raise RunError(
                f"clone took more than {self.limit_s:g} s", ErrorCode.CLONE_TIMEOUT
            )
        return left


def _fetch(
    children: ChildGroup,
    request: CloneRequest,
    env: dict[str, str],
    deadline: _Deadline,
    target: str,
) -> Finished:
    return _run_git(
        children, request.repo_dir.parent, env, deadline,
        "-C", str(request.repo_dir), "fetch", "-q", "--depth=1", "--no-tags",
        "--no-recurse-submodules", "--", "origin", target,
        watch=_budget(request.repo_dir, request.max_bytes),
    )  # fmt: skip


def _rev_parse(
    children: ChildGroup,
    request: CloneRequest,
    env: dict[str, str],
    deadline: _Deadline,
) -> str:
    out = _git(
        children, request.repo_dir.parent, env, deadline,
        "-C", str(request.repo_dir), "rev-parse", "--verify", "FETCH_HEAD^{commit}",
    )  # fmt: skip
    sha = out.stdout.decode().strip()
    if not re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", sha):
        raise RunError("fetched ref is not a commit", ErrorCode.REF_NOT_FOUND)
    if request.commit_sha and sha != request.commit_sha:
        raise RunError(
            f"fetched {sha}, asked {request.commit_sha}", ErrorCode.REF_NOT_FOUND
        )
    return sha


def _check_tree(
    children: ChildGroup,
    request: CloneRequest,
    env: dict[str, str],
    deadline: _Deadline,
    sha: str,
) -> None:
    listing = request.repo_dir.parent / "tree.lst"
    _git(
        children, request.repo_dir.parent, env, deadline,
        "-C", str(request.repo_dir), "ls-tree", "-r", "-l", "-z", "--full-tree", sha,
        stdout_path=listing,
    )  # fmt: skip
    total = files = 0
    with listing.open("rb") as entries:
        for entry in entries.read().split(b"\0"):
            fields = entry.split(b"\t", 1)[0].split()
            if len(fields) == 4 and fields[1] == b"blob":
                files += 1
                total += int(fields[3])
    listing.unlink()
    if files > request.max_files:
        raise RunError(
            f"{files} files > MAX_FILE_COUNT {request.max_files}",
            ErrorCode.TOO_MANY_FILES,
        )
    if total > request.max_bytes:
        raise RunError(
            f"{total} bytes in the tree > MAX_REPO_BYTES {request.max_bytes}",
            ErrorCode.REPO_TOO_LARGE,
        )


def _budget(path: Path, max_bytes: int) -> "_Watch":
    return _Watch(path, max_bytes)


class _Watch:
    """Raises ``REPO_TOO_LARGE`` once ``path`` holds more than ``max_bytes``."""

    def __init__(self, path: Path, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes

    def __call__(self) -> None:
        size, _files = tree_size(self.path)
        if size > self.max_bytes:
            raise RunError(
                f"download passed {self.max_bytes} bytes (MAX_REPO_BYTES)",
                ErrorCode.REPO_TOO_LARGE,
            )


def _git(
    children: ChildGroup,
    cwd: Path,
    env: dict[str, str],
    deadline: _Deadline,
    *args: str,
    stdout_path: Path | None = None,
) -> Finished:
    finished = _run_git(children, cwd, env, deadline, *args, stdout_path=stdout_path)
    if finished.returncode != 0:
        raise RunError(_detail(finished), classify_git_failure(finished.stderr_text))
    return finished


def _run_git(
    children: ChildGroup,
    cwd: Path,
    env: dict[str, str],
    deadline: _Deadline,
    *args: str,
    watch: _Watch | None = None,
    stdout_path: Path | None = None,
) -> Finished:
    try:
        return children.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            timeout_s=deadline.remaining(),
            watch=watch,
            stdout_path=stdout_path,
        )
    except ChildTimeout:
        raise RunError(
            f"clone took more than {deadline.limit_s:g} s", ErrorCode.CLONE_TIMEOUT
        ) from None


def _detail(finished: Finished) -> str:
    lines = [line for line in finished.stderr_text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("error: ", "fatal: "))]
    message = (errors or lines or [f"git exited with {finished.returncode}"])[0]
    return message.removeprefix("fatal: ").removeprefix("error: ")[:500]
