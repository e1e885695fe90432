"""Submitting a repository: one function for the API, the CLI and webhooks.

``enqueue_run`` validates the URL and ref, writes the run and its job in one
transaction (or returns the existing run for the same repository, commit and
analyzer version within the dedupe window), and only after the commit sends
the broker message, which carries nothing but the run id.
"""

import functools
import hashlib
import importlib.metadata
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import DateTime, Insert, Uuid, insert, literal, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import transaction
from pta_tasks.errors import InvalidRepoUrl
from pta_tasks.models import Job, JobStatus, Run, RunStatus, utcnow
from pta_tasks.settings import Settings
from pta_tasks.urls import is_commit_sha, validate_ref, validate_repo_url

logger = logging.getLogger(__name__)

# Sends the message for a run: (run id, delay in seconds). Provided by
# ``pta_tasks.app.make_dispatcher``; tests may pass their own.
Dispatcher = Callable[[uuid.UUID, float], None]
# Statuses of a run that a new submission may be folded into.
DEDUPE_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING, RunStatus.SUCCEEDED)
IN_FLIGHT_STATUSES = (RunStatus.QUEUED, RunStatus.RUNNING)


@dataclass(frozen=True)
class EnqueueResult:
    """The run a submission resolved to, and whether it was created now."""

    run_id: uuid.UUID
    status: RunStatus
    created: bool


@functools.cache
def analyzer_version() -> str:
    """The analyzer version recorded on runs, e.g. ``pta-0.1.0``."""
    try:
        return f"pta-{importlib.metadata.version('pta')}"
    except importlib.metadata.PackageNotFoundError:
        return "pta-unknown"


def enqueue_run(
    factory: sessionmaker[Session],
    settings: Settings,
    dispatch: Dispatcher,
    url: str,
    ref: str | None = None,
    commit_sha: str | None = None,
    event_type: str = "manual",
    allow_local: bool | None = None,
) -> EnqueueResult:
    """Create (or find) the run for ``url`` at ``ref``/``commit_sha``.

    Raises ``InvalidRepoUrl`` or ``HostNotAllowed`` before touching the
    database. A broker that cannot be reached is logged, not raised: the run
    stays ``QUEUED`` and the reconciler sends it later.
    """
    repo = validate_repo_url(url, settings, allow_local=allow_local)
    ref = validate_ref(ref)
    if commit_sha is not None and not is_commit_sha(commit_sha):
        raise InvalidRepoUrl("the commit must be a full 40 or 64 hex digit id")
    if commit_sha is None and is_commit_sha(ref):
        commit_sha = ref
    commit_sha = commit_sha.lower() if commit_sha else None
    version = analyzer_version()

    with transaction(factory) as session:
        if settings.dedupe_window_s > 0:
            target = commit_sha or ref or ""
            _lock_submission(session, repo.url, target, version)
            existing = _find_duplicate(
                session, settings, repo.url, ref, commit_sha, version
            )
            if existing is not None:
                logger.info(
                    "submission deduplicated",
                    extra={"run_id": str(existing.id), "repo_url": repo.url},
                )
                return EnqueueResult(existing.id, RunStatus(existing.status), False)
        run_id = uuid.uuid4()
        values = {
            "id": run_id,
            "repo_url": repo.url,
            "repo_owner": repo.owner,
            "repo_name": repo.name,
            "ref": ref,
            "commit_sha": commit_sha,
            "event_type": event_type,
            "analyzer_version": version,
        }
        if session.get_bind().dialect.name == "postgresql":
            session.execute(_insert_run_and_job(values))
        else:  # SQLite has no data-modifying CTE
            run = Run(status=RunStatus.QUEUED, **values)
            run.job = Job(status=JobStatus.QUEUED)
            session.add(run)

    logger.info("run queued", extra={"run_id": str(run_id), "repo_url": repo.url})
    send_run(factory, dispatch, run_id)
    return EnqueueResult(run_id, RunStatus.QUEUED, True)


def send_run(
    factory: sessionmaker[Session],
    dispatch: Dispatcher,
    run_id: uuid.UUID,
    delay_s: float = 0.0,
) -> bool:
    """Send the message for ``run_id`` and record when; False if it failed."""
    try:
        dispatch(run_id, delay_s)
    except Exception:
        logger.warning(
            "message not sent; the reconciler will resend it",
            exc_info=True,
            extra={"run_id": str(run_id)},
        )
        return False
    with transaction(factory) as session:
        session.execute(
            update(Job).where(Job.run_id == run_id).values(sent_at=utcnow())
        )
    return True


def _insert_run_and_job(values: dict[str, Any]) -> Insert:
    # One statement for both rows (a data-modifying CTE): one round trip
    # less on the path from submit to start.
    now = utcnow()
    new_run = (
        insert(Run)
        .values(status=RunStatus.QUEUED, created_at=now, attempts=0, **values)
        .returning(Run.id)
        .cte("new_run")
    )
    columns = ["id", "run_id", "status", "attempts", "created_at"]
    row = select(
        literal(uuid.uuid4(), Uuid()),
        new_run.c.id,
        literal(str(JobStatus.QUEUED)),
        literal(0),
        literal(now, DateTime(timezone=True)),
    )
    return insert(Job).from_select(columns, row)


def _lock_submission(session: Session, url: str, target: str, version: str) -> None:
    # Two identical submissions at once must not both insert: on Postgres an
    # advisory lock per (url, target, version) serializes them; SQLite already
    # serializes writers.
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{url}\0{target}\0{version}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def _find_duplicate(
    session: Session,
    settings: Settings,
    url: str,
    ref: str | None,
    commit_sha: str | None,
    version: str,
) -> Run | None:
    since: datetime = utcnow() - timedelta(seconds=settings.dedupe_window_s)
    query = select(Run).where(
        Run.repo_url == url,
        Run.analyzer_version == version,
        Run.created_at >= since,
    )
    if commit_sha is not None:
        # The same commit: a finished success is as good as a run in flight.
        query = query.where(
            Run.commit_sha == commit_sha, Run.status.in_(DEDUPE_STATUSES)
        )
    else:
        # A branch moves: only a run still in flight for it is the same run.
        query = query.where(
            Run.ref.is_(None) if ref is None else Run.ref == ref,
            Run.status.in_(IN_FLIGHT_STATUSES),
        )
    return session.scalars(query.order_by(Run.created_at.desc()).limit(1)).first()
