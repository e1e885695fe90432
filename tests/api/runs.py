"""Runs written straight into the database, in any state, for the API tests."""

import hashlib
import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import transaction
from pta_tasks.errors import ErrorCode, format_error
from pta_tasks.models import Job, JobStatus, Run, RunOutput, RunStatus, utcnow

JOB_OF = {
    RunStatus.QUEUED: JobStatus.QUEUED,
    RunStatus.RUNNING: JobStatus.IN_PROGRESS,
    RunStatus.SUCCEEDED: JobStatus.DONE,
    RunStatus.FAILED: JobStatus.DEAD,
    RunStatus.CANCELED: JobStatus.DEAD,
}


def make_run(
    factory: sessionmaker[Session],
    status: RunStatus = RunStatus.QUEUED,
    owner: str = "acme",
    name: str = "app",
    error_code: ErrorCode | None = None,
    outputs: dict[str, tuple[bytes, str]] | None = None,
    created_at: datetime | None = None,
) -> uuid.UUID:
    """Insert a run (and its job, and outputs); return its id."""
    finished = status in (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)
    if status == RunStatus.FAILED and error_code is None:
        error_code = ErrorCode.REPO_NOT_FOUND
    with transaction(factory) as session:
        run = Run(
            repo_url=f"https://github.com/{owner}/{name}.git",
            repo_owner=owner,
            repo_name=name,
            ref="main",
            status=status,
            analyzer_version="pta-0.1.0",
            error_code=error_code,
            error=format_error(error_code, "test") if error_code else None,
            created_at=created_at or utcnow(),
            finished_at=utcnow() if finished else None,
        )
        run.job = Job(status=JOB_OF[status])
        for file_name, (content, media_type) in (outputs or {}).items():
            run.outputs.append(
                RunOutput(
                    name=file_name,
                    size_bytes=len(content),
                    sha256=hashlib.sha256(content).hexdigest(),
                    media_type=media_type,
                    content=content,
                )
            )
        session.add(run)
        session.flush()
        return run.id


def make_runs(factory: sessionmaker[Session], count: int) -> list[uuid.UUID]:
    """``count`` queued runs, one second apart, oldest first."""
    start = utcnow() - timedelta(hours=1)
    return [
        make_run(factory, name=f"app{i}", created_at=start + timedelta(seconds=i))
        for i in range(count)
    ]
