"""Running the extractors, in this process or spread over forked workers.

Extractors are pure functions of the repository, so they can run anywhere
and their facts be put back in their canonical order: the dossier is the same
byte for byte whatever ``jobs`` is. With ``jobs`` above one:

1. a worker is forked to run the extractors that read few files (CI, Docker,
   manifests...), while this process runs the first of the ``SHARED_READERS``,
   which reads and decodes nearly every source file into its read cache
   (``run_all_extractors`` leaves that worker to import those extractors and
   to list them all, so this process imports only the shared readers);
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

import importlib
import logging
import os
import pickle
import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import IO, Any

from pta_analyzer import extractors as extractors_package
from pta_analyzer.extractors import all_extractors
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


def run_all_extractors(
    index: RepoIndex, *, jobs: int = 1, progress: Progress | None = None
) -> list[ExtractorRun]:
    """``run_extractors(index, all_extractors(), ...)``, importing less here.

    With ``jobs`` above one, this process imports only the shared readers:
    the first worker imports the other extractors (and lists them all for
    this process) while this process reads the shared files.
    """
    report = progress or (lambda _stage: None)
    if jobs <= 1 or not hasattr(os, "fork"):
        return run_extractors(index, all_extractors(), jobs=jobs, progress=report)
    return _run_all_forked(index, jobs, report)


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
    if not shared:  # none of them: the first given runs here first all the same
        shared, others = others, []
    workers = []
    if others:  # they run in a worker while this process runs the first reader
        take_other = _TaskPipe(others)
        workers.append(_Worker.fork(partial(_work, index, by_name, take_other)))
        take_other.close()
    runs = _after_first_reader(index, by_name, shared, workers, jobs, report)

    _rerun_missing(index, by_name, runs, report)
    return [runs[name] for name, _ in extractors]


def _run_all_forked(
    index: RepoIndex, jobs: int, report: Progress
) -> list[ExtractorRun]:
    lister = _Worker.fork(partial(_list_and_run_others, index))
    shared = _import_shared_readers()
    runs = _after_first_reader(index, shared, list(shared), [lister], jobs, report)

    names = lister.names
    if names is None or not runs.keys() >= set(names):  # the lister died
        by_name = dict(all_extractors())
        _rerun_missing(index, by_name, runs, report)
        names = list(by_name)
    return [runs[name] for name in names]


def _after_first_reader(
    index: RepoIndex,
    by_name: dict[str, Extractor],
    shared: list[str],
    workers: list["_Worker"],
    jobs: int,
    report: Progress,
) -> dict[str, ExtractorRun]:
    """The first shared reader here, then the others shared out, after it."""
    runs: dict[str, ExtractorRun] = {}
    if shared:
        runs[shared[0]] = _run_one(index, shared[0], by_name[shared[0]], report)
    runs.update(_share_out(index, by_name, shared[1:], workers, jobs, report))
    return runs


def _share_out(
    index: RepoIndex,
    by_name: dict[str, Extractor],
    names: list[str],
    workers: list["_Worker"],
    jobs: int,
    report: Progress,
) -> dict[str, ExtractorRun]:
    """Run ``names`` here and in ``jobs - 1`` new workers; collect ``workers``."""
    take = _TaskPipe(names)
    forks = min(jobs - 1, len(names))
    workers = workers + [
        _Worker.fork(partial(_work, index, by_name, take)) for _ in range(forks)
    ]
    for worker in workers:
        worker.start()
    runs: dict[str, ExtractorRun] = {}
    while (name := take()) is not None:
        runs[name] = _run_one(index, name, by_name[name], report)
    take.close()

    for worker in workers:
        for worker_run, read, skips in worker.wait():
            runs[worker_run.name] = worker_run
            index.merge_reads(read, skips)
    return runs


def _rerun_missing(
    index: RepoIndex,
    by_name: dict[str, Extractor],
    runs: dict[str, ExtractorRun],
    report: Progress,
) -> None:
    for name, extract in by_name.items():
        if name not in runs:  # taken by a worker that died before reporting it
            logger.warning("extractor rerun", extra={"extractor": name})
            runs[name] = _run_one(index, name, extract, report)


def _import_shared_readers() -> dict[str, Extractor]:
    """The shared readers of ``pta_analyzer.extractors``, as ``all_extractors``
    gives them (a module that fails to import raises its error when run).

    All are imported before the first runs: the words they register with
    ``needles`` are then found in the one pass the first makes over each file.
    """
    found: dict[str, Extractor] = {}
    for name in SHARED_READERS:
        try:
            module = importlib.import_module(f"{extractors_package.__name__}.{name}")
        except Exception as error:  # reported like any failure, as there
            found[name] = partial(_raise, error)
            continue
        extract = getattr(module, "extract", None)
        if callable(extract):
            found[name] = extract
    return found


def _raise(error: Exception, _index: RepoIndex) -> Iterable[Fact]:
    raise error


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
    this process is still extracting. Until then, a worker whose reports fill
    the pipe's buffer waits (64 KiB on Linux; the few-file extractors' reports
    on the 14 repositories of the golden check are 4 to 29 KB).
    """

    def __init__(self, pid: int, pipe: IO[bytes]) -> None:
        self.pid = pid
        self.reports: list[_Report] = []
        self.names: list[str] | None = None  # every extractor, when it lists them
        self._thread = threading.Thread(target=self._read, args=(pipe,), daemon=True)

    def start(self) -> None:
        """Start reading reports (once every worker is forked)."""
        self._thread.start()

    @classmethod
    def fork(cls, work: Callable[[IO[bytes]], None]) -> "_Worker":
        """Fork a worker that runs ``work``, writing its reports to a pipe."""
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the worker: never returns
            os.close(read_end)
            status = 1
            try:
                with os.fdopen(write_end, "wb") as pipe:
                    work(pipe)
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
                message: _Report | list[str] = pickle.loads(data)  # noqa: S301
                if isinstance(message, list):
                    self.names = message
                else:
                    self.reports.append(message)


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
        _send(pipe, (run, read, skips))


def _list_and_run_others(index: RepoIndex, pipe: IO[bytes]) -> None:
    """The first worker of ``run_all_extractors``: every extractor's name
    (importing them all), then the runs of those that are not shared readers.
    """
    extractors = all_extractors()
    _send(pipe, [name for name, _ in extractors])
    others = iter([name for name, _ in extractors if name not in SHARED_READERS])
    _work(index, dict(extractors), lambda: next(others, None), pipe)


def _send(pipe: IO[bytes], message: "_Report | list[str]") -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    pipe.write(_FRAME.pack(len(data)))
    pipe.write(data)
    pipe.flush()
