"""Turning a command-line target into a directory to analyze.

A target is a local directory, a local git repository (optionally at
``--ref``), or a git URL (https, http, ssh, git or file). Remote targets are
cloned into a temporary directory with prompts, hooks, submodules and LFS
downloads switched off. This is the only module of the analyzer that starts
network I/O, and only the command line uses it.
"""

import logging
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

from pta_analyzer.errors import (
    InvalidTarget,
    NotARepository,
    RefNotFound,
    RepoUnreachable,
    TargetNotFound,
)
from pta_analyzer.render.common import Target

logger = logging.getLogger(__name__)

CLONE_TIMEOUT_S = 600
URL_SCHEMES = frozenset({"https", "http", "ssh", "git", "file"})
_SCP_LIKE = re.compile(r"^[\w.-]+@[\w.-]+:[^/].*$")
_COMMIT = re.compile(r"^[0-9a-fA-F]{7,40}$")


class Checkout(NamedTuple):
    """A directory ready to analyze and what it was made from."""

    root: Path
    target: Target


def is_url(text: str) -> bool:
    """True when the target text is meant as a git URL, not a path."""
    return "://" in text or bool(_SCP_LIKE.match(text)) or text.startswith("ext::")


@contextmanager
def checkout(text: str, ref: str | None) -> Iterator[Checkout]:
    """Yield a directory for the target; temporary clones are removed after.

    Raises TargetNotFound, NotARepository, InvalidTarget, RepoUnreachable or
    RefNotFound with a one-line detail.
    """
    if is_url(text):
        url = _validated_url(text)
        with _cloned(url, ref) as (root, commit):
            yield Checkout(
                root, Target(name=_name_of(url), url=url, ref=ref, commit=commit)
            )
        return

    path = Path(text)
    if not path.exists():
        raise TargetNotFound(f"{text}: no such file or directory")
    if not path.is_dir():
        raise NotARepository(f"{text}: is a file, not a directory or repository")
    if ref is None:
        yield Checkout(
            path, Target(name=path.resolve().name, commit=_head_commit(path))
        )
        return
    if not _is_git(path):
        raise NotARepository(f"{text}: --ref needs a git repository")
    with _cloned(str(path.resolve()), ref) as (root, commit):
        yield Checkout(root, Target(name=path.resolve().name, ref=ref, commit=commit))


def _validated_url(text: str) -> str:
    if text.startswith(("-", "ext::")) or "::" in text.split("/")[0]:
        raise InvalidTarget(f"{text}: refused: option-shaped or transport-helper URL")
    if _SCP_LIKE.match(text):
        return text
    parts = urlsplit(text)
    if parts.scheme not in URL_SCHEMES:
        raise InvalidTarget(f"{text}: unsupported scheme {parts.scheme!r}")
    if parts.scheme != "file" and not parts.hostname:
        raise InvalidTarget(f"{text}: no host in URL")
    return text


@contextmanager
def _cloned(url: str, ref: str | None) -> Iterator[tuple[Path, str | None]]:
    # Only here: most runs analyze a local directory and never clone, and
    # tempfile and shutil (with the compression modules it imports) take
    # milliseconds to load.
    import shutil
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="pta-clone-"))
    try:
        root = workdir / "repo"
        _clone(url, ref, root)
        yield root, _head_commit(root)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _clone(url: str, ref: str | None, root: Path) -> None:
    shallow = ref is None or not _COMMIT.match(ref)
    args = ["clone", "--quiet", "--no-tags", "--no-recurse-submodules"]
    if shallow:
        args += ["--depth", "1"]
        if ref:
            args += ["--branch", ref]
    _git([*args, "--", url, str(root)], None, url, ref)
    if ref and not shallow:
        if not _resolves(root, ref):
            raise RefNotFound(f"{ref}: no such commit in {url}")
        _git(["checkout", "--quiet", "--detach", ref], root, url, ref)


def _git(args: list[str], cwd: Path | None, url: str, ref: str | None) -> None:
    safety = ["-c", "protocol.ext.allow=never", "-c", "core.hooksPath=/dev/null"]
    command = ["git", *safety, "-c", "core.fsmonitor=false", *args]
    try:
        completed = subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=CLONE_TIMEOUT_S,
            env=_git_env(),
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RepoUnreachable(
            f"{url}: clone took longer than {CLONE_TIMEOUT_S} s"
        ) from error
    except OSError as error:
        raise RepoUnreachable(f"git could not be started: {error}") from error
    if completed.returncode == 0:
        return
    message = completed.stderr.strip().splitlines()
    last = message[-1] if message else f"git exited with {completed.returncode}"
    lowered = completed.stderr.lower()
    if ref and (
        "remote branch" in lowered
        or "pathspec" in lowered
        or "reference is not a tree" in lowered
    ):
        raise RefNotFound(f"{ref}: no such branch, tag or commit in {url}")
    raise RepoUnreachable(f"{url}: {last}")


def _resolves(root: Path, ref: str) -> bool:
    completed = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"],
        cwd=root,
        capture_output=True,
        timeout=30,
        env=_git_env(),
        check=False,
    )
    return completed.returncode == 0


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(GIT_TERMINAL_PROMPT="0", GIT_LFS_SKIP_SMUDGE="1", GIT_ASKPASS="true",
               SSH_ASKPASS="true", GIT_SSH_COMMAND="ssh -oBatchMode=yes")  # fmt: skip
    return env


def _is_git(path: Path) -> bool:
    return _head_commit(path) is not None


def _head_commit(path: Path) -> str | None:
    try:
        completed = subprocess.run(
            ["git", "-c", "safe.directory=*", "rev-parse", "--verify", "-q", "HEAD"],
            cwd=path,
            capture_output=True,
            text=True,
            timeout=30,
            env=_git_env(),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    commit = completed.stdout.strip()
    return commit if completed.returncode == 0 and commit else None


def _name_of(url: str) -> str:
    tail = url.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
    return tail.removesuffix(".git") or "repository"
