"""Reading and steering runs: what the API calls besides ``enqueue_run``.

Every function takes a session factory and returns plain data (dicts, bytes),
so callers never hold ORM objects past a transaction.
"""

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import transaction
from pta_tasks.enqueue import Dispatcher, send_run
from pta_tasks.errors import ErrorCode, RunNotFound, RunStateConflict, format_error
from pta_tasks.models import (
    FINISHED_RUN_STATUSES,
    Job,
    JobStatus,
    Run,
    RunOutput,
    RunStatus,
    WebhookDelivery,
    utcnow,
)

logger = logging.getLogger(__name__)

MAX_PAGE = 200


def run_to_dict(run: Run) -> dict[str, Any]:
    """The JSON shape of a run (with its job) as the API shows it."""
    job = run.job
    return {
        "id": str(run.id),
        "repository": {
            "url": run.repo_url,
            "owner": run.repo_owner,
            "name": run.repo_name,
        },
        "ref": run.ref,
        "commit_sha": run.commit_sha,
        "event_type": run.event_type,
        "status": run.status,
        "created_at": _iso(run.created_at),
        "started_at": _iso(run.started_at),
        "finished_at": _iso(run.finished_at),
        "error_code": run.error_code,
        "error": run.error,
        "analyzer_version": run.analyzer_version,
        "summary": run.summary,
        "attempts": run.attempts,
        "job": None
        if job is None
        else {
            "status": job.status,
            "attempts": job.attempts,
            "heartbeat_at": _iso(job.heartbeat_at),
            "worker_name": job.worker_name,
            "last_error": job.last_error,
        },
    }


def get_run(factory: sessionmaker[Session], run_id: uuid.UUID) -> dict[str, Any]:
    """The run ``run_id``; raises ``RunNotFound``."""
    with factory() as session:
        return run_to_dict(_load(session, run_id))


def list_runs(
    factory: sessionmaker[Session],
    status: RunStatus | None = None,
    limit: int = 50,
    before: datetime | None = None,
) -> list[dict[str, Any]]:
    """Runs, newest first; ``before`` pages by ``created_at``."""
    query = select(Run).order_by(Run.created_at.desc(), Run.id)
    if status is not None:
        query = query.where(Run.status == status)
    if before is not None:
        query = query.where(Run.created_at < before)
    query = query.limit(max(1, min(limit, MAX_PAGE)))
    with factory() as session:
        return [run_to_dict(run) for run in session.scalars(query)]


def list_outputs(
    factory: sessionmaker[Session], run_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Name, size, SHA-256 and media type of each stored output of a run."""
    query = (
        select(
            RunOutput.name, RunOutput.size_bytes, RunOutput.sha256, RunOutput.media_type
        )
        .where(RunOutput.run_id == run_id)
        .order_by(RunOutput.name)
    )
    with factory() as session:
        _load(session, run_id)
        return [
            {"name": n, "size_bytes": s, "sha256": h, "media_type": m}
            for n, s, h, m in session.execute(query)
        ]


def read_output(
    factory: sessionmaker[Session], run_id: uuid.UUID, name: str
) -> tuple[bytes, str, str]:
    """The bytes, media type and SHA-256 of one output; raises ``RunNotFound``."""
    with factory() as session:
        output = session.get(RunOutput, (run_id, name))
        if output is None:
            raise RunNotFound(f"run {run_id} has no output {name!r}")
        return output.content, output.media_type, output.sha256


def cancel_run(factory: sessionmaker[Session], run_id: uuid.UUID) -> dict[str, Any]:
    """Cancel a queued or running run.

    A queued job is marked ``DEAD`` at once; a running one is stopped by its
    worker within one heartbeat (its processes killed, its directory removed).
    Raises ``RunStateConflict`` for a run already finished.
    """
    with transaction(factory) as session:
        run = _load(session, run_id, for_update=True)
        if run.status in FINISHED_RUN_STATUSES:
            raise RunStateConflict(f"run {run_id} is already {run.status}")
        run.status = RunStatus.CANCELED
        run.error_code = ErrorCode.CANCELED
        run.error = format_error(ErrorCode.CANCELED, "canceled on request")
        run.finished_at = utcnow()
        if run.job.status == JobStatus.QUEUED:
            run.job.status = JobStatus.DEAD
        logger.info("run canceled", extra={"run_id": str(run_id)})
        return run_to_dict(run)


def retry_run(
    factory: sessionmaker[Session], dispatch: Dispatcher, run_id: uuid.UUID
) -> dict[str, Any]:
    """Queue a failed or canceled run again with fresh attempts.

    Raises ``RunStateConflict`` unless the run is ``FAILED`` or ``CANCELED``
    and its job is no longer in progress.
    """
    with transaction(factory) as session:
        run = _load(session, run_id, for_update=True)
        retriable = run.status in (RunStatus.FAILED, RunStatus.CANCELED)
        if not retriable or run.job.status == JobStatus.IN_PROGRESS:
            raise RunStateConflict(f"run {run_id} is {run.status}; cannot retry")
        run.status = RunStatus.QUEUED
        run.error_code = run.error = None
        run.started_at = run.finished_at = None
        run.job.status = JobStatus.QUEUED
        run.job.attempts = 0
        run.job.not_before = None
    send_run(factory, dispatch, run_id)
    logger.info("run retried", extra={"run_id": str(run_id)})
    return get_run(factory, run_id)


def health_counts(factory: sessionmaker[Session]) -> dict[str, Any]:
    """Queue depth by job status, runs by status, the oldest queued job's age."""
    with factory() as session:
        jobs = dict(
            session.execute(select(Job.status, func.count()).group_by(Job.status)).all()
        )
        runs = dict(
            session.execute(select(Run.status, func.count()).group_by(Run.status)).all()
        )
        oldest = session.scalar(
            select(func.min(Job.created_at)).where(Job.status == JobStatus.QUEUED)
        )
    age = None
    if oldest is not None:
        age = (utcnow() - _aware(oldest)).total_seconds()
    return {
        "jobs": {s.value: int(jobs.get(s.value, 0)) for s in JobStatus},
        "runs": {s.value: int(runs.get(s.value, 0)) for s in RunStatus},
        "oldest_queued_age_s": age,
    }


def record_webhook_delivery(
    factory: sessionmaker[Session],
    delivery_id: str,
    event_type: str,
    run_id: uuid.UUID | None = None,
) -> bool:
    """Remember a webhook delivery id; False if it was seen before."""
    try:
        with transaction(factory) as session:
            session.add(
                WebhookDelivery(
                    delivery_id=delivery_id, event_type=event_type, run_id=run_id
                )
            )
    except IntegrityError:
        return False
    return True


def attach_webhook_run(
    factory: sessionmaker[Session], delivery_id: str, run_id: uuid.UUID
) -> None:
    """Link a recorded delivery to the run it produced."""
    with transaction(factory) as session:
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.delivery_id == delivery_id)
            .values(run_id=run_id)
        )


def _load(session: Session, run_id: uuid.UUID, for_update: bool = False) -> Run:
    query = select(Run).where(Run.id == run_id)
    if for_update:
        query = query.with_for_update()
    run = session.scalars(query).first()
    if run is None:
        raise RunNotFound(f"no run {run_id}")
    return run


def _aware(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; every stored time is UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=utcnow().tzinfo)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else _aware(moment).isoformat()
