"""Database models: runs, their jobs, their stored outputs, webhook deliveries.

Postgres is the source of truth (SQLite in the embedded default); Redis only
carries run ids. Statuses are ``StrEnum``s stored as plain strings, so the
operator's SQL (``WHERE status = 'DEAD'``) reads the same as the code.
"""

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Uuid,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
JsonType = JSON().with_variant(JSONB(), "postgresql")


class RunStatus(StrEnum):
    """Status of a run, as the API shows it."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"


FINISHED_RUN_STATUSES = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELED)


class JobStatus(StrEnum):
    """Status of a run's job, the worker side of the run."""

    QUEUED = "QUEUED"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    DEAD = "DEAD"


def utcnow() -> datetime:
    """The current time, timezone-aware (UTC)."""
    return datetime.now(UTC)


def _check_in(column: str, enum: type[StrEnum]) -> str:
    values = ", ".join(f"'{member}'" for member in enum)
    return f"{column} IN ({values})"


class Base(DeclarativeBase):
    """Declarative base with stable constraint names for migrations."""

    metadata = MetaData(naming_convention=NAMING)


class Run(Base):
    """One analysis of one repository at one commit (``ci_runs``)."""

    __tablename__ = "ci_runs"
    __table_args__ = (
        CheckConstraint(_check_in("status", RunStatus), name="status"),
        Index("ix_ci_runs_dedupe", "repo_url", "commit_sha", "analyzer_version"),
        Index(
            "ix_ci_runs_dedupe_ref",
            "repo_url",
            "ref",
            "analyzer_version",
            "created_at",
        ),
        Index("ix_ci_runs_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    repo_url: Mapped[str] = mapped_column(String(2048))
    repo_owner: Mapped[str] = mapped_column(String(255), default="")
    repo_name: Mapped[str] = mapped_column(String(255), default="")
    ref: Mapped[str | None] = mapped_column(String(255))
    commit_sha: Mapped[str | None] = mapped_column(String(64))
    event_type: Mapped[str] = mapped_column(String(64), default="manual")
    status: Mapped[str] = mapped_column(String(16), default=RunStatus.QUEUED)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error_code: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    analyzer_version: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any] | None] = mapped_column(JsonType)
    attempts: Mapped[int] = mapped_column(Integer, default=0)

    job: Mapped["Job"] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )
    outputs: Mapped[list["RunOutput"]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )


class Job(Base):
    """The queue side of a run: attempts, heartbeat, worker (``ci_jobs``)."""

    __tablename__ = "ci_jobs"
    __table_args__ = (
        CheckConstraint(_check_in("status", JobStatus), name="status"),
        Index("ix_ci_jobs_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ci_runs.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    worker_name: Mapped[str | None] = mapped_column(String(255))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
    # When the last message for this job was sent and the earliest time it
    # may run (retry backoff); the reconciler uses both.
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    not_before: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    run: Mapped[Run] = relationship(back_populates="job")


class RunOutput(Base):
    """One output file of a run, stored whole (``ci_run_outputs``)."""

    __tablename__ = "ci_run_outputs"

    run_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("ci_runs.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )

    run: Mapped[Run] = relationship(back_populates="outputs")


class WebhookDelivery(Base):
    """A webhook delivery id already handled, for de-duplication."""

    __tablename__ = "webhook_deliveries"

    delivery_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("ci_runs.id", ondelete="SET NULL")
    )
    received_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow
    )
