"""Fixtures of the ``pta_tasks`` tests: a Postgres database and a Redis db
index of their own for the session, and settings pointing at them.

``PTA_TEST_PG_ADMIN_URL`` and ``PTA_TEST_REDIS_URL`` override where the
servers are (defaults: the local ones on their standard ports).
"""

import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.db import make_engine, make_sessionmaker, upgrade_database
from pta_tasks.models import Base
from pta_tasks.settings import Settings, load_settings

from .gitserver import GitHttpServer, make_bad_checkout_repo, make_bare_repo
from .service import Service

PG_ADMIN_URL = os.environ.get(
    "PTA_TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("PTA_TEST_REDIS_URL", "redis://127.0.0.1:6379")
REDIS_DBS = 15
GIT_TOKEN = "ghp_SENTINEL0123456789abcdefghij"


def _admin_engine() -> Engine:
    url = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, isolation_level="AUTOCOMMIT")


def database_url(name: str) -> str:
    """The URL of database ``name`` on the test server."""
    return PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"


def create_database(name: str) -> str:
    """Create an empty database ``name``; return its URL."""
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return database_url(name)


def drop_database(name: str) -> None:
    """Drop database ``name``, closing whatever is still connected."""
    admin = _admin_engine()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A Postgres database of this test session, migrated to head."""
    name = f"pta_test_{os.getpid()}_{secrets.token_hex(3)}"
    url = create_database(name)
    engine = make_engine(url)
    upgrade_database(engine)
    engine.dispose()
    yield url
    drop_database(name)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A Redis db index of this test session, emptied before and after."""
    client = redis.Redis.from_url(f"{REDIS_URL}/0")
    index = None
    for candidate in range(1, REDIS_DBS + 1):
        if client.set(f"pta-test-db-{candidate}", os.getpid(), nx=True, ex=3600):
            index = candidate
            break
    if index is None:
        pytest.fail("no free Redis db index for this test session")
    url = f"{REDIS_URL}/{index}"
    db = redis.Redis.from_url(url)
    db.flushdb()
    yield url
    db.flushdb()
    client.delete(f"pta-test-db-{index}")
    client.close()
    db.close()


@pytest.fixture(scope="session")
def engine(pg_url: str) -> Iterator[Engine]:
    """An engine on the session's database."""
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory on emptied tables (each test starts from nothing)."""
    names = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} CASCADE"))
    return make_sessionmaker(engine)


@pytest.fixture
def base_env(pg_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    """Environment variables of a test service: loopback hosts, small limits."""
    return {
        "PTA_ENV": "test",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "PTA_STATE_DIR": str(tmp_path / "state"),
        "CI_TMP_DIR": str(tmp_path / "ci"),
        "ALLOWED_REPO_HOSTS": "127.0.0.1,localhost",
        "ALLOWED_REPO_SCHEMES": "http,git",
        "ALLOW_PRIVATE_NETWORK": "true",
        "CI_MIN_FREE_BYTES": "1",
        "CI_MIN_FREE_PERCENT": "0",
        "CI_QUEUE": f"q{secrets.token_hex(4)}",
    }


@pytest.fixture
def settings(base_env: dict[str, str]) -> Settings:
    """Settings built from ``base_env``."""
    return load_settings(base_env)


@pytest.fixture(scope="session")
def git_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GitHttpServer]:
    """A loopback git HTTP server with the test repositories."""
    root = tmp_path_factory.mktemp("git") / "srv"
    root.mkdir()
    small = {
        "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
        "requirements.txt": "flask\n",
        "README.md": "# app\n\nRun with `flask run`.\n",
    }
    make_bare_repo(root, "acme/app.git", small)
    make_bare_repo(root, "private/app.git", small)
    make_bare_repo(root, "throttled/big.git", {"big.bin": os.urandom(3_000_000)})
    make_bare_repo(root, "acme/many.git", {f"f{i}.txt": f"{i}\n" for i in range(60)})
    make_bad_checkout_repo(root, "acme/bad-checkout.git")
    server = GitHttpServer(root, GIT_TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def service(
    base_env: dict[str, str],
    factory: sessionmaker[Session],
    tmp_path: Path,
) -> Iterator[Service]:
    """Settings, database and broker of a test; its processes stopped after."""
    logs = tmp_path / "logs"
    logs.mkdir()
    env = base_env | {"GITHUB_TOKEN": GIT_TOKEN, "CI_GIT_TOKEN_HOSTS": "127.0.0.1"}
    svc = Service(env, factory, logs)
    yield svc
    svc.stop()


def fake_repo(git_server: GitHttpServer, name: str, config: dict[str, object]) -> str:
    """A repository driving ``tests.tasks.fake_analyzer``; returns its URL."""
    files = {
        "pta-fake.json": json.dumps(config),
        "app.py": "print('hello')\n",
    }
    make_bare_repo(git_server.root, f"acme/{name}.git", files)
    return git_server.url(f"acme/{name}.git")
