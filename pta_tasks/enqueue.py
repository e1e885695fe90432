"""Submitting a repository: one function for the API, the CLI and webhooks.

``enqueue_run`` validates the URL and ref, writes the run and its job in one
transaction (or returns the existing run for the same repository, commit and
analyzer version within the dedupe window), and only after the commit sends
the broker message, which carries nothing but the run id.

On Postgres the submission is one statement, a call of the function
``pta_submit_run`` (migration 0003): the advisory lock on the submission's
identity, the lookup of a duplicate and the inserts of the run and its job
run on the server in one round trip. This is the API's hottest path: every
statement and every round trip on it counts, and so does the CPU around
them (the call goes to the driver directly, see ``_call_postgres``).
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

import psycopg
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import DBAPIError
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

# One call does the whole submission on Postgres (see migration 0003), as
# its own transaction; the placeholders are psycopg's.
SUBMIT_CALL = (
    "SELECT run_id, run_status, created FROM pta_submit_run(%(lock_key)s,"
    " %(since)s, %(run_id)s, %(job_id)s, %(now)s, %(repo_url)s, %(repo_owner)s,"
    " %(repo_name)s, %(ref)s, %(commit_sha)s, %(event_type)s,"
    " %(analyzer_version)s)"
)
SQLITE_WRITE_LOCK = text("UPDATE ci_runs SET id = id WHERE 0")


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
    values = {
        "repo_url": repo.url,
        "repo_owner": repo.owner,
        "repo_name": repo.name,
        "ref": ref,
        "commit_sha": commit_sha.lower() if commit_sha else None,
        "event_type": event_type,
        "analyzer_version": analyzer_version(),
    }

    with factory() as session:
        bind = session.get_bind()
        if isinstance(bind, Engine) and bind.dialect.name == "postgresql":
            result = _submit_postgres(bind, settings, values)
        else:
            with session.begin():
                result = _submit_orm(session, settings, values)

    if not result.created:
        logger.info(
            "submission deduplicated",
            extra={"run_id": str(result.run_id), "repo_url": repo.url},
        )
        return result
    logger.info(
        "run queued", extra={"run_id": str(result.run_id), "repo_url": repo.url}
    )
    _send_new_run(factory, dispatch, result.run_id)
    return result


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


def _send_new_run(
    factory: sessionmaker[Session], dispatch: Dispatcher, run_id: uuid.UUID
) -> None:
    # ``sent_at`` was written with the job, a moment before the send: one
    # transaction less per submission. A failed send clears it, so the
    # reconciler sends the run at its next pass; if even that write fails,
    # the reconciler still sends it once ``CI_REQUEUE_AFTER_S`` has passed.
    try:
        dispatch(run_id, 0.0)
    except Exception:
        logger.warning(
            "message not sent; the reconciler will resend it",
            exc_info=True,
            extra={"run_id": str(run_id)},
        )
        with transaction(factory) as session:
            session.execute(
                update(Job).where(Job.run_id == run_id).values(sent_at=None)
            )


def _submit_postgres(
    engine: Engine, settings: Settings, values: dict[str, Any]
) -> EnqueueResult:
    now = utcnow()
    window_s = settings.dedupe_window_s
    params = {
        **values,
        "lock_key": _lock_key(values),
        "since": now - timedelta(seconds=window_s) if window_s > 0 else None,
        "run_id": uuid.uuid4(),
        "job_id": uuid.uuid4(),
        "now": now,
    }
    run_id, status, created = _call_postgres(engine, SUBMIT_CALL, params)
    return EnqueueResult(run_id, RunStatus(status), created)


def _call_postgres(engine: Engine, sql: str, params: dict[str, Any]) -> Any:
    """The row of a one-row ``sql``, run by the driver as its own transaction.

    SQLAlchemy's execution of a statement costs more CPU than this call
    itself; the pool still lends (and pings) the connection. Raises
    SQLAlchemy's errors (``OperationalError`` when the database is down).
    """
    try:
        connection = engine.raw_connection()
    except psycopg.Error as error:
        raise DBAPIError.instance(sql, None, error, psycopg.Error) from error
    driver = connection.driver_connection
    assert driver is not None  # the pool lends open connections
    try:
        driver.autocommit = True
        row = driver.execute(sql, params).fetchone()
        driver.autocommit = False
        return row
    except psycopg.Error as error:
        # Whatever failed, the next caller gets a fresh connection.
        connection.invalidate(error)
        raise DBAPIError.instance(
            sql, None, error, psycopg.Error, True, True
        ) from error
    finally:
        connection.close()


def _submit_orm(
    session: Session, settings: Settings, values: dict[str, Any]
) -> EnqueueResult:
    if settings.dedupe_window_s > 0:
        # SQLite has no advisory lock: a write that changes nothing takes the
        # database's write lock before the duplicate is looked for, so that
        # identical submissions (threads, the CLI) queue behind each other.
        session.execute(SQLITE_WRITE_LOCK)
        existing = _find_duplicate(session, settings, values)
        if existing is not None:
            return EnqueueResult(existing.id, RunStatus(existing.status), False)
    run = Run(id=uuid.uuid4(), status=RunStatus.QUEUED, **values)
    run.job = Job(status=JobStatus.QUEUED, sent_at=utcnow())
    session.add(run)
    return EnqueueResult(run.id, RunStatus.QUEUED, True)


def _lock_key(values: dict[str, Any]) -> int:
    # Two identical submissions at once must not both insert: they take the
    # same advisory lock, named by (url, commit or ref, version).
    target = values["commit_sha"] or values["ref"] or ""
    identity = f"{values['repo_url']}\0{target}\0{values['analyzer_version']}"
    digest = hashlib.sha256(identity.encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _dedupe_rule(values: dict[str, Any]) -> str:
    if values["commit_sha"] is not None:
        return "commit"
    return "no_ref" if values["ref"] is None else "ref"


def _find_duplicate(
    session: Session, settings: Settings, values: dict[str, Any]
) -> Run | None:
    since: datetime = utcnow() - timedelta(seconds=settings.dedupe_window_s)
    query = select(Run).where(
        Run.repo_url == values["repo_url"],
        Run.analyzer_version == values["analyzer_version"],
        Run.created_at >= since,
    )
    rule = _dedupe_rule(values)
    if rule == "commit":
        query = query.where(
            Run.commit_sha == values["commit_sha"], Run.status.in_(DEDUPE_STATUSES)
        )
    else:
        query = query.where(
            Run.ref.is_(None) if rule == "no_ref" else Run.ref == values["ref"],
            Run.status.in_(IN_FLIGHT_STATUSES),
        )
    return session.scalars(query.order_by(Run.created_at.desc()).limit(1)).first()
