"""Health: a cheap liveness check, the service's health, the queue's health."""

import logging
import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, jsonify
from sqlalchemy import select, text

from pta_api.auth import Access, access, is_client
from pta_api.metrics import disk_usage
from pta_api.views import services
from pta_tasks.models import FINISHED_RUN_STATUSES, Run
from pta_tasks.runs import health_counts

logger = logging.getLogger(__name__)
blueprint = Blueprint("health", __name__)


@blueprint.get("/health")
@access(Access.PUBLIC)
def liveness() -> Response:
    """Liveness: the process answers. Touches nothing else."""
    return jsonify({"status": "ok"})


@blueprint.get("/api/health")
@access(Access.PUBLIC)
def api_health() -> tuple[Response, int]:
    """Readiness: the database answers. Details only for clients."""
    found = services()
    db_ok = _database_answers()
    body: dict[str, Any] = {"status": "ok" if db_ok else "degraded"}
    if is_client(found.config):
        body |= {
            "timestamp": datetime.now(UTC).isoformat(),
            "uptime": round(time.monotonic() - found.started_at, 3),
            "db": "connected" if db_ok else "disconnected",
            "ci_worker": "enabled"
            if found.config.settings.worker_enabled
            else "disabled",
        }
    return jsonify(body), 200 if db_ok else 503


@blueprint.get("/api/ci/health")
def ci_health() -> Response:
    """The queue: job counts, the last finished run, disk under CI_TMP_DIR."""
    found = services()
    settings = found.config.settings
    counts = health_counts(found.reader)
    free, total = disk_usage(settings.tmp_dir)
    low = free < settings.min_free_bytes or (
        total > 0 and 100.0 * free / total < settings.min_free_percent
    )
    status = "degraded" if low else "ok"
    return jsonify(
        {
            "status": status,
            "ciWorker": "enabled" if settings.worker_enabled else "disabled",
            "ciTmpDir": str(settings.tmp_dir),
            "ciTmpDirFreeBytes": free,
            "ciTmpDirLowDisk": low,
            "jobCounts": counts["jobs"],
            "runCounts": counts["runs"],
            "oldestQueuedAgeSeconds": counts["oldest_queued_age_s"],
            "lastCompleted": _last_completed(),
        }
    )


def _database_answers() -> bool:
    try:
        with services().reader() as session:
            session.execute(text("SELECT 1"))
    except Exception as error:
        logger.warning(
            "database health check failed", extra={"error_type": type(error).__name__}
        )
        return False
    return True


def _last_completed() -> dict[str, Any] | None:
    query = (
        select(Run.id, Run.status, Run.error_code, Run.finished_at)
        .where(Run.status.in_(FINISHED_RUN_STATUSES), Run.finished_at.is_not(None))
        .order_by(Run.finished_at.desc())
        .limit(1)
    )
    with services().reader() as session:
        row = session.execute(query).first()
    if row is None:
        return None
    run_id, status, error_code, finished_at = row
    assert finished_at is not None  # the query asks for finished runs
    if finished_at.tzinfo is None:
        finished_at = finished_at.replace(tzinfo=UTC)
    return {
        "id": str(run_id),
        "status": status,
        "errorCode": error_code,
        "finishedAt": finished_at.isoformat(),
    }
