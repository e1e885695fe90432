"""Running the extractors, in this process or spread over forked workers.

Extractors are pure functions of the repository, so they can run anywhere
and their facts be put back in their canonical order: the dossier is the same
byte for byte whatever ``jobs`` is. With ``jobs`` above one:

1. a worker is forked to run the extractors that read few files (CI, Docker,
   manifests...), while this process runs the first of the ``SHARED_READERS``,
   which reads and decodes nearly every source file into its read cache;
2. then ``jobs - 1`` workers are forked, which share that cache with this
   process (copy-on-write), and every one of these processes takes the next
   shared reader not yet taken until none is left.

Each worker sends back, extractor by extractor, its facts and which files it
read. An extractor a worker took but never reported (the worker died) is run
again here, so a lost worker costs time, never facts. Reading the shared files
once before forking costs no more time than every process reading them for
itself (they could not start sooner), and half the CPU with two processes.

For a moment, one process more than ``jobs`` may run: the first worker, when
it has not finished before the others are forked. Past the fork, each process
reads the files only it needs into its own read cache. Where ``os.fork`` does
not exist, everything runs in this process.
"""

import logging
import os
import pickle
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from pta_analyzer.facts import Fact
from pta_analyzer.index import RepoIndex
from pta_analyzer.walk import SkippedEntry

logger = logging.getLogger(__name__)

MAX_AUTO_JOBS = 4
# Extractors that read nearly every source file. The first (cheap once those
# files are read) runs in this process before the workers that run the others
# are forked, so they find the files read and decoded (shared copy-on-write)
# instead of reading them again; the others follow, the costly ones first, so
# that the last one to start is a small one and the processes finish together.
SHARED_READERS = ("auth", "secrets", "python", "envvars", "endpoints", "ports")

Extractor = Callable[[RepoIndex], Iterable[Fact]]
Progress = Callable[[str], None]
_FRAME = struct.Struct("!Q")  # length of each pickled report
_TOKEN = struct.Struct("!H")  # position of a name in the order of runs


@dataclass
class ExtractorRun:
    """What one extractor produced: its facts, or the error that stopped it."""

    name: str
    facts: list[Fact] = field(default_factory=list)
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The run as coverage.json records it."""
        return {"name": self.name, "facts": len(self.facts), "error": self.error}


def default_jobs() -> int:
    """How many processes extract when not told: the CPUs usable, up to 4."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on every platform
        usable = os.cpu_count() or 1
    return max(1, min(usable, MAX_AUTO_JOBS))


def run_extractors(
    index: RepoIndex,
    extractors: list[tuple[str, Extractor]],
    *,
    jobs: int = 1,
    progress: Progress | None = None,
) -> list[ExtractorRun]:
    """Run every extractor on ``index``; the runs come back in the given order.

    An extractor that raises is recorded with its error; the others go on.
    """
    report = progress or (lambda _stage: None)
    if jobs <= 1 or len(extractors) <= 1 or not hasattr(os, "fork"):
        return [_run_one(index, name, extract, report) for name, extract in extractors]
    return _run_forked(index, extractors, min(jobs, len(extractors)), report)


def _run_one(
    index: RepoIndex, name: str, extract: Extractor, report: Progress
) -> ExtractorRun:
    report(f"extract:{name}")
    try:
        return ExtractorRun(name, list(extract(index)))
    except Exception as error:  # an extractor bug must not lose the dossier
        logger.exception("extractor failed", extra={"extractor": name})
        return ExtractorRun(name, error=f"{type(error).__name__}: {error}")


def _run_forked(
    index: RepoIndex,
    extractors: list[tuple[str, Extractor]],
    jobs: int,
    report: Progress,
) -> list[ExtractorRun]:
    by_name = dict(extractors)
    shared = [name for name in SHARED_READERS if name in by_name]
    others = [name for name in by_name if name not in shared]
    runs: dict[str, ExtractorRun] = {}
    workers: list[_Worker] = []
    if shared:  # the others first, in a worker, while this process reads
        if others:
            workers.append(_Worker.fork(index, by_name, _TaskPipe(others)))
        first, *rest = shared
        runs[first] = _run_one(index, first, by_name[first], report)
    else:
        rest = others

    take = _TaskPipe(rest)
    workers += [
        _Worker.fork(index, by_name, take) for _ in range(min(jobs - 1, len(rest)))
    ]
    for worker in workers:
        worker.start()
    while (name := take()) is not None:
        runs[name] = _run_one(index, name, by_name[name], report)
    take.close()

    _collect(index, workers, runs)
    for name in by_name:
        if name not in runs:  # taken by a worker that died before reporting it
            logger.warning("extractor rerun", extra={"extractor": name})
            runs[name] = _run_one(index, name, by_name[name], report)
    return [runs[name] for name, _ in extractors]


def _collect(
    index: RepoIndex, workers: list["_Worker"], runs: dict[str, ExtractorRun]
) -> None:
    """Every worker's runs into ``runs``, and the files it read into ``index``."""
    for worker in workers:
        for worker_run, read, skips in worker.wait():
            runs[worker_run.name] = worker_run
            index.merge_reads(read, skips)


class _TaskPipe:
    """The names still to run, handed out one at a time to every process.

    A pipe filled with one fixed-size token per name, its write end closed,
    is read by the processes sharing it: a read of one token takes it from
    every other reader, and an empty pipe reads as its end. Reads this small
    from a pipe are atomic, so no lock is needed (``multiprocessing.Value``
    would cost its import and a semaphore, about 25 ms).
    """

    def __init__(self, names: list[str]) -> None:
        self._names = names
        self._read_end, write_end = os.pipe()
        # The tokens fit in the pipe's buffer (64 KiB on Linux, 16 KiB on
        # macOS: thousands of names), so the write never waits for a reader.
        tokens = b"".join(_TOKEN.pack(number) for number in range(len(names)))
        os.write(write_end, tokens)
        os.close(write_end)

    def __call__(self) -> str | None:
        """The next name nobody has taken, or None when all are taken."""
        token = os.read(self._read_end, _TOKEN.size)
        if len(token) != _TOKEN.size:
            return None
        number: int = _TOKEN.unpack(token)[0]
        return self._names[number]

    def close(self) -> None:
        """Stop sharing the pipe (what is left in it stays for the others)."""
        os.close(self._read_end)


_Report = tuple[ExtractorRun, list[str], list[SkippedEntry]]


class _Worker:
    """A forked process running extractors, and the thread reading its reports.

    The thread starts once every worker is forked (a process forked while
    another thread runs could inherit a lock that thread holds), then drains
    the pipe as reports arrive, so a worker never waits on a full pipe while
    this process is still extracting. Before, a worker whose reports fill the
    pipe's buffer (64 KiB on Linux; the few-file extractors' reports on the
    repositories tried are 4 to 29 KB) waits for that start.
    """

    def __init__(self, pid: int, pipe: IO[bytes]) -> None:
        self.pid = pid
        self.reports: list[_Report] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)

    def start(self) -> None:
        """Start reading reports (once every worker is forked)."""
        self._thread.start()

    @classmethod
    def fork(
        cls,
        index: RepoIndex,
        by_name: dict[str, Extractor],
        take: Callable[[], str | None],
    ) -> "_Worker":
        """Fork a worker that runs extractors until none is left."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(read_end)
            status = 1
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    _work(index, by_name, take, pipe)
                status = 0
            finally:
                os._exit(status)

        os.close(write_end)
        return cls(pid, os.fdopen(read_end, "rb"))

    def wait(self) -> list[_Report]:
        """Every complete report, once the worker has exited."""
        self._thread.join()
        _, status = os.waitpid(self.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        if code != 0:
            logger.warning(
                "extract worker failed", extra={"pid": self.pid, "exit": code}
            )
        return self.reports

    def _read(self, pipe: IO[bytes]) -> None:
        with pipe:
            while len(header := pipe.read(_FRAME.size)) == _FRAME.size:
                (size,) = _FRAME.unpack(header)
                data = pipe.read(size)
                if len(data) != size:
                    return  # the worker died while writing: that run is redone
                # Trusted: our own forked worker, over a private pipe.
                self.reports.append(pickle.loads(data))  # noqa: S301


def _work(
    index: RepoIndex,
    by_name: dict[str, Extractor],
    take: Callable[[], str | None],
    pipe: IO[bytes],
) -> None:
    """The worker's loop: each finished extractor is sent at once."""
    quiet: Progress = lambda _stage: None  # noqa: E731 - the parent reports
    while (name := take()) is not None:
        run = _run_one(index, name, by_name[name], quiet)
        read, skips = index.take_new_reads()
        data = pickle.dumps((run, read, skips), protocol=pickle.HIGHEST_PROTOCOL)
        pipe.write(_FRAME.pack(len(data)))
        pipe.write(data)
        pipe.flush()
