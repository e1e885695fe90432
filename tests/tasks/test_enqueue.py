import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import make_engine, make_sessionmaker, upgrade_database
from pta_tasks.enqueue import enqueue_run
from pta_tasks.errors import HostNotAllowed, InvalidRepoUrl
from pta_tasks.models import Job, JobStatus, Run, RunStatus
from pta_tasks.settings import Settings

URL = "http://127.0.0.1:9/acme/app.git"
SHA = "0123456789abcdef0123456789abcdef01234567"


class Recorder:
    """A dispatcher that records what it was asked to send, and what it saw."""

    def __init__(self, factory: sessionmaker[Session], fail: bool = False) -> None:
        self.factory = factory
        self.fail = fail
        self.sent: list[uuid.UUID] = []
        self.visible: list[bool] = []
        self.jobs: list[tuple[str, bool]] = []  # (status, has sent_at) at send

    def __call__(self, run_id: uuid.UUID, delay_s: float) -> None:
        with self.factory() as session:
            self.visible.append(session.get(Run, run_id) is not None)
            job = session.scalars(select(Job).where(Job.run_id == run_id)).first()
            if job is not None:
                self.jobs.append((job.status, job.sent_at is not None))
        if self.fail:
            raise ConnectionError("broker down")
        self.sent.append(run_id)


@pytest.fixture(params=["postgresql", "sqlite"])
def factory(
    request: pytest.FixtureRequest, factory: sessionmaker[Session], tmp_path: Path
) -> Iterator[sessionmaker[Session]]:
    """Both paths of a submission: Postgres' statements and SQLite's ORM."""
    if request.param == "postgresql":
        yield factory
        return
    engine = make_engine(f"sqlite:///{tmp_path}/pta.db")
    upgrade_database(engine)
    yield make_sessionmaker(engine)
    engine.dispose()


def test_enqueue_creates_run_and_job_and_sends_only_the_id(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)

    result = enqueue_run(factory, settings, recorder, URL, ref="main")

    assert result.created
    assert recorder.sent == [result.run_id]
    assert recorder.visible == [True]  # sent after the commit
    with factory() as session:
        run = session.get_one(Run, result.run_id)
        assert run.status == RunStatus.QUEUED
        assert (run.repo_owner, run.repo_name, run.ref) == ("acme", "app", "main")
        assert run.analyzer_version.startswith("pta-")
        assert run.job.status == JobStatus.QUEUED
        assert run.job.sent_at is not None


def test_same_commit_returns_the_existing_run(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)

    first = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)
    second = enqueue_run(factory, settings, recorder, URL + "/", ref=SHA)

    assert second.run_id == first.run_id
    assert not second.created
    assert recorder.sent == [first.run_id]


def test_a_failed_run_is_not_reused(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    first = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)
    with factory.begin() as session:
        session.execute(
            update(Run).where(Run.id == first.run_id).values(status=RunStatus.FAILED)
        )

    second = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)

    assert second.created
    assert second.run_id != first.run_id


def test_dedupe_window_expires(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    first = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)
    with factory.begin() as session:
        run = session.get_one(Run, first.run_id)
        run.created_at -= timedelta(seconds=settings.dedupe_window_s + 1)

    second = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)

    assert second.created


def test_a_branch_is_deduplicated_only_while_in_flight(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    first = enqueue_run(factory, settings, recorder, URL, ref="main")
    again = enqueue_run(factory, settings, recorder, URL, ref="main")
    with factory.begin() as session:
        session.execute(
            update(Run).where(Run.id == first.run_id).values(status=RunStatus.SUCCEEDED)
        )
    later = enqueue_run(factory, settings, recorder, URL, ref="main")

    assert again.run_id == first.run_id
    assert later.created


def test_a_run_without_ref_is_deduplicated_only_while_in_flight(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    first = enqueue_run(factory, settings, recorder, URL)
    branch = enqueue_run(factory, settings, recorder, URL, ref="main")
    again = enqueue_run(factory, settings, recorder, URL)
    with factory.begin() as session:
        session.execute(
            update(Run).where(Run.id == first.run_id).values(status=RunStatus.FAILED)
        )
    later = enqueue_run(factory, settings, recorder, URL)

    assert branch.created
    assert (again.run_id, again.created) == (first.run_id, False)
    assert later.created


def test_a_running_run_of_the_same_commit_is_returned_with_its_status(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    first = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)
    with factory.begin() as session:
        session.execute(
            update(Run).where(Run.id == first.run_id).values(status=RunStatus.RUNNING)
        )

    second = enqueue_run(factory, settings, recorder, URL, ref=SHA.upper())

    assert (second.run_id, second.status) == (first.run_id, RunStatus.RUNNING)
    assert recorder.sent == [first.run_id]


def test_without_dedupe_window_every_submission_is_a_run(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    settings = replace(settings, dedupe_window_s=0)

    first = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)
    second = enqueue_run(factory, settings, recorder, URL, commit_sha=SHA)

    assert first.created and second.created
    assert recorder.sent == [first.run_id, second.run_id]
    assert recorder.jobs == [("QUEUED", True), ("QUEUED", True)]


def test_the_job_is_queued_with_its_send_time_before_the_message_goes(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    # The reconciler resends only jobs sent long ago (or never): a job
    # committed without a send time could be sent twice.
    recorder = Recorder(factory)

    enqueue_run(factory, settings, recorder, URL, ref="main")

    assert recorder.jobs == [("QUEUED", True)]


def test_concurrent_identical_submissions_make_one_run(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    results = []

    def submit() -> None:
        results.append(enqueue_run(factory, settings, recorder, URL, commit_sha=SHA))

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len({r.run_id for r in results}) == 1
    with factory() as session:
        assert len(session.scalars(select(Run)).all()) == 1


def test_broker_down_leaves_the_run_queued_for_the_reconciler(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    result = enqueue_run(factory, settings, Recorder(factory, fail=True), URL)

    with factory() as session:
        job = session.scalars(select(Job).where(Job.run_id == result.run_id)).one()
        assert job.status == JobStatus.QUEUED
        assert job.sent_at is None


def test_a_submission_cut_off_by_postgres_fails_as_unavailable_and_the_next_works(
    engine: Engine, settings: Settings
) -> None:
    factory = make_sessionmaker(engine)
    errors: list[Exception] = []

    def submit() -> None:
        try:
            enqueue_run(factory, settings, Recorder(factory), URL, ref="cut")
        except Exception as error:
            errors.append(error)

    with engine.connect() as blocker:
        blocker.execute(text("LOCK TABLE ci_runs IN ACCESS EXCLUSIVE MODE"))
        thread = threading.Thread(target=submit)
        thread.start()
        _terminate_backend_waiting_in(engine, "pta_submit_run")
        thread.join(30)
        blocker.rollback()
    after = enqueue_run(factory, settings, Recorder(factory), URL, ref="after")

    assert len(errors) == 1
    assert isinstance(errors[0], OperationalError)
    assert after.created


def test_invalid_url_writes_nothing(
    factory: sessionmaker[Session], settings: Settings
) -> None:
    recorder = Recorder(factory)
    with pytest.raises(InvalidRepoUrl):
        enqueue_run(factory, settings, recorder, "ext::sh -c touch% /tmp/x")
    with pytest.raises(HostNotAllowed):
        enqueue_run(factory, settings, recorder, "http://github.com/o/r")
    with pytest.raises(InvalidRepoUrl):
        enqueue_run(factory, settings, recorder, URL, commit_sha="abc")

    assert recorder.sent == []
    with factory() as session:
        assert session.scalars(select(Run)).all() == []


def _terminate_backend_waiting_in(engine: Engine, call: str) -> None:
    query = text(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND wait_event_type = 'Lock'"
        " AND query LIKE '%' || :call || '%'"
    )
    with engine.connect() as connection:
        for _ in range(300):
            pid = connection.execute(query, {"call": call}).scalar()
            if pid is not None:
                connection.execute(
                    text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}
                )
                return
            time.sleep(0.05)
    raise AssertionError(f"no backend waited in {call}")
