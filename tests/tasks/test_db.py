import os
import secrets
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import check_schema_current, make_engine, upgrade_database
from pta_tasks.errors import ErrorCode, SchemaOutdated
from pta_tasks.models import Job, JobStatus, Run, RunStatus, utcnow

from .conftest import create_database, drop_database


@pytest.fixture
def empty_database() -> object:
    name = f"pta_test_empty_{secrets.token_hex(4)}"
    url = create_database(name)
    yield url
    drop_database(name)


def test_a_database_behind_the_code_is_refused(empty_database: str) -> None:
    engine = make_engine(empty_database)
    with pytest.raises(SchemaOutdated) as caught:
        check_schema_current(engine)
    engine.dispose()

    assert caught.value.code == ErrorCode.DB_SCHEMA_OUTDATED
    assert "pta db upgrade" in str(caught.value)


def test_db_upgrade_command_brings_the_database_to_head(empty_database: str) -> None:
    env = dict(os.environ, DATABASE_URL=empty_database, PTA_ENV="test")

    check = [sys.executable, "-m", "pta_tasks", "db", "check"]
    before = subprocess.run(check, env=env, capture_output=True, text=True)
    upgrade = subprocess.run(
        [sys.executable, "-m", "pta_tasks", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
    )
    after = subprocess.run(check, env=env, capture_output=True, text=True)

    assert before.returncode == 1
    assert "DB_SCHEMA_OUTDATED" in before.stderr
    assert upgrade.returncode == 0, upgrade.stderr
    assert after.returncode == 0, after.stderr


def test_sqlite_database_migrates_too(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/pta.db")
    upgrade_database(engine)

    check_schema_current(engine)
    engine.dispose()


def _failed_run(session: Session, error: str, age: timedelta) -> None:
    run = Run(
        repo_url="https://github.com/o/r",
        status=RunStatus.FAILED,
        analyzer_version="pta-test",
        error=error,
        error_code=error.split(":", 1)[0],
        created_at=utcnow() - age,
    )
    run.job = Job(status=JobStatus.DEAD, created_at=utcnow() - age)
    session.add(run)


def test_operator_queries_work_as_written(
    factory: sessionmaker[Session], engine: Engine
) -> None:
    with factory.begin() as session:
        _failed_run(session, "REPO_TOO_LARGE: 312 MB > 250 MB", timedelta(hours=1))
        _failed_run(session, "REPO_TOO_LARGE: 300 MB > 250 MB", timedelta(hours=2))
        _failed_run(session, "AUTH_REQUIRED: 401", timedelta(hours=3))
        _failed_run(session, "AUTH_REQUIRED: 401", timedelta(days=8))

    with engine.begin() as connection:
        codes = connection.execute(
            text(
                "SELECT LEFT(error, POSITION(':' IN error) - 1) AS error_code, "
                "COUNT(*) FROM ci_runs WHERE status = 'FAILED' AND created_at > "
                "NOW() - INTERVAL '24 hours' GROUP BY 1 ORDER BY 2 DESC;"
            )
        ).all()
        deleted = connection.execute(
            text(
                "DELETE FROM ci_jobs WHERE status = 'DEAD' AND created_at < "
                "NOW() - INTERVAL '7 days';"
            )
        ).rowcount

    assert [tuple(row) for row in codes] == [
        ("REPO_TOO_LARGE", 2),
        ("AUTH_REQUIRED", 1),
    ]
    assert deleted == 1
