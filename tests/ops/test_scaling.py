"""Workers started with k8s/worker.yaml's command share one queue: adding a
worker adds a consumer. Speed is not asserted here (timed tests lie on a
shared machine); ``python -m tests.ops.scaling`` prints the figures that
docs/OPERATIONS.md quotes."""

import os
from pathlib import Path

from .scaling import drain, make_repos, manifest_worker_command


def test_manifest_command_is_a_celery_worker_of_pta_tasks() -> None:
    command = manifest_worker_command()
    assert Path(command[0]).name == "celery"
    assert command[1:4] == ["-A", "pta_tasks", "worker"]


def test_two_manifest_workers_share_the_queue(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = {
        "PTA_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "PTA_STATE_DIR": str(tmp_path / "state"),
        "CI_TMP_DIR": str(tmp_path / "ci"),
        "CI_MIN_FREE_BYTES": "1",
        "CI_MIN_FREE_PERCENT": "0",
    }

    urls = make_repos(tmp_path / "repos", 4)
    logs = tmp_path / "logs"
    logs.mkdir()
    _, per_worker = drain(os.environ | env, 2, urls, logs)
    assert sum(per_worker.values()) == 4
    assert len(per_worker) == 2, per_worker
