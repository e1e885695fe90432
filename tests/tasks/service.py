"""Real service processes for the tests: Celery workers and beat started as
``python -m pta_tasks``, stopped (their whole process group) by the tests."""

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.app import create_celery, make_dispatcher
from pta_tasks.enqueue import enqueue_run
from pta_tasks.models import FINISHED_RUN_STATUSES, Job, Run
from pta_tasks.runs import get_run
from pta_tasks.settings import Settings, load_settings

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60.0
# Timing settings that make recovery observable in seconds, not minutes.
FAST = {
    "CI_HEARTBEAT_S": "0.3",
    "CI_HEARTBEAT_TIMEOUT_S": "2",
    "CI_RETRY_BACKOFF_S": "0.2",
    "CI_RETRY_BACKOFF_MAX_S": "0.5",
    "CI_MAX_ATTEMPTS": "2",
    "CI_REQUEUE_AFTER_S": "1",
    "CI_RECONCILE_INTERVAL_S": "1",
    "CLONE_TIMEOUT_MS": "20000",
    "ANALYZER_TIMEOUT_MS": "120000",
    "MAX_REPO_BYTES": str(1024 * 1024),
    "MAX_FILE_COUNT": "40",
    "CI_MAX_TASKS_PER_CHILD": "100",
}


class Process:
    """A service process in its own session, with its log in a file."""

    def __init__(
        self,
        argv: list[str],
        env: Mapping[str, str],
        log: Path,
        program: tuple[str, ...] = ("-m", "pta_tasks"),
    ) -> None:
        self.log = log
        self._log_file = log.open("wb")
        self.popen = subprocess.Popen(
            [sys.executable, *program, *argv],
            env=dict(env),
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=self._log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for(self, text: str, timeout_s: float = START_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while text not in self.output():
            if self.popen.poll() is not None:
                raise RuntimeError(f"exited {self.popen.returncode}:\n{self.output()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"no {text!r} after {timeout_s} s:\n{self.output()}")
            time.sleep(0.1)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to the main process only (as a crash would)."""
        if self.popen.poll() is None:
            os.kill(self.popen.pid, sig)

    def stop(self) -> None:
        """Kill the whole process group and reap the main process."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._log_file.close()


class Service:
    """Settings, database and the broker of one test, plus its processes."""

    def __init__(
        self, env: Mapping[str, str], factory: sessionmaker[Session], logs: Path
    ) -> None:
        self.env = {**os.environ, **FAST, **env, "PYTHONPATH": str(REPO_ROOT)}
        self.settings: Settings = load_settings(self.env)
        self.factory = factory
        self.app = create_celery(self.settings)
        self.logs = logs
        self.processes: list[Process] = []

    def with_env(self, **overrides: str) -> "Service":
        """Change settings before any process starts."""
        self.env |= overrides
        self.settings = load_settings(self.env)
        self.app = create_celery(self.settings)
        return self

    def start_worker(self, name: str = "w1", **overrides: str) -> Process:
        env = self.env | overrides
        argv = ["worker", "--hostname", f"{name}@pta-test", "--loglevel", "INFO"]
        process = Process(argv, env, self.logs / f"{name}.log")
        self.processes.append(process)
        process.wait_for("ready")
        return process

    def start_beat(self) -> Process:
        process = Process(
            ["beat", "--loglevel", "INFO"], self.env, self.logs / "beat.log"
        )
        self.processes.append(process)
        process.wait_for("beat: Starting")
        return process

    def submit(self, url: str, ref: str | None = None) -> uuid.UUID:
        dispatch = make_dispatcher(self.app)
        result = enqueue_run(self.factory, self.settings, dispatch, url, ref=ref)
        return result.run_id

    def wait(self, run_id: uuid.UUID, timeout_s: float = 90.0) -> dict[str, Any]:
        """The run once it is finished and its job settled."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.factory() as session:
                run = session.get_one(Run, run_id)
                job = session.query(Job).filter(Job.run_id == run_id).one()
                done = run.status in FINISHED_RUN_STATUSES
                settled = job.status in ("DONE", "DEAD")
            if done and settled:
                return get_run(self.factory, run_id)
            time.sleep(0.1)
        logs = "\n".join(p.output()[-3000:] for p in self.processes)
        raise TimeoutError(f"{get_run(self.factory, run_id)}\n{logs}")

    def wait_status(
        self, run_id: uuid.UUID, job_status: str, timeout_s: float = 60.0
    ) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with self.factory() as session:
                job = session.query(Job).filter(Job.run_id == run_id).one()
                if job.status == job_status:
                    return
            time.sleep(0.05)
        raise TimeoutError(f"job of {run_id} never {job_status}")

    def stop(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes.clear()
