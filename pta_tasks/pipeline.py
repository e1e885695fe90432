"""The run task: claim, disk check, work directory, clone, analyze, validate,
store, clean up. One Celery task per run; the steps share one directory.

The task is idempotent under redelivery: it first claims the job in Postgres
(``QUEUED`` -> ``IN_PROGRESS``, or a stale ``IN_PROGRESS`` whose heartbeat
stopped), and every later write checks that the claim (job attempt) is still
its own. A heartbeat thread keeps the claim alive and notices a cancel.
Whatever ends the task, its children are killed and its directory removed.
"""

import logging
import os
import random
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery import Celery, Task
from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from pta_tasks.analysis import (
    Output,
    collect_outputs,
    run_analyzer,
    validate_outputs,
)
from pta_tasks.app import RUN_TASK, make_dispatcher
from pta_tasks.clone import CloneRequest, clone_repository
from pta_tasks.db import transaction
from pta_tasks.enqueue import send_run
from pta_tasks.errors import (
    KEEP_CODE_WHEN_EXHAUSTED,
    ErrorCode,
    RunError,
    format_error,
)
from pta_tasks.limits import ChildGroup, check_free_disk, make_workdir, remove_tree
from pta_tasks.logs import bound_run
from pta_tasks.models import (
    FINISHED_RUN_STATUSES,
    Job,
    JobStatus,
    Run,
    RunOutput,
    RunStatus,
    utcnow,
)
from pta_tasks.settings import Settings
from pta_tasks.worker import Runtime

logger = logging.getLogger(__name__)

# Slack for a delayed message that arrives a little before its time (s).
EARLY_DELIVERY_SLACK_S = 1.0


@dataclass(frozen=True)
class Claim:
    """A job this task owns: the run, its attempt number, what to clone."""

    run_id: uuid.UUID
    attempt: int
    url: str
    ref: str | None
    commit_sha: str | None


class RunTask(Task):  # type: ignore[misc]
    """Base of the run task: failure hooks that run in the worker's main process."""

    def on_failure(
        self, exc: Exception, task_id: str, args: Any, kwargs: Any, einfo: Any
    ) -> None:
        # A hard time limit kills the pool process before its ``finally``;
        # the main process records the outcome and removes the directory.
        if isinstance(exc, TimeLimitExceeded) and args:
            runtime: Runtime = self.app.pta_runtime
            fail_after_hard_limit(runtime, uuid.UUID(str(args[0])))


def register(app: Celery) -> None:
    """Register the run task on ``app``."""

    @app.task(  # type: ignore[untyped-decorator]
        name=RUN_TASK,
        bind=True,
        base=RunTask,
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
    )
    def run_analysis(task: Task, run_id: str) -> None:
        runtime: Runtime = task.app.pta_runtime
        worker = str(task.request.hostname or f"pid-{os.getpid()}")
        execute_run(runtime, uuid.UUID(run_id), worker)


def execute_run(runtime: Runtime, run_id: uuid.UUID, worker: str) -> None:
    """Run the whole pipeline for ``run_id`` if this worker can claim it."""
    with bound_run(run_id):
        claim = claim_job(runtime, run_id, worker)
        if claim is None:
            return
        children = ChildGroup()
        heartbeat = Heartbeat(runtime, claim, children)
        heartbeat.start()
        workdir: Path | None = None
        error: RunError | None = None
        try:
            check_free_disk(
                runtime.settings.tmp_dir,
                runtime.settings.min_free_bytes,
                runtime.settings.min_free_percent,
            )
            workdir = make_workdir(runtime.settings.tmp_dir, f"run-{run_id}")
            summary, outputs = _run_steps(runtime, claim, children, workdir)
        except RunError as failure:
            error = failure
        except SoftTimeLimitExceeded:
            error = RunError("soft time limit reached", ErrorCode.TASK_TIMEOUT)
        except Exception as bug:
            if _caused_by(bug, SoftTimeLimitExceeded):
                # The limit interrupted a query: that connection is unusable.
                runtime.reset_database()
                error = RunError("soft time limit reached", ErrorCode.TASK_TIMEOUT)
            else:
                logger.exception("run failed on a bug", extra={"stage": "pipeline"})
                detail = f"{type(bug).__name__}: {bug}"
                error = RunError(detail, ErrorCode.UNKNOWN_ERROR)
        finally:
            # Clean up before the outcome is written: whoever sees a finished
            # run sees no process and no directory of it.
            heartbeat.stop()
            children.kill_all()
            if workdir is not None:
                remove_tree(workdir)
        try:
            if error is None:
                _record_success(runtime, claim, summary, outputs)
            else:
                _record_failure(runtime, claim, error, heartbeat)
        except Exception as failure:
            if not _caused_by(failure, SoftTimeLimitExceeded):
                raise  # the job stays IN_PROGRESS; the reconciler takes it back
            # Storing hung (a locked row, a stalled database) until the soft
            # limit interrupted it mid-query: record that on a new connection.
            runtime.reset_database()
            timeout = RunError(
                "soft time limit reached while storing", ErrorCode.TASK_TIMEOUT
            )
            _record_failure(runtime, claim, timeout, heartbeat)


def claim_job(runtime: Runtime, run_id: uuid.UUID, worker: str) -> Claim | None:
    """Take the job of ``run_id`` for this attempt, or None if it is not ours.

    A job is claimable when ``QUEUED`` (and its backoff has passed) or
    ``IN_PROGRESS`` with a heartbeat older than ``CI_HEARTBEAT_TIMEOUT_S``.
    """
    settings = runtime.settings
    now = utcnow()
    with transaction(runtime.factory) as session:
        job = _lock_job(session, run_id)
        if job is None:
            logger.warning("message for an unknown run dropped")
            return None
        run = job.run
        if run.status in FINISHED_RUN_STATUSES or job.status in (
            JobStatus.DONE,
            JobStatus.DEAD,
        ):
            logger.info(
                "message for a finished run ignored", extra={"status": run.status}
            )
            return None
        if job.status == JobStatus.IN_PROGRESS and not _is_stale(job, settings):
            logger.info("message for a run in progress ignored")
            return None
        early = job.not_before is not None and _aware(job.not_before) > now + timedelta(
            seconds=EARLY_DELIVERY_SLACK_S
        )
        if job.status == JobStatus.QUEUED and early:
            logger.info("message ahead of its backoff ignored")
            return None

        queued_since = max(
            (_aware(t) for t in (job.sent_at, job.not_before) if t is not None),
            default=_aware(run.created_at),
        )
        if job.status == JobStatus.IN_PROGRESS:
            job.last_error = format_error(ErrorCode.WORKER_LOST, "heartbeat stopped")
        job.status = JobStatus.IN_PROGRESS
        job.attempts += 1
        job.heartbeat_at = now
        job.worker_name = worker
        job.not_before = None
        run.status = RunStatus.RUNNING
        run.started_at = run.started_at or now
        run.attempts = job.attempts
        claim = Claim(run_id, job.attempts, run.repo_url, run.ref, run.commit_sha)
    # The wait in the queue since the message was sent (or its backoff ended).
    wait_s = round(max(0.0, (now - queued_since).total_seconds()), 3)
    logger.info(
        "run started",
        extra={"attempt": claim.attempt, "worker": worker, "queue_wait_s": wait_s},
    )
    return claim


class Heartbeat:
    """Refreshes the job's heartbeat; cancels the run's children if the run
    was canceled or the claim was taken back."""

    def __init__(self, runtime: Runtime, claim: Claim, children: ChildGroup) -> None:
        self.runtime = runtime
        self.claim = claim
        self.children = children
        self.lost = False
        self._stop = threading.Event()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name="heartbeat"
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.wait(self.runtime.settings.heartbeat_s):
            try:
                self._beat()
            except Exception:
                logger.warning(
                    "heartbeat failed",
                    exc_info=True,
                    extra={"run_id": str(self.claim.run_id)},
                )

    def _beat(self) -> None:
        with transaction(self.runtime.factory) as session:
            job = _lock_job(session, self.claim.run_id)
            owned = (
                job is not None
                and job.status == JobStatus.IN_PROGRESS
                and job.attempts == self.claim.attempt
            )
            if owned and job is not None:
                job.heartbeat_at = utcnow()
            canceled = job is not None and job.run.status == RunStatus.CANCELED
        if canceled:
            self.children.cancel("canceled on request")
        elif not owned:
            self.lost = True
            self.children.cancel("the job was taken back by the reconciler")


def fail_after_hard_limit(runtime: Runtime, run_id: uuid.UUID) -> None:
    """Record ``TASK_TIMEOUT`` for a run whose pool process was killed."""
    with bound_run(run_id):
        error = RunError("hard time limit reached", ErrorCode.TASK_TIMEOUT)
        with transaction(runtime.factory) as session:
            if session.get_bind().dialect.name == "postgresql":
                # This runs in the worker's main process: never wait long.
                session.execute(text("SET LOCAL lock_timeout = '5s'"))
            job = _lock_job(session, run_id)
            if job is None or job.status != JobStatus.IN_PROGRESS:
                return
            _finish_failed(job, error.code, error.detail)
        remove_tree(runtime.settings.tmp_dir / f"run-{run_id}")
        logger.warning("run stopped by the hard time limit")


def backoff_s(settings: Settings, attempt: int) -> float:
    """Delay before attempt ``attempt + 1``: exponential, capped, jittered."""
    base = settings.retry_backoff_s * 2.0 ** max(0, attempt - 1)
    delay = min(base, settings.retry_backoff_max_s)
    return delay * random.uniform(0.9, 1.0)  # noqa: S311 (not for secrets)


def _run_steps(
    runtime: Runtime, claim: Claim, children: ChildGroup, workdir: Path
) -> tuple[dict[str, Any], list[Output]]:
    settings = runtime.settings
    repo_dir, out_dir, home = workdir / "repo", workdir / "out", workdir / "home"
    home.mkdir()

    started = time.monotonic()
    request = CloneRequest(
        url=claim.url,
        ref=claim.ref,
        commit_sha=claim.commit_sha,
        repo_dir=repo_dir,
        home_dir=home,
        timeout_s=settings.clone_timeout_ms / 1000,
        max_bytes=settings.max_repo_bytes,
        max_files=settings.max_file_count,
        token=_token_for(settings, claim.url),
    )
    sha = clone_repository(request, children, os.environ)
    _record_commit(runtime, claim, sha)
    logger.info("stage done", extra={"stage": "clone", "duration_s": _since(started)})

    started = time.monotonic()
    summary = run_analyzer(
        settings, children, repo_dir, out_dir, str(claim.run_id), os.environ,
        url=claim.url,
    )  # fmt: skip
    logger.info("stage done", extra={"stage": "analyze", "duration_s": _since(started)})

    started = time.monotonic()
    validate_outputs(settings, children, repo_dir, out_dir, os.environ)
    outputs = collect_outputs(out_dir)
    logger.info(
        "stage done", extra={"stage": "validate", "duration_s": _since(started)}
    )
    return summary, outputs


def _record_commit(runtime: Runtime, claim: Claim, sha: str) -> None:
    with transaction(runtime.factory) as session:
        run = session.get(Run, claim.run_id)
        if run is not None and run.commit_sha is None:
            run.commit_sha = sha


def _record_success(
    runtime: Runtime, claim: Claim, summary: dict[str, Any], outputs: list[Output]
) -> None:
    with transaction(runtime.factory) as session:
        job = _owned_job(session, claim)
        if job is None:
            return
        run = job.run
        if run.status == RunStatus.CANCELED:
            job.status = JobStatus.DEAD
            return
        session.execute(delete(RunOutput).where(RunOutput.run_id == claim.run_id))
        for output in outputs:
            session.add(
                RunOutput(
                    run_id=claim.run_id,
                    name=output.name,
                    size_bytes=len(output.content),
                    sha256=output.sha256,
                    media_type=output.media_type,
                    content=output.content,
                )
            )
        run.status = RunStatus.SUCCEEDED
        run.summary = summary
        run.error_code = run.error = None
        run.finished_at = utcnow()
        job.status = JobStatus.DONE
        job.last_error = None
    logger.info("run succeeded", extra={"outputs": len(outputs)})


def _record_failure(
    runtime: Runtime, claim: Claim, error: RunError, heartbeat: Heartbeat
) -> None:
    settings = runtime.settings
    if heartbeat.lost:
        logger.warning("run abandoned: the job is no longer ours")
        return
    retry_in: float | None = None
    with transaction(runtime.factory) as session:
        job = _owned_job(session, claim)
        if job is None:
            return
        if job.run.status == RunStatus.CANCELED:
            job.status = JobStatus.DEAD
            job.last_error = format_error(ErrorCode.CANCELED, "canceled on request")
            logger.info("run canceled while running")
            return
        if error.retryable and job.attempts < settings.max_attempts:
            retry_in = backoff_s(settings, job.attempts)
            job.status = JobStatus.QUEUED
            job.last_error = format_error(error.code, error.detail)
            job.not_before = utcnow() + timedelta(seconds=retry_in)
            job.run.status = RunStatus.QUEUED
        else:
            code, detail = error.code, error.detail
            if error.retryable and code not in KEEP_CODE_WHEN_EXHAUSTED:
                code = ErrorCode.MAX_ATTEMPTS_EXCEEDED
                detail = f"{job.attempts} attempts; last {error.code}: {error.detail}"
            _finish_failed(job, code, detail)
    if retry_in is None:
        logger.info(
            "run failed", extra={"error_code": error.code, "detail": error.detail}
        )
        return
    logger.info(
        "run will be retried",
        extra={"error_code": error.code, "retry_in_s": round(retry_in, 2)},
    )
    send_run(runtime.factory, make_dispatcher(runtime.app), claim.run_id, retry_in)


def _finish_failed(job: Job, code: ErrorCode, detail: str) -> None:
    job.status = JobStatus.DEAD
    job.last_error = format_error(code, detail)
    run = job.run
    if run.status != RunStatus.CANCELED:
        run.status = RunStatus.FAILED
        run.error_code = code
        run.error = format_error(code, detail)
    run.finished_at = run.finished_at or utcnow()


def _lock_job(session: Session, run_id: uuid.UUID) -> Job | None:
    query = select(Job).where(Job.run_id == run_id).with_for_update()
    return session.scalars(query).first()


def _owned_job(session: Session, claim: Claim) -> Job | None:
    job = _lock_job(session, claim.run_id)
    if (
        job is None
        or job.status != JobStatus.IN_PROGRESS
        or job.attempts != claim.attempt
    ):
        logger.warning("result dropped: the job was taken back")
        return None
    return job


def _is_stale(job: Job, settings: Settings) -> bool:
    if job.heartbeat_at is None:
        return True
    age = utcnow() - _aware(job.heartbeat_at)
    return age.total_seconds() > settings.heartbeat_timeout_s


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _token_for(settings: Settings, url: str) -> str | None:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "").lower()
    if settings.github_token and host in settings.git_token_hosts:
        return settings.github_token
    return None


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)
