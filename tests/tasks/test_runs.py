import hashlib
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.enqueue import enqueue_run
from pta_tasks.errors import RunNotFound, RunStateConflict
from pta_tasks.models import JobStatus, Run, RunOutput, RunStatus
from pta_tasks.runs import (
    cancel_run,
    get_run,
    health_counts,
    list_outputs,
    list_runs,
    read_output,
    record_webhook_delivery,
    retry_run,
)
from pta_tasks.settings import Settings

URL = "http://127.0.0.1:9/acme/app.git"


def _no_send(run_id: uuid.UUID, delay_s: float) -> None:
    pass


def _queued(factory: sessionmaker[Session], settings: Settings, ref: str) -> uuid.UUID:
    return enqueue_run(factory, settings, _no_send, URL, ref=ref).run_id


def test_cancel_of_a_queued_run_kills_its_job(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    run_id = _queued(factory, settings, "main")

    shown = cancel_run(factory, run_id)

    assert shown["status"] == RunStatus.CANCELED
    assert shown["error"] == "CANCELED: canceled on request"
    assert shown["job"]["status"] == JobStatus.DEAD
    with pytest.raises(RunStateConflict):
        cancel_run(factory, run_id)


def test_retry_requeues_a_canceled_run_with_fresh_attempts(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    run_id = _queued(factory, settings, "main")
    cancel_run(factory, run_id)
    sent: list[uuid.UUID] = []

    shown = retry_run(factory, lambda rid, delay: sent.append(rid), run_id)

    assert shown["status"] == RunStatus.QUEUED
    assert shown["error"] is None
    assert shown["job"]["status"] == JobStatus.QUEUED
    assert sent == [run_id]


def test_retry_of_a_queued_run_is_a_conflict(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    run_id = _queued(factory, settings, "main")

    with pytest.raises(RunStateConflict):
        retry_run(factory, _no_send, run_id)


def test_unknown_run_is_not_found(factory: sessionmaker[Session]) -> None:
    with pytest.raises(RunNotFound):
        get_run(factory, uuid.uuid4())


def test_list_runs_filters_by_status_newest_first(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    first = _queued(factory, settings, "a")
    second = _queued(factory, settings, "b")
    cancel_run(factory, first)

    queued = list_runs(factory, status=RunStatus.QUEUED)
    everything = list_runs(factory)

    assert [r["id"] for r in queued] == [str(second)]
    assert [r["id"] for r in everything] == [str(second), str(first)]


def test_outputs_are_listed_and_read_back(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    run_id = _queued(factory, settings, "main")
    body = b'{"ok": true}'
    digest = hashlib.sha256(body).hexdigest()
    with factory.begin() as session:
        session.add(
            RunOutput(
                run_id=run_id,
                name="operate.json",
                size_bytes=len(body),
                sha256=digest,
                media_type="application/json",
                content=body,
            )
        )

    listed = list_outputs(factory, run_id)
    content, media_type, sha = read_output(factory, run_id, "operate.json")

    assert listed == [
        {
            "name": "operate.json",
            "size_bytes": len(body),
            "sha256": digest,
            "media_type": "application/json",
        }
    ]
    assert (content, media_type, sha) == (body, "application/json", digest)
    with pytest.raises(RunNotFound):
        read_output(factory, run_id, "missing.json")


def test_health_counts_jobs_and_runs_by_status(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    _queued(factory, settings, "a")
    cancel_run(factory, _queued(factory, settings, "b"))

    counts = health_counts(factory)

    assert counts["jobs"]["QUEUED"] == 1
    assert counts["jobs"]["DEAD"] == 1
    assert counts["runs"]["CANCELED"] == 1
    assert counts["oldest_queued_age_s"] >= 0


def test_a_webhook_delivery_is_recorded_once(factory: sessionmaker[Session]) -> None:
    assert record_webhook_delivery(factory, "d-1", "push")
    assert not record_webhook_delivery(factory, "d-1", "push")


def test_run_dict_has_the_repository_parts(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    run_id = _queued(factory, settings, "main")
    with factory() as session:
        assert session.get(Run, run_id) is not None

    shown = get_run(factory, run_id)

    assert shown["repository"] == {"url": URL, "owner": "acme", "name": "app"}
    assert shown["attempts"] == 0
