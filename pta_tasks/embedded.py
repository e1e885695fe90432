"""``pta serve``: the whole service on one machine, no servers needed.

With no configuration the database is a SQLite file and the broker a
directory (both under ``PTA_STATE_DIR``); ``serve`` migrates the SQLite file,
then runs the API, one worker and beat as child processes and stops them all
when one exits or on SIGINT/SIGTERM. Production sets ``DATABASE_URL`` and
``REDIS_URL`` and runs the three parts separately.
"""

import logging
import os
import signal
import subprocess
import sys
import time
from types import FrameType

from pta_tasks.db import check_schema_current, make_engine, upgrade_database
from pta_tasks.settings import Settings

logger = logging.getLogger(__name__)

# Seconds the children get to stop after SIGTERM before SIGKILL.
STOP_GRACE_S = 10.0
PARTS = {
    "worker": ["-m", "pta_tasks", "worker", "--concurrency", "1"],
    "beat": ["-m", "pta_tasks", "beat"],
    "api": ["-m", "pta_analyzer", "api", "serve"],
}


def serve(
    settings: Settings, parts: tuple[str, ...] = ("api", "worker", "beat")
) -> int:
    """Run ``parts`` until one exits or a stop signal arrives; its status."""
    engine = make_engine(settings.database_url)
    if settings.database_url.startswith("sqlite"):
        upgrade_database(engine)  # embedded: nobody else will migrate it
    check_schema_current(engine)
    engine.dispose()

    children = {name: _start(name) for name in parts}
    stopping: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        stopping.append(signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    status: int | None = 0
    while not stopping:
        ended = {n: p.poll() for n, p in children.items() if p.poll() is not None}
        if ended:
            name, status = next(iter(ended.items()))
            logger.warning(
                "service part exited", extra={"part": name, "status": status}
            )
            break
        time.sleep(0.2)
    _stop_all(children)
    return int(status or 0)


def _start(name: str) -> "subprocess.Popen[bytes]":
    process = subprocess.Popen(
        [sys.executable, *PARTS[name]], env=dict(os.environ), start_new_session=True
    )
    logger.info("service part started", extra={"part": name, "pid": process.pid})
    return process


def _stop_all(children: dict[str, "subprocess.Popen[bytes]"]) -> None:
    for process in children.values():
        _signal_group(process, signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    for process in children.values():
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: "subprocess.Popen[bytes]", sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        return
