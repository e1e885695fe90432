"""The walk: which files of a repository are read, and why the others are not.

Inside a git work tree the file list is git's own (tracked files plus untracked
ones that are not ignored); elsewhere the tree is walked and every
``.gitignore`` on the way is honoured through ``pathspec``. No symlink is ever
followed, no special file (FIFO, device, socket) is ever opened, vendored and
generated trees are counted but not entered, and every file that is not read
is recorded with its reason. The order of everything is sorted and stable.
"""

import logging
import os
import stat
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # imported when a tree without git is walked
    import pathspec

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 1_048_576  # files larger than this are listed, not read
MAX_FILES = 200_000  # files past this many (in sorted order) are not read
VENDORED_COUNT_LIMIT = 100_000  # entries counted inside one vendored directory
GIT_LIST_TIMEOUT_S = 60

VENDORED_DIRS = frozenset(
    {
        "node_modules", "bower_components", "jspm_packages", "vendor", "dist",
        "build", ".venv", "venv", "virtualenv", "__pycache__", ".tox", ".nox",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", "target", ".next",
        ".nuxt", ".svelte-kit", ".output", "coverage", ".gradle", "site-packages",
        ".terraform", "Pods", ".bundle", ".cache", ".parcel-cache", ".eggs",
        ".yarn", ".pnpm-store", "htmlcov", "_build",
    }
)  # fmt: skip
GENERATED_SUFFIXES = (".min.js", ".min.css", ".map", ".pb.go", "_pb2.py")


class SkipReason(StrEnum):
    """Why a file (or a directory, for vendored trees) was not read."""

    VENDORED = "vendored"
    GENERATED = "generated"
    TOO_LARGE = "too_large"
    BINARY = "binary"
    SYMLINK = "symlink"
    SYMLINK_ESCAPE = "symlink_outside_tree"
    SPECIAL_FILE = "special_file"
    SUBMODULE = "submodule"
    UNREADABLE = "unreadable"
    UNDECODABLE_NAME = "undecodable_name"
    FILE_LIMIT = "file_limit"
    MISSING = "missing"


class FileEntry(NamedTuple):
    """A regular file of the tree that the analyzer may read."""

    path: str
    size: int


class SkippedEntry(NamedTuple):
    """A file or directory that was not read, and why."""

    path: str
    reason: SkipReason
    size: int | None = None
    files: int | None = None  # for a skipped directory: how many files inside


class WalkLimits(NamedTuple):
    """Bounds of one walk."""

    max_file_bytes: int = MAX_FILE_BYTES
    max_files: int = MAX_FILES
    # Repository-relative directories left out entirely (e.g. the output
    # directory when it lies inside the analyzed tree).
    exclude_dirs: tuple[str, ...] = ()


@dataclass
class WalkResult:
    """The files to read and the files skipped, both sorted by path."""

    files: list[FileEntry] = field(default_factory=list)
    skipped: list[SkippedEntry] = field(default_factory=list)
    source: str = "filesystem"  # or "git"


def walk_repository(root: Path, limits: WalkLimits | None = None) -> WalkResult:
    """List the files of ``root`` to analyze; raises nothing for odd files."""
    limits = limits or WalkLimits()
    root = root.resolve()
    result = WalkResult()

    git_paths = _git_file_list(root)
    if git_paths is None:
        candidates: Iterator[str] = _filesystem_paths(root, result)
    else:
        result.source = "git"
        candidates = iter(git_paths)

    excluded = tuple(d.rstrip("/") + "/" for d in limits.exclude_dirs)
    for rel in candidates:
        if not rel.startswith(excluded):
            _classify(root, rel, limits, result)

    result.files.sort()
    result.skipped.sort()
    _apply_file_limit(result, limits)
    logger.debug(
        "walk finished",
        extra={"files": len(result.files), "skipped": len(result.skipped)},
    )
    return result


def _apply_file_limit(result: WalkResult, limits: WalkLimits) -> None:
    if len(result.files) <= limits.max_files:
        return
    over = result.files[limits.max_files :]
    del result.files[limits.max_files :]
    result.skipped.extend(
        SkippedEntry(e.path, SkipReason.FILE_LIMIT, e.size) for e in over
    )
    result.skipped.sort()


def _classify(root: Path, rel: str, limits: WalkLimits, result: WalkResult) -> None:
    """Decide whether one listed path is read, and record it either way."""
    vendored = _vendored_ancestor(rel)
    if vendored is not None:
        result.skipped.append(SkippedEntry(rel, SkipReason.VENDORED))
        return

    try:
        info = os.lstat(f"{root}/{rel}")
    except OSError:
        result.skipped.append(SkippedEntry(rel, SkipReason.MISSING))
        return

    reason = _reason_to_skip(root, rel, info, limits)
    if reason is None:
        result.files.append(FileEntry(rel, info.st_size))
    else:
        result.skipped.append(SkippedEntry(rel, reason, info.st_size))


def _reason_to_skip(
    root: Path, rel: str, info: os.stat_result, limits: WalkLimits
) -> SkipReason | None:
    if stat.S_ISLNK(info.st_mode):
        return _symlink_reason(root, rel)
    if stat.S_ISDIR(info.st_mode):
        return SkipReason.SUBMODULE
    if not stat.S_ISREG(info.st_mode):
        return SkipReason.SPECIAL_FILE
    if rel.endswith(GENERATED_SUFFIXES):
        return SkipReason.GENERATED
    if info.st_size > limits.max_file_bytes:
        return SkipReason.TOO_LARGE
    return None


def _symlink_reason(root: Path, rel: str) -> SkipReason:
    """Symlinks are never followed; the reason says whether it leaves the tree."""
    try:
        target = (root / rel).resolve(strict=False)
    except (OSError, RuntimeError):  # RuntimeError: a symlink loop
        return SkipReason.SYMLINK_ESCAPE
    if target == root or root in target.parents:
        return SkipReason.SYMLINK
    return SkipReason.SYMLINK_ESCAPE


def _vendored_ancestor(rel: str) -> str | None:
    parts = rel.split("/")[:-1]
    for index, part in enumerate(parts):
        if part in VENDORED_DIRS:
            return "/".join(parts[: index + 1])
    return None


def _git_file_list(root: Path) -> list[str] | None:
    """Git's list of files under ``root``, or None when it is not a work tree.

    Repository configuration that could run a program (``core.fsmonitor``) is
    switched off, and ownership checks are relaxed for this read-only call.
    """
    if not (root / ".git").exists() and not _inside_work_tree(root):
        return None
    command = [
        "git", "-c", "core.fsmonitor=false", "-c", "safe.directory=*",
        "-c", "core.quotepath=off", "ls-files", "-z", "--cached", "--others",
        "--exclude-standard", "--deduplicate",
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command,
            cwd=root,
            capture_output=True,
            timeout=GIT_LIST_TIMEOUT_S,
            check=False,
            env=_git_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if completed.returncode != 0:
        return None
    names = [os.fsdecode(raw) for raw in completed.stdout.split(b"\0") if raw]
    return sorted(set(names))


def _inside_work_tree(root: Path) -> bool:
    try:
        completed = subprocess.run(
            ["git", "-c", "safe.directory=*", "rev-parse", "--is-inside-work-tree"],
            cwd=root,
            capture_output=True,
            timeout=GIT_LIST_TIMEOUT_S,
            check=False,
            env=_git_env(),
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return completed.returncode == 0 and completed.stdout.strip() == b"true"


def _git_env() -> dict[str, str]:
    env = dict(os.environ)
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_OPTIONAL_LOCKS"] = "0"
    return env


def _filesystem_paths(root: Path, result: WalkResult) -> Iterator[str]:
    """Walk ``root`` without following links, honouring every ``.gitignore``."""
    ignores: list[tuple[str, pathspec.PathSpec]] = []
    for current, dirs, files in os.walk(root, followlinks=False):
        rel_dir = _relative(root, Path(current))
        ignores = [(base, spec) for base, spec in ignores if _is_under(rel_dir, base)]
        spec = _load_gitignore(Path(current))
        if spec is not None:
            ignores.append((rel_dir, spec))

        kept_dirs = []
        for name in sorted(dirs):
            rel = _join(rel_dir, name)
            if name == ".git" or _ignored(rel + "/", ignores):
                continue
            full = Path(current) / name
            if full.is_symlink():
                yield rel
            elif name in VENDORED_DIRS:
                count = _count_files(full)
                result.skipped.append(
                    SkippedEntry(rel + "/", SkipReason.VENDORED, None, count)
                )
            else:
                kept_dirs.append(name)
        dirs[:] = kept_dirs

        for name in sorted(files):
            rel = _join(rel_dir, name)
            if not _ignored(rel, ignores):
                yield rel


def _load_gitignore(directory: Path) -> "pathspec.PathSpec | None":
    path = directory / ".gitignore"
    try:
        if not path.is_file() or path.is_symlink():
            return None
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def _ignored(rel: str, ignores: list[tuple[str, "pathspec.PathSpec"]]) -> bool:
    """Git's rule: the deepest ``.gitignore`` with an opinion decides."""
    ignored = False
    for base, spec in ignores:
        local = rel[len(base) + 1 :] if base else rel
        verdict = spec.check_file(local).include
        if verdict is not None:
            ignored = verdict
    return ignored


def _count_files(directory: Path) -> int:
    count = 0
    for _current, _dirs, files in os.walk(directory, followlinks=False):
        count += len(files)
        if count >= VENDORED_COUNT_LIMIT:
            return count
    return count


def _relative(root: Path, path: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return "" if rel == "." else rel


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name


def _is_under(rel_dir: str, base: str) -> bool:
    return base == "" or rel_dir == base or rel_dir.startswith(base + "/")
