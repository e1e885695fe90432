"""Running the extractors, in this process or spread over forked workers.

Extractors are pure functions of the repository, so they can run anywhere
and their facts be put back in their canonical order: the dossier is the same
byte for byte whatever ``jobs`` is. With ``jobs`` above one, the process
forks ``jobs - 1`` workers after the walk; every process takes the next
extractor not yet taken (the costly ones first) until none is left, and each
worker sends back, extractor by extractor, its facts and which files it read.
An extractor a worker took but never reported (the worker died) is run again
here, so a lost worker costs time, never facts.

Each process reads and decodes the files its extractors need into its own
read cache (a share of one budget would make each process re-read files that
its extractors scan one after another). Where ``os.fork`` does not exist,
everything runs in this process.
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
# Extractors that cost the most on most repositories go first, so that the
# last one to start is a small one and the processes finish together.
COSTLY_FIRST = ("secrets", "python", "auth", "envvars", "endpoints", "ci", "ports")

Extractor = Callable[[RepoIndex], Iterable[Fact]]
Progress = Callable[[str], None]
_FRAME = struct.Struct("!Q")  # length of each pickled report


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
    order = _costly_first([name for name, _ in extractors])
    by_name = dict(extractors)
    import multiprocessing  # only here: most runs never fork

    next_task = multiprocessing.get_context("fork").Value("i", 0)

    def take() -> str | None:
        with next_task.get_lock():
            position = next_task.value
            next_task.value += 1
        return order[position] if position < len(order) else None

    workers = [_Worker.fork(index, by_name, take) for _ in range(jobs - 1)]
    runs: dict[str, ExtractorRun] = {}
    while (name := take()) is not None:
        runs[name] = _run_one(index, name, by_name[name], report)

    for worker in workers:
        for worker_run, read, skips in worker.wait():
            runs[worker_run.name] = worker_run
            index.merge_reads(read, skips)
    for name in order:
        if name not in runs:  # taken by a worker that died before reporting it
            logger.warning("extractor rerun", extra={"extractor": name})
            runs[name] = _run_one(index, name, by_name[name], report)
    return [runs[name] for name, _ in extractors]


_Report = tuple[ExtractorRun, list[str], list[SkippedEntry]]


class _Worker:
    """A forked process running extractors, and the thread reading its reports.

    The thread drains the pipe as reports arrive, so a worker never waits on
    a full pipe while this process is still extracting.
    """

    def __init__(self, pid: int, pipe: IO[bytes]) -> None:
        self.pid = pid
        self.reports: list[_Report] = []
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)
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


def _costly_first(names: list[str]) -> list[str]:
    costly = [name for name in COSTLY_FIRST if name in names]
    return costly + [name for name in names if name not in costly]


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
