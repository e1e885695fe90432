"""Limits of a run: free disk, the work directory, bounded child processes.

Every child a run starts (git, the analyzer) runs in its own session (so its
whole process group can be killed), dies with the worker process
(``PR_SET_PDEATHSIG`` through ``setpriv``), and is waited for with a time
limit. A watcher callback runs while the child does, so a byte budget can
stop a download before the disk fills.
"""

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from pta_tasks.errors import ErrorCode, RunError

logger = logging.getLogger(__name__)

# How often a running child is polled for exit, cancel and its watcher (s).
POLL_INTERVAL_S = 0.1
# How much of a child's stdout/stderr is kept (bytes, from the end).
OUTPUT_TAIL_BYTES = 64 * 1024


@dataclass(frozen=True)
class Finished:
    """How a child ended: its exit status (negative: killed by that signal)."""

    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def stderr_text(self) -> str:
        """The captured stderr, decoded leniently."""
        return self.stderr.decode("utf-8", "replace")


class ChildTimeout(Exception):
    """Raised when a bounded child outlives its time limit (already killed)."""


def check_free_disk(path: Path, min_free_bytes: int, min_free_percent: float) -> int:
    """Return free bytes under ``path``; raise ``LOW_DISK_SPACE`` below the floor.

    The floor is the smaller of ``min_free_bytes`` and ``min_free_percent`` of
    the volume, so a small volume is not refused for ever.
    """
    probe = path
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    usage = shutil.disk_usage(probe)
    floor = min(min_free_bytes, int(usage.total * min_free_percent / 100))
    if usage.free < floor:
        raise RunError(
            f"{usage.free} bytes free under {path} < floor {floor} bytes",
            ErrorCode.LOW_DISK_SPACE,
        )
    return usage.free


def make_workdir(tmp_dir: Path, name: str) -> Path:
    """Create ``tmp_dir/name`` and return it, resolved.

    Raises ``WORKDIR_INVALID`` when ``tmp_dir`` is unusable and
    ``WORKDIR_ESCAPE`` when the directory resolves outside it (a symlink).
    """
    try:
        tmp_dir.mkdir(parents=True, exist_ok=True)
        base = tmp_dir.resolve(strict=True)
    except OSError as error:
        raise RunError(
            f"{tmp_dir}: {error.strerror}", ErrorCode.WORKDIR_INVALID
        ) from None
    if not base.is_dir() or not os.access(base, os.W_OK | os.X_OK):
        raise RunError(
            f"{tmp_dir}: not a writable directory", ErrorCode.WORKDIR_INVALID
        )

    workdir = base / name
    resolved = workdir.resolve()
    if resolved.parent != base or workdir.is_symlink():
        raise RunError(f"{workdir} resolves to {resolved}", ErrorCode.WORKDIR_ESCAPE)
    if workdir.exists():
        remove_tree(workdir)
    try:
        workdir.mkdir(mode=0o700)
    except OSError as error:
        raise RunError(
            f"{workdir}: {error.strerror}", ErrorCode.WORKDIR_INVALID
        ) from None
    return workdir


def remove_tree(path: Path) -> None:
    """Remove ``path`` and everything under it, never following a symlink out."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
        return
    if path.exists():
        # Read-only directories inside a clone would stop rmtree.
        for root, dirs, _files in os.walk(path):
            for name in dirs:
                child = Path(root) / name
                if not child.is_symlink():
                    child.chmod(0o700)
        shutil.rmtree(path, ignore_errors=True)


def tree_size(path: Path) -> tuple[int, int]:
    """Bytes and regular files under ``path`` (symlinks not followed)."""
    total = files = 0
    for root, _dirs, names in os.walk(path):
        for name in names:
            try:
                stat = os.lstat(Path(root, name))
            except OSError:
                continue  # a temporary file removed while we walk
            total += stat.st_size
            files += 1
    return total, files


class ChildGroup:
    """The process groups a run has started; ``kill_all`` ends every one.

    ``cancel`` may be called from another thread (the heartbeat): it kills the
    running children and makes the next ``run`` raise ``CANCELED``.
    """

    def __init__(self) -> None:
        self._pids: set[int] = set()
        self._lock = threading.Lock()
        self.canceled = threading.Event()
        self.cancel_reason = ""

    def cancel(self, reason: str) -> None:
        """Stop every child now and refuse new ones."""
        self.cancel_reason = reason
        self.canceled.set()
        self.kill_all()

    def kill_all(self) -> None:
        """SIGKILL every process group still registered."""
        with self._lock:
            pids = list(self._pids)
        for pid in pids:
            _kill_group(pid, signal.SIGKILL)

    def run(
        self,
        argv: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        timeout_s: float,
        memory_bytes: int | None = None,
        watch: Callable[[], None] | None = None,
        stdout_path: Path | None = None,
    ) -> Finished:
        """Run ``argv`` bounded; return how it ended.

        Raises ``ChildTimeout`` after ``timeout_s`` seconds, ``RunError``
        (``CANCELED``) when canceled, or whatever ``watch`` raises; in every
        case the child's whole process group is killed first.
        """
        self._raise_if_canceled()
        command = _wrap_command(list(argv), memory_bytes)
        out_path = stdout_path or cwd / f".child-{time.monotonic_ns()}.out"
        with (
            out_path.open("w+b") as stdout,
            (cwd / f".child-{time.monotonic_ns()}.err").open("w+b") as stderr,
        ):
            process = subprocess.Popen(
                command,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
            with self._lock:
                self._pids.add(process.pid)
            try:
                self._wait(process, timeout_s, watch)
            finally:
                _kill_group(process.pid, signal.SIGKILL)
                process.wait()
                with self._lock:
                    self._pids.discard(process.pid)
            self._raise_if_canceled()
            return Finished(process.returncode, _tail(stdout), _tail(stderr))

    def _wait(
        self,
        process: "subprocess.Popen[bytes]",
        timeout_s: float,
        watch: Callable[[], None] | None,
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while process.poll() is None:
            self._raise_if_canceled()
            if time.monotonic() > deadline:
                raise ChildTimeout(f"still running after {timeout_s:g} s")
            if watch is not None:
                watch()
            time.sleep(POLL_INTERVAL_S)

    def _raise_if_canceled(self) -> None:
        if self.canceled.is_set():
            raise RunError(self.cancel_reason or "canceled", ErrorCode.CANCELED)


def _wrap_command(argv: list[str], memory_bytes: int | None) -> list[str]:
    # setpriv and prlimit (util-linux) set the parent-death signal and the
    # address-space limit, then exec the command: no Python runs between
    # fork and exec, which would be unsafe with the heartbeat thread alive.
    if memory_bytes is not None:
        prlimit = shutil.which("prlimit")
        if prlimit is None:
            raise RunError(
                "prlimit not found; cannot bound memory", ErrorCode.UNKNOWN_ERROR
            )
        argv = [prlimit, f"--as={memory_bytes}:{memory_bytes}", "--", *argv]
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        logger.warning("setpriv not found: children may outlive a killed worker")
        return argv
    return [setpriv, "--pdeathsig", "KILL", "--", *argv]


def _kill_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _tail(handle: BinaryIO) -> bytes:
    size = handle.seek(0, os.SEEK_END)
    handle.seek(max(0, size - OUTPUT_TAIL_BYTES))
    return handle.read()
