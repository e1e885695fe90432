"""Faults: a worker killed with SIGKILL mid-run, a message lost by the broker.
Postgres is the truth; the reconciler recovers what the broker lost."""

import signal
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import redis
from sqlalchemy import Engine, func, select, text, update

from pta_tasks.models import Job, RunOutput
from pta_tasks.reconcile import reconcile_once

from .conftest import fake_repo
from .gitserver import GitHttpServer
from .service import Service

pytestmark = pytest.mark.slow


def _wait_for_pid(path: Path, timeout_s: float = 60.0) -> int:
    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.05)
    return int(path.read_text())


def _gone(pid: int, timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().split()[2]
        except FileNotFoundError:
            return True
        if state == "Z":
            return True
        time.sleep(0.05)
    return False


def test_worker_killed_mid_run_and_the_run_finishes_exactly_once(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    pidfile = tmp_path / "analyzer.pid"
    url = fake_repo(git_server, "slow", {"sleep": 3, "pidfile": str(pidfile)})
    fake = {"CI_ANALYZER_MODULE": "tests.tasks.fake_analyzer"}
    first = service.start_worker("w1", **fake)
    run_id = service.submit(url)
    analyzer_pid = _wait_for_pid(pidfile)
    pidfile.unlink()

    first.kill(signal.SIGKILL)
    assert _gone(analyzer_pid), "the analyzer outlived its killed worker"
    service.start_worker("w2", **fake)
    service.start_beat()
    run = service.wait(run_id)

    assert run["status"] == "SUCCEEDED", run
    assert run["attempts"] == 2
    assert run["job"]["worker_name"] == "w2@pta-test"
    assert run["job"]["status"] == "DONE"
    with service.factory() as session:
        stored = session.scalar(
            select(func.count())
            .select_from(RunOutput)
            .where(RunOutput.run_id == run_id)
        )
    assert stored == 5
    assert not (service.settings.tmp_dir / f"run-{run_id}").exists()

    # A late duplicate of the message (what Redis restores after the
    # visibility timeout) does not run the analysis again.
    pidfile.unlink()
    service.app.send_task(
        "pta.run_analysis", args=[str(run_id)], queue=service.settings.queue
    )
    time.sleep(2)
    assert not pidfile.exists()
    assert service.wait(run_id)["finished_at"] == run["finished_at"]


def test_worker_lost_on_the_last_attempt_fails_the_run(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    service.with_env(CI_MAX_ATTEMPTS="1")
    pidfile = tmp_path / "analyzer.pid"
    url = fake_repo(git_server, "doomed", {"sleep": 30, "pidfile": str(pidfile)})
    worker = service.start_worker(CI_ANALYZER_MODULE="tests.tasks.fake_analyzer")
    run_id = service.submit(url)
    _wait_for_pid(pidfile)

    worker.kill(signal.SIGKILL)
    time.sleep(service.settings.heartbeat_timeout_s + 0.5)
    report = reconcile_once(service.app.pta_runtime)
    run = service.wait(run_id, timeout_s=5)

    assert report["taken_back"] == 1
    assert run["status"] == "FAILED"
    assert run["error_code"] == "WORKER_LOST"
    assert run["job"]["status"] == "DEAD"


def test_reconciler_resends_a_lost_message(
    service: Service, git_server: GitHttpServer
) -> None:
    run_id = service.submit(git_server.url("acme/app.git"))
    broker = redis.Redis.from_url(service.settings.redis_url or "")
    assert broker.delete(service.settings.queue) == 1  # the message is lost
    broker.close()
    service.start_worker()
    time.sleep(service.settings.requeue_after_s + 0.2)
    with service.factory() as session:
        assert (
            session.scalar(select(Job.status).where(Job.run_id == run_id)) == "QUEUED"
        )

    report = reconcile_once(service.app.pta_runtime)
    run = service.wait(run_id)

    assert report["resent"] == 1
    assert run["status"] == "SUCCEEDED", run
    assert run["attempts"] == 1


def test_reconciler_leaves_a_message_in_flight_alone(
    service: Service, git_server: GitHttpServer
) -> None:
    run_id = service.submit(git_server.url("acme/app.git"))
    with service.factory.begin() as session:
        session.execute(update(Job).where(Job.run_id == run_id).values(sent_at=None))

    report = reconcile_once(service.app.pta_runtime)

    assert report["resent"] == 0
    broker = redis.Redis.from_url(service.settings.redis_url or "")
    assert broker.llen(service.settings.queue) == 1
    broker.close()


def test_a_task_stuck_past_its_time_limit_is_cleaned_up_and_failed(
    service: Service, git_server: GitHttpServer, engine: Engine
) -> None:
    # Limits: soft 2 + 2 x 8 + 0 = 18 s, hard 8 s later; storing hangs.
    run_id, run = _run_with_stalled_store(
        service, git_server, engine, cleanup_gap_s=8, until="time limit", wait_s=60
    )

    assert run["status"] == "FAILED"
    assert run["error_code"] == "TASK_TIMEOUT"
    assert not (service.settings.tmp_dir / f"run-{run_id}").exists()


def test_a_task_killed_by_the_hard_limit_is_failed_by_the_worker(
    service: Service, git_server: GitHttpServer, engine: Engine
) -> None:
    # The row lock outlives the soft limit and the gap after it, so the pool
    # process is killed; the worker's main process records the outcome.
    run_id, run = _run_with_stalled_store(
        service, git_server, engine, cleanup_gap_s=2, until="Hard time limit", wait_s=30
    )

    # Whichever of the pool process (still finishing) and the main process
    # (its failure hook) gets the row first records the outcome.
    assert run["status"] == "FAILED"
    assert run["error_code"] == "TASK_TIMEOUT"
    assert run["job"]["status"] == "DEAD"
    assert not (service.settings.tmp_dir / f"run-{run_id}").exists()


def _run_with_stalled_store(
    service: Service,
    git_server: GitHttpServer,
    engine: Engine,
    cleanup_gap_s: int,
    until: str,
    wait_s: float,
) -> tuple[uuid.UUID, dict[str, Any]]:
    """A run whose job row the test locks (a stalled database) until the
    worker logs ``until``; returns the run id and the finished run."""
    worker = service.start_worker(
        CLONE_TIMEOUT_MS="2000",
        ANALYZER_TIMEOUT_MS="8000",
        CI_TASK_MARGIN_S="0",
        CI_CLEANUP_GAP_S=str(cleanup_gap_s),
        CI_HEARTBEAT_TIMEOUT_S="120",
    )
    run_id = service.submit(git_server.url("acme/app.git"))
    service.wait_status(run_id, "IN_PROGRESS")

    with engine.connect() as connection:
        connection.execute(
            text("SELECT 1 FROM ci_jobs WHERE run_id = :id FOR UPDATE"),
            {"id": run_id},
        )
        worker.wait_for(until, timeout_s=60)
        connection.rollback()
    return run_id, service.wait(run_id, timeout_s=wait_s)
