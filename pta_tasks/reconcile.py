"""The reconciler: Postgres is the truth, the broker only a transport.

One pass (``reconcile_once``, scheduled by beat as ``pta.reconcile``):

1. takes back ``IN_PROGRESS`` jobs whose heartbeat stopped: queued again, or
   ``DEAD`` with ``WORKER_LOST`` once the attempts are used up;
2. re-sends ``QUEUED`` jobs whose last message is older than
   ``CI_REQUEUE_AFTER_S`` and that have no message in the broker;
3. deletes outputs past ``CI_OUTPUT_RETENTION_DAYS`` and finished runs past
   ``CI_RUN_RETENTION_DAYS`` (with their jobs and webhook links);
4. removes work directories of runs no longer in progress on this machine.
"""

import base64
import contextlib
import json
import logging
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery
from sqlalchemy import delete, or_, select

from pta_tasks.app import RECONCILE_TASK, RUN_TASK, make_dispatcher
from pta_tasks.db import transaction
from pta_tasks.enqueue import send_run
from pta_tasks.errors import ErrorCode, format_error
from pta_tasks.limits import remove_tree
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
from pta_tasks.worker import Runtime

logger = logging.getLogger(__name__)

# Most jobs handled in one pass of each kind (a big backlog takes several).
BATCH = 500
# A work directory younger than this is never removed (s): its run may have
# just been claimed on this machine.
WORKDIR_MIN_AGE_S = 60.0


def register(app: Celery) -> None:
    """Register the reconciler task on ``app``."""

    @app.task(name=RECONCILE_TASK, ignore_result=True, acks_late=False)  # type: ignore[untyped-decorator]
    def reconcile() -> dict[str, int]:
        return reconcile_once(app.pta_runtime)


def reconcile_once(runtime: Runtime) -> dict[str, int]:
    """One reconciler pass; returns how many of each thing it changed."""
    report = {
        "taken_back": take_back_stalled(runtime),
        "resent": resend_lost_messages(runtime),
    }
    report |= apply_retention(runtime)
    report["workdirs_removed"] = remove_stale_workdirs(runtime)
    if any(report.values()):
        logger.info("reconciler pass", extra=report)
    return report


def take_back_stalled(runtime: Runtime) -> int:
    """Re-queue (or bury) ``IN_PROGRESS`` jobs whose heartbeat stopped."""
    settings = runtime.settings
    cutoff = utcnow() - timedelta(seconds=settings.heartbeat_timeout_s)
    requeue: list[uuid.UUID] = []
    count = 0
    with transaction(runtime.factory) as session:
        query = (
            select(Job)
            .where(
                Job.status == JobStatus.IN_PROGRESS,
                or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < cutoff),
            )
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        )
        for job in session.scalars(query):
            count += 1
            lost = format_error(
                ErrorCode.WORKER_LOST, f"no heartbeat from {job.worker_name}"
            )
            job.last_error = lost
            run = job.run
            if run.status == RunStatus.CANCELED:
                job.status = JobStatus.DEAD
            elif job.attempts >= settings.max_attempts:
                job.status = JobStatus.DEAD
                run.status = RunStatus.FAILED
                run.error_code = ErrorCode.WORKER_LOST
                detail = f"no heartbeat after {job.attempts} attempts"
                run.error = format_error(ErrorCode.WORKER_LOST, detail)
                run.finished_at = utcnow()
            else:
                job.status = JobStatus.QUEUED
                job.not_before = None
                run.status = RunStatus.QUEUED
                requeue.append(job.run_id)
            logger.warning(
                "stalled job taken back",
                extra={"run_id": str(job.run_id), "job_status": job.status},
            )
    dispatch = make_dispatcher(runtime.app)
    for run_id in requeue:
        send_run(runtime.factory, dispatch, run_id)
    return count


def resend_lost_messages(runtime: Runtime) -> int:
    """Send again the ``QUEUED`` jobs that have no message in the broker."""
    settings = runtime.settings
    now = utcnow()
    cutoff = now - timedelta(seconds=settings.requeue_after_s)
    with runtime.factory() as session:
        query = (
            select(Job.run_id, Job.not_before)
            .where(
                Job.status == JobStatus.QUEUED,
                or_(Job.sent_at.is_(None), Job.sent_at < cutoff),
            )
            .order_by(Job.created_at)
            .limit(BATCH)
        )
        candidates = session.execute(query).all()
    if not candidates:
        return 0
    in_flight = messages_in_flight(runtime.app)
    dispatch = make_dispatcher(runtime.app)
    sent = 0
    for run_id, not_before in candidates:
        if str(run_id) in in_flight:
            continue
        delay = 0.0
        if not_before is not None:
            delay = max(0.0, (_aware(not_before) - now).total_seconds())
        if send_run(runtime.factory, dispatch, run_id, delay):
            sent += 1
            logger.warning("lost message sent again", extra={"run_id": str(run_id)})
    return sent


def messages_in_flight(app: Celery) -> set[str]:
    """Run ids that have a message waiting in, or held from, the broker.

    On Redis: the queue lists and the unacknowledged hash. The file broker
    keeps no record of delivered messages; only waiting ones are seen.
    """
    ids: set[str] = set()
    queue = app.pta_settings.queue
    with app.connection_for_read() as connection:
        channel: Any = connection.default_channel
        client = getattr(channel, "client", None)
        if client is not None:
            raw = [*client.lrange(queue, 0, -1)]
            for suffix in channel.priority_steps[1:]:
                raw += client.lrange(f"{queue}{channel.sep}{suffix}", 0, -1)
            raw += client.hvals(channel.unacked_key)
            for item in raw:
                ids |= _run_ids_of(item)
            return ids
    folder = app.conf.broker_transport_options.get("data_folder_in")
    if folder:
        for path in Path(folder).glob(f"*.{queue}.msg"):
            with contextlib.suppress(OSError):
                ids |= _run_ids_of(path.read_bytes())
    return ids


def apply_retention(runtime: Runtime) -> dict[str, int]:
    """Delete outputs and finished runs past their retention."""
    settings = runtime.settings
    now = utcnow()
    outputs_cutoff = now - timedelta(days=settings.output_retention_days)
    runs_cutoff = now - timedelta(days=settings.run_retention_days)
    with transaction(runtime.factory) as session:
        old_runs = select(Run.id).where(
            Run.status.in_(FINISHED_RUN_STATUSES), Run.finished_at < outputs_cutoff
        )
        outputs = _count(
            session.execute(delete(RunOutput).where(RunOutput.run_id.in_(old_runs)))
        )
        expired = select(Run.id).where(
            Run.status.in_(FINISHED_RUN_STATUSES), Run.finished_at < runs_cutoff
        )
        session.execute(delete(Job).where(Job.run_id.in_(expired)))
        session.execute(
            delete(WebhookDelivery).where(WebhookDelivery.received_at < runs_cutoff)
        )
        runs = _count(
            session.execute(
                delete(Run)
                .where(Run.id.in_(expired))
                .execution_options(synchronize_session=False)
            )
        )
    return {"outputs_purged": outputs, "runs_purged": runs}


def remove_stale_workdirs(runtime: Runtime) -> int:
    """Remove ``run-<id>`` directories whose run is not in progress."""
    base = runtime.settings.tmp_dir
    if not base.is_dir():
        return 0
    dirs: dict[uuid.UUID, Any] = {}
    for path in base.glob("run-*"):
        try:
            run_id = uuid.UUID(path.name.removeprefix("run-"))
        except ValueError:
            continue
        if time.time() - path.lstat().st_mtime >= WORKDIR_MIN_AGE_S:
            dirs[run_id] = path
    if not dirs:
        return 0
    with runtime.factory() as session:
        busy = set(
            session.scalars(
                select(Job.run_id).where(
                    Job.run_id.in_(list(dirs)), Job.status == JobStatus.IN_PROGRESS
                )
            )
        )
    removed = 0
    for run_id, path in dirs.items():
        if run_id not in busy:
            remove_tree(path)
            removed += 1
    return removed


def _run_ids_of(raw: bytes | str) -> set[str]:
    try:
        message = json.loads(raw)
        if isinstance(message, list):  # the unacked hash stores [message, ...]
            message = message[0]
        headers = message.get("headers", {})
        if headers.get("task") == RUN_TASK:
            return {str(headers.get("id", "")).split(".", 1)[0]}
        body = json.loads(base64.b64decode(message.get("body", "")))
        return {str(body[0][0])}
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return set()


def _count(result: Any) -> int:
    # A DELETE's result is a CursorResult, which knows its row count.
    return int(getattr(result, "rowcount", 0) or 0)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
