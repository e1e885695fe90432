"""Fixtures of the API tests: a Postgres database and a Redis db index of
their own for the session, and ``pta-api`` itself (gunicorn) serving them on
loopback, driven over HTTP.

``PTA_TEST_PG_ADMIN_URL`` and ``PTA_TEST_REDIS_URL`` override where the
servers are (defaults: the local ones on their standard ports).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy.orm import Session, sessionmaker

# The database and Redis fixtures are the run pipeline's tests' own.
from tests.tasks.conftest import engine, factory, pg_url, redis_url

__all__ = ["engine", "factory", "pg_url", "redis_url"]

API_KEY = "client-key-" + "k" * 20
OTHER_KEY = "second-client-key-" + "x" * 14
ADMIN_KEY = "admin-key-" + "a" * 30
WEBHOOK_SECRET = "webhook-secret-" + "w" * 17
PTA_API = Path(sys.executable).parent / "pta-api"
START_TIMEOUT_S = 60
STOP_TIMEOUT_S = 20


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class ApiServer:
    """``pta-api`` in a child process; its output goes to one log file."""

    def __init__(self, env: dict[str, str], log_path: Path) -> None:
        self.env = env
        self.port = int(env["PORT"])
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ApiServer":
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PTA_")}
        environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [str(PTA_API)],
                env=environ | self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pta-api exited: {self.output()}")
            try:
                if requests.get(self.url("/health"), timeout=5).ok:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"pta-api did not start: {self.output()}")

    def url(self, path: str) -> str:
        return self.base + path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Client:
    """HTTP calls to one server, with a client key unless told otherwise."""

    def __init__(self, server: ApiServer, key: str | None = API_KEY) -> None:
        self.server = server
        self.session = requests.Session()
        if key is not None:
            self.session.headers["X-Api-Key"] = key

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.server.url(path), timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.server.url(path), timeout=30, **kwargs)


def server_env(
    pg_url: str, redis_url: str, state: Path, **overrides: str
) -> dict[str, str]:
    """Environment of a test ``pta-api``: loopback, keys, generous limits."""
    env = {
        "PTA_ENV": "test",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "PTA_STATE_DIR": str(state / "state"),
        "CI_TMP_DIR": str(state / "ci"),
        "API_KEYS": f"{API_KEY},{OTHER_KEY}",
        "ADMIN_KEY": ADMIN_KEY,
        "GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ALLOWED_REPO_HOSTS": "127.0.0.1,localhost,github.com",
        "ALLOWED_REPO_SCHEMES": "https,http,git",
        "ALLOW_PRIVATE_NETWORK": "true",
        "CI_MIN_FREE_BYTES": "1",
        "CI_MIN_FREE_PERCENT": "0",
        "CI_QUEUE": f"q{secrets.token_hex(4)}",
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "2",
        "RATE_LIMIT_PER_MINUTE": "100000",
        "RATE_LIMIT_ENQUEUE_PER_MINUTE": "100000",
        "RATE_LIMIT_WEBHOOK_PER_MINUTE": "100000",
        "CORS_ORIGINS": "https://ci.example.test",
        "WEBHOOK_ALLOWED_REPOS": "acme/app,Acme/Other",
    }
    return env | overrides


@pytest.fixture(scope="session")
def server(
    pg_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """The session's ``pta-api``, stopped at the end."""
    state = tmp_path_factory.mktemp("api")
    api = ApiServer(server_env(pg_url, redis_url, state), state / "pta-api.log")
    api.start()
    yield api
    api.stop()


@pytest.fixture
def client(server: ApiServer, factory: sessionmaker[Session]) -> Client:
    """A client with a valid key, on emptied tables."""
    return Client(server)


@pytest.fixture
def anonymous(server: ApiServer) -> Client:
    """A client that sends no key."""
    return Client(server, key=None)
