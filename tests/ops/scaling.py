"""Workers started the way k8s/worker.yaml starts them, draining a queue.

``drain(env, workers, runs)`` starts ``workers`` processes with the manifest's
command, queues ``runs`` analyses of distinct copies of the bundled fixture
(real clone, analyze, validate, store), and returns the seconds from the
first submit to the last finished run, and which worker ran each.

    python -m tests.ops.scaling [--runs N] [--workers 1,2,3,4]

prints the drain time and the speed-up over one worker for each count (needs
the local Postgres and Redis; creates and drops its own database).
"""

import argparse
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import redis
import yaml
from sqlalchemy import select

from pta_tasks.app import create_celery, make_dispatcher
from pta_tasks.db import make_engine, make_sessionmaker, upgrade_database
from pta_tasks.enqueue import enqueue_run
from pta_tasks.models import FINISHED_RUN_STATUSES, Job, Run
from pta_tasks.settings import load_settings

from .stack import Proc, local_argv
from .tools import ROOT

FIXTURE = ROOT / "examples" / "demo-service"
DRAIN_TIMEOUT_S = 600.0


def manifest_worker_command() -> list[str]:
    """The worker container's command in k8s/worker.yaml, made local."""
    deployment = yaml.safe_load((ROOT / "k8s" / "worker.yaml").read_text())
    command: list[str] = deployment["spec"]["template"]["spec"]["containers"][0][
        "command"
    ]
    return local_argv(command)


def make_repos(root: Path, count: int) -> list[str]:
    """``count`` git copies of the fixture, each its own commit; file URLs."""
    env = os.environ | {
        "GIT_AUTHOR_NAME": "bench",
        "GIT_AUTHOR_EMAIL": "bench@invalid",
        "GIT_COMMITTER_NAME": "bench",
        "GIT_COMMITTER_EMAIL": "bench@invalid",
    }
    urls = []
    for index in range(count):
        repo = root / f"repo-{index}"
        shutil.copytree(FIXTURE, repo)
        (repo / "NOTES.txt").write_text(f"copy {index}\n")
        for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "c"]):
            subprocess.run(["git", *command], cwd=repo, env=env, check=True)
        urls.append(repo.as_uri())
    return urls


def drain(
    env: Mapping[str, str], workers: int, urls: list[str], logs: Path
) -> tuple[float, dict[str, int]]:
    """Seconds to drain ``urls`` with ``workers`` processes; runs per worker."""
    env = dict(env) | {"CI_QUEUE": f"scale{secrets.token_hex(4)}"}
    settings = load_settings(env)
    engine = make_engine(settings.database_url)
    factory = make_sessionmaker(engine)
    dispatch = make_dispatcher(create_celery(settings, with_tasks=False))
    procs = []
    try:
        for index in range(workers):
            name = f"w{index}-of-{workers}"
            argv = [*manifest_worker_command(), f"--hostname={name}@%h"]
            procs.append(Proc(name, argv, env | {"WORKER_METRICS_PORT": "0"}, logs))
        for proc in procs:
            proc.wait_for("ready")

        started = time.monotonic()
        ids = [
            enqueue_run(factory, settings, dispatch, url, allow_local=True).run_id
            for url in urls
        ]
        deadline = started + DRAIN_TIMEOUT_S
        while True:
            with factory() as session:
                rows = session.execute(
                    select(Run.status, Job.worker_name)
                    .join(Job, Job.run_id == Run.id)
                    .where(Run.id.in_(ids))
                ).all()
            if all(status in FINISHED_RUN_STATUSES for status, _ in rows):
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"runs not drained: {rows}")
            time.sleep(0.1)
        elapsed = time.monotonic() - started
        failed = [s for s, _ in rows if s != "SUCCEEDED"]
        if failed:
            raise RuntimeError(f"runs did not succeed: {failed}")
        per_worker: dict[str, int] = {}
        for _, worker in rows:
            node = str(worker).split("@")[0]
            per_worker[node] = per_worker.get(node, 0) + 1
        return elapsed, per_worker
    finally:
        for proc in procs:
            proc.stop()
        engine.dispose()


def main() -> int:
    from tests.tasks.conftest import create_database, drop_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--workers", default="1,2,3,4")
    args = parser.parse_args()
    counts = [int(n) for n in args.workers.split(",")]

    name = f"pta_scale_{secrets.token_hex(3)}"
    url = create_database(name)
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    redis_index = 14
    redis.Redis.from_url(f"redis://127.0.0.1:6379/{redis_index}").flushdb()
    try:
        with tempfile.TemporaryDirectory(prefix="pta-scale-") as scratch:
            base = Path(scratch)
            env = os.environ | {
                "PTA_ENV": "test",
                "DATABASE_URL": url,
                "REDIS_URL": f"redis://127.0.0.1:6379/{redis_index}",
                "PTA_STATE_DIR": str(base / "state"),
                "CI_TMP_DIR": str(base / "ci"),
                "CI_MIN_FREE_BYTES": "1",
                "CI_MIN_FREE_PERCENT": "0",
                "CI_DEDUPE_WINDOW_S": "0",
            }
            logs = base / "logs"
            logs.mkdir()
            print(f"{args.runs} runs of {FIXTURE.name}, {os.cpu_count()} cores;")
            print("workers  drain_s  runs/min  speed-up  runs per worker")
            baseline = None
            for count in counts:
                repos = base / f"repos-{count}"
                repos.mkdir()
                urls = make_repos(repos, args.runs)
                elapsed, per_worker = drain(env, count, urls, logs)
                baseline = baseline or elapsed
                rate = 60 * args.runs / elapsed
                spread = sorted(per_worker.values(), reverse=True)
                print(
                    f"{count:7d}  {elapsed:7.1f}  {rate:8.1f}  "
                    f"{baseline / elapsed:7.2f}x  {spread}"
                )
    finally:
        drop_database(name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
