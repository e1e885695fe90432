"""Admin routes (``ADMIN_KEY``): requeue dead jobs, purge old runs."""

import logging

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from pta_api.auth import Access, access
from pta_api.errors import InvalidRequest
from pta_api.views import json_object, services
from pta_tasks.errors import ErrorCode, RunStateConflict
from pta_tasks.models import Job, JobStatus, Run, RunStatus
from pta_tasks.runs import retry_run

logger = logging.getLogger(__name__)
blueprint = Blueprint("admin", __name__)

MAX_REQUEUE = 500
DEFAULT_REQUEUE = 100


@blueprint.post("/api/admin/requeue-dead")
@access(Access.ADMIN)
def requeue_dead() -> Response:
    """Queue again the failed runs whose job is DEAD (oldest first)."""
    body = json_object(frozenset({"limit", "error_code"})) if request.data else {}
    limit = body.get("limit", DEFAULT_REQUEUE)
    if type(limit) is not int or not 1 <= limit <= MAX_REQUEUE:
        raise InvalidRequest(f"limit must be 1 to {MAX_REQUEUE}", field="limit")
    code = body.get("error_code")
    if code is not None and code not in {c.value for c in ErrorCode}:
        raise InvalidRequest("error_code is not known", field="error_code")

    query = (
        select(Run.id)
        .join(Job, Job.run_id == Run.id)
        .where(Job.status == JobStatus.DEAD, Run.status == RunStatus.FAILED)
        .order_by(Run.created_at)
        .limit(limit)
    )
    if code is not None:
        query = query.where(Run.error_code == code)
    found = services()
    with found.factory() as session:
        run_ids = list(session.scalars(query))
    requeued = []
    for run_id in run_ids:
        try:
            retry_run(found.factory, found.dispatch, run_id)
        except RunStateConflict:
            continue  # changed since the query; nothing to do
        requeued.append(str(run_id))
    logger.info("dead jobs requeued", extra={"count": len(requeued)})
    return jsonify({"requeued": requeued, "count": len(requeued)})


@blueprint.post("/api/admin/purge")
@access(Access.ADMIN)
def purge() -> Response:
    """Apply the retention now: old outputs and old finished runs go."""
    from pta_tasks.reconcile import apply_retention
    from pta_tasks.worker import Runtime

    found = services()
    runtime = Runtime(found.config.settings)
    counts = apply_retention(runtime)
    runtime.engine.dispose()
    logger.info("retention applied on request", extra=counts)
    return jsonify(counts)
