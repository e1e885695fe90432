"""Retention and stale work directories (no worker needed)."""

import os
import time
import uuid
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pta_tasks.models import Job, JobStatus, Run, RunOutput, RunStatus, utcnow
from pta_tasks.reconcile import apply_retention, reconcile_once, remove_stale_workdirs
from pta_tasks.runs import record_webhook_delivery

from .service import Service


def _finished_run(session: Session, age: timedelta, status: RunStatus) -> uuid.UUID:
    run = Run(
        repo_url="https://github.com/o/r",
        status=status,
        analyzer_version="pta-test",
        created_at=utcnow() - age,
        finished_at=utcnow() - age,
    )
    run.job = Job(status=JobStatus.DONE, created_at=utcnow() - age)
    run.outputs = [
        RunOutput(
            name="operate.json",
            size_bytes=2,
            sha256="0" * 64,
            media_type="application/json",
            content=b"{}",
        )
    ]
    session.add(run)
    session.flush()
    return run.id


def test_retention_purges_old_outputs_then_old_runs(service: Service) -> None:
    service.with_env(CI_OUTPUT_RETENTION_DAYS="7", CI_RUN_RETENTION_DAYS="30")
    with service.factory.begin() as session:
        fresh = _finished_run(session, timedelta(days=1), RunStatus.SUCCEEDED)
        stale = _finished_run(session, timedelta(days=10), RunStatus.SUCCEEDED)
        ancient = _finished_run(session, timedelta(days=40), RunStatus.FAILED)
    record_webhook_delivery(service.factory, "d-1", "push", ancient)

    report = apply_retention(service.app.pta_runtime)

    assert report == {"outputs_purged": 2, "runs_purged": 1}
    with service.factory() as session:
        runs = set(session.scalars(select(Run.id)))
        with_outputs = set(session.scalars(select(RunOutput.run_id)))
        jobs = session.scalar(select(func.count()).select_from(Job))
    assert runs == {fresh, stale}
    assert with_outputs == {fresh}
    assert jobs == 2


def test_retention_keeps_runs_in_flight(service: Service) -> None:
    service.with_env(CI_OUTPUT_RETENTION_DAYS="0", CI_RUN_RETENTION_DAYS="0")
    with service.factory.begin() as session:
        run = Run(
            repo_url="https://github.com/o/r",
            status=RunStatus.QUEUED,
            analyzer_version="pta-test",
            created_at=utcnow() - timedelta(days=400),
        )
        run.job = Job(status=JobStatus.QUEUED)
        session.add(run)

    report = apply_retention(service.app.pta_runtime)

    assert report == {"outputs_purged": 0, "runs_purged": 0}


def test_stale_workdirs_are_removed_but_not_those_in_progress(
    service: Service,
) -> None:
    tmp = service.settings.tmp_dir
    busy_id = uuid.uuid4()
    with service.factory.begin() as session:
        run = Run(
            id=busy_id,
            repo_url="https://github.com/o/r",
            status=RunStatus.RUNNING,
            analyzer_version="pta-test",
        )
        run.job = Job(status=JobStatus.IN_PROGRESS, heartbeat_at=utcnow())
        session.add(run)
    old = time.time() - 3600
    paths = {}
    for name in (f"run-{uuid.uuid4()}", f"run-{busy_id}", "run-not-a-uuid"):
        path = tmp / name
        (path / "repo").mkdir(parents=True)
        (path / "repo" / "f").write_text("x")
        os.utime(path, (old, old))
        paths[name] = path
    young = tmp / f"run-{uuid.uuid4()}"
    young.mkdir()

    removed = remove_stale_workdirs(service.app.pta_runtime)

    assert removed == 1
    assert sorted(p.name for p in tmp.iterdir()) == sorted(
        [f"run-{busy_id}", "run-not-a-uuid", young.name]
    )


def test_a_pass_with_nothing_to_do_changes_nothing(service: Service) -> None:
    report = reconcile_once(service.app.pta_runtime)

    assert set(report.values()) == {0}
