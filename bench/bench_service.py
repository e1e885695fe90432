"""Service benchmark: end-to-end runs against a bare Celery no-op floor.

Prints, side by side in one run:
- throughput (per minute) with 1, 2 and 4 worker processes: full runs on a
  small repository (clone, analyze, validate, store) and bare no-op tasks;
- enqueue-to-start latency (median, p95) on an idle worker: from just before
  ``enqueue_run`` to the run's claim (``started_at``), and from just before
  ``send_task`` to the no-op task's first line.

Needs the local Postgres and Redis (``.ci/services.sh``); it creates and drops
its own database, uses its own Redis db index, serves the repository with git
on loopback, and stops every process it started.

    python bench/bench_service.py [--runs N] [--noops N] [--samples N]
"""

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import select

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from pta_tasks.app import create_celery, make_dispatcher  # noqa: E402
from pta_tasks.db import make_engine, make_sessionmaker, upgrade_database  # noqa: E402
from pta_tasks.enqueue import enqueue_run  # noqa: E402
from pta_tasks.models import FINISHED_RUN_STATUSES, Run  # noqa: E402
from pta_tasks.settings import load_settings  # noqa: E402
from tests.tasks.conftest import create_database, drop_database  # noqa: E402
from tests.tasks.gitserver import GitHttpServer, make_bare_repo  # noqa: E402
from tests.tasks.service import Process  # noqa: E402

WORKER_COUNTS = (1, 2, 4)
NOOP_STARTED = "bench:noop:started"
NOOP_QUEUE = "bench-noop"
SMALL_REPO = {
    "app.py": "from flask import Flask\n\napp = Flask(__name__)\n\n"
    "@app.get('/')\ndef index():\n    return 'ok'\n",
    "requirements.txt": "flask>=3\ngunicorn\n",
    "Procfile": "web: gunicorn app:app --bind 0.0.0.0:$PORT\n",
    "README.md": "# demo\n\nRun `pip install -r requirements.txt` then `flask run`.\n",
    "tests/test_app.py": "def test_ok():\n    assert True\n",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=12, help="runs per worker count")
    parser.add_argument("--noops", type=int, default=300, help="no-ops per count")
    parser.add_argument("--samples", type=int, default=30, help="latency samples")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="pta-bench-") as tmp:
        bench = Bench(Path(tmp))
        try:
            bench.setup()
            report = bench.measure(args.runs, args.noops, args.samples)
        finally:
            bench.teardown()
    print_report(report)
    return 0


class Bench:
    """The database, broker, git server and processes of one benchmark."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.db_name = f"pta_bench_{secrets.token_hex(4)}"
        self.processes: list[Process] = []
        self.redis_index: int | None = None

    def setup(self) -> None:
        database_url = create_database(self.db_name)
        engine = make_engine(database_url)
        upgrade_database(engine)
        engine.dispose()
        self.redis_index = _claim_redis_index()
        root = self.tmp / "srv"
        root.mkdir()
        make_bare_repo(root, "acme/demo.git", SMALL_REPO)
        self.git = GitHttpServer(root, "unused-token").start()
        self.env = {
            **os.environ,
            "PTA_ENV": "test",
            "DATABASE_URL": database_url,
            "REDIS_URL": f"redis://127.0.0.1:6379/{self.redis_index}",
            "PTA_STATE_DIR": str(self.tmp / "state"),
            "CI_TMP_DIR": str(self.tmp / "ci"),
            "ALLOWED_REPO_HOSTS": "127.0.0.1",
            "ALLOWED_REPO_SCHEMES": "http",
            "ALLOW_PRIVATE_NETWORK": "true",
            "CI_DEDUPE_WINDOW_S": "0",
            "CI_MIN_FREE_BYTES": "1",
            "CI_QUEUE": "bench",
            "PYTHONPATH": str(REPO_ROOT),
        }
        self.settings = load_settings(self.env)
        self.app = create_celery(self.settings)
        self.dispatch = make_dispatcher(self.app)
        self.factory = make_sessionmaker(make_engine(database_url))
        self.redis = redis.Redis.from_url(self.env["REDIS_URL"])

    def teardown(self) -> None:
        self.stop_processes()
        if getattr(self, "git", None):
            self.git.stop()
        if getattr(self, "redis", None):
            self.redis.flushdb()
            self.redis.close()
        if self.redis_index is not None:
            _release_redis_index(self.redis_index)
        if getattr(self, "factory", None):
            self.factory.kw["bind"].dispose()
        drop_database(self.db_name)

    def measure(self, runs: int, noops: int, samples: int) -> dict[str, object]:
        report: dict[str, object] = {"throughput": {}, "load": [os.getloadavg()[0]]}
        self.start_workers("run", 1)
        self.start_workers("noop", 1)
        self.submit_and_wait(2)  # warm up the pool and the page cache
        report["run_latency"], report["noop_latency"] = self.latencies(samples)
        self.stop_processes()
        for count in WORKER_COUNTS:
            self.start_workers("run", count)
            e2e = self.run_throughput(runs)
            self.stop_processes()
            self.start_workers("noop", count)
            floor = self.noop_throughput(noops)
            self.stop_processes()
            report["throughput"][count] = (e2e, floor)  # type: ignore[index]
            print(f"  {count} worker(s): {e2e:.1f} runs/min, {floor:.0f} no-ops/min")
        report["load"].append(os.getloadavg()[0])  # type: ignore[attr-defined]
        return report

    def latencies(self, samples: int) -> tuple[list[float], list[float]]:
        """Alternate e2e and no-op samples, so both see the same machine load."""
        runs, noops = [], []
        for index in range(samples):
            runs.append(self.run_latency())
            noops.append(self.noop_latency(index))
        return runs, noops

    def start_workers(self, kind: str, count: int) -> None:
        names = []
        for index in range(count):
            name = f"{kind}{index}@bench"
            log = self.tmp / f"{kind}{index}.log"
            if kind == "run":
                argv = ["worker", "--hostname", name, "--loglevel", "WARNING"]
                process = Process(argv, self.env, log)
            else:
                noop = (str(REPO_ROOT / "bench" / "noop_worker.py"),)
                env = self.env | {"CI_QUEUE": NOOP_QUEUE}
                process = Process([name], env, log, program=noop)
            self.processes.append(process)
            names.append(name)
        _wait_ready(self.app, names, self.processes)

    def stop_processes(self) -> None:
        for process in self.processes:
            process.stop()
        self.processes.clear()

    def submit(self) -> uuid.UUID:
        url = self.git.url("acme/demo.git")
        return enqueue_run(self.factory, self.settings, self.dispatch, url).run_id

    def submit_and_wait(self, count: int) -> float:
        started = time.monotonic()
        ids = [self.submit() for _ in range(count)]
        self.wait_finished(ids)
        return time.monotonic() - started

    def wait_finished(self, ids: list[uuid.UUID]) -> None:
        deadline = time.monotonic() + 600
        with self.factory() as session:
            while time.monotonic() < deadline:
                rows = (
                    session.execute(select(Run.status).where(Run.id.in_(ids)))
                    .scalars()
                    .all()
                )
                if all(s in FINISHED_RUN_STATUSES for s in rows):
                    failed = [s for s in rows if s != "SUCCEEDED"]
                    if failed:
                        raise RuntimeError(f"runs failed: {failed}")
                    return
                session.rollback()
                time.sleep(0.05)
        raise TimeoutError("runs did not finish")

    def run_throughput(self, runs: int) -> float:
        elapsed = self.submit_and_wait(runs)
        return runs / elapsed * 60

    def run_latency(self) -> float:
        before = time.time()
        run_id = self.submit()
        self.wait_finished([run_id])
        with self.factory() as session:
            run = session.get_one(Run, run_id)
            started = run.started_at.timestamp() if run.started_at else before
        return started - before

    def noop_latency(self, index: int) -> float:
        self.redis.delete(NOOP_STARTED)
        before = time.time()
        self.app.send_task("bench.noop", args=[f"l{index}"], queue=NOOP_QUEUE)
        _, raw = self.redis.blpop([NOOP_STARTED], timeout=30) or (None, b"")
        return float(raw.split()[1]) - before

    def noop_throughput(self, count: int) -> float:
        self.redis.delete(NOOP_STARTED)
        started = time.monotonic()
        for index in range(count):
            self.app.send_task("bench.noop", args=[f"t{index}"], queue=NOOP_QUEUE)
        deadline = started + 300
        while self.redis.llen(NOOP_STARTED) < count:
            if time.monotonic() > deadline:
                raise TimeoutError("no-ops did not finish")
            time.sleep(0.01)
        return count / (time.monotonic() - started) * 60


def print_report(report: dict[str, object]) -> None:
    throughput: dict[int, tuple[float, float]] = report["throughput"]  # type: ignore[assignment]
    run_lat: list[float] = report["run_latency"]  # type: ignore[assignment]
    noop_lat: list[float] = report["noop_latency"]  # type: ignore[assignment]
    cores = os.cpu_count() or 1
    print()
    load = report["load"]
    print(
        f"PTA service benchmark ({cores} cores; 1-min load average"
        f" {load[0]:.1f} at start, {load[1]:.1f} at end)"  # type: ignore[index]
    )
    header = ("workers", "e2e runs/min", "no-op tasks/min", "e2e scaling")
    print(f"{header[0]:>8} | {header[1]:>13} | {header[2]:>16} | {header[3]:>11}")
    base = throughput[WORKER_COUNTS[0]][0]
    for count in WORKER_COUNTS:
        e2e, floor = throughput[count]
        print(f"{count:>8} | {e2e:>13.1f} | {floor:>16.0f} | {e2e / base:>10.2f}x")
    print()
    print(f"{'enqueue-to-start (ms)':<24} | {'median':>8} | {'p95':>8}")
    rows = (("e2e run (idle worker)", run_lat), ("bare Celery no-op", noop_lat))
    print("(samples alternate between the two, on idle single workers)")
    for label, values in rows:
        median, p95 = _ms(statistics.median(values)), _ms(_p95(values))
        print(f"{label:<24} | {median:>8} | {p95:>8}")
    ratio = statistics.median(run_lat) / statistics.median(noop_lat)
    ratio95 = _p95(run_lat) / _p95(noop_lat)
    verdict = "met" if ratio <= 2 else "NOT met"
    print(
        f"ratio e2e/floor: median {ratio:.2f}x, p95 {ratio95:.2f}x"
        f" (goal <= 2x: {verdict})"
    )


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _wait_ready(app: Any, names: list[str], processes: list[Process]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for process in processes:
            if process.popen.poll() is not None:
                raise RuntimeError(process.output())
        replies = app.control.ping(destination=names, timeout=0.5)
        if len(replies) == len(names):
            return
    raise TimeoutError("workers did not answer a ping")


def _claim_redis_index() -> int:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        for index in range(15, 0, -1):
            if client.set(f"pta-test-db-{index}", os.getpid(), nx=True, ex=3600):
                redis.Redis.from_url(f"redis://127.0.0.1:6379/{index}").flushdb()
                return index
    finally:
        client.close()
    raise RuntimeError("no free Redis db index")


def _release_redis_index(index: int) -> None:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    client.delete(f"pta-test-db-{index}")
    client.close()


if __name__ == "__main__":
    sys.exit(main())
