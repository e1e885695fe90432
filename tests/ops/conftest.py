"""Fixtures of the ops tests: the tasks tests' Postgres database and Redis db
index (imported), and a running local stack started the compose way."""

import os
import secrets
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from tests.tasks.conftest import pg_url, redis_url

from .stack import BIN, Proc, compose_command, compose_healthcheck, free_port

__all__ = ["pg_url", "redis_url", "stack"]

API_KEY = "ops-test-client-key"
ADMIN_KEY = "ops-test-admin-key-" + "x" * 20
FLOWER_LOGIN = "admin:ops-test-flower"


@dataclass
class Stack:
    """The running processes, their environment and addresses."""

    env: dict[str, str]
    api_url: str
    worker_metrics_url: str
    flower_url: str
    procs: dict[str, Proc] = field(default_factory=dict)

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()


@pytest.fixture(scope="session")
def stack(
    pg_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """api, worker, beat and Flower started with their compose commands."""
    base = tmp_path_factory.mktemp("stack")
    logs = base / "logs"
    logs.mkdir()
    ports = {name: free_port() for name in ("api", "worker", "flower")}
    env = {
        **os.environ,
        "PATH": f"{BIN}:{os.environ.get('PATH', '')}",
        "PTA_ENV": "production",
        "DATABASE_URL": pg_url,
        "REDIS_URL": redis_url,
        "API_KEYS": API_KEY,
        "ADMIN_KEY": ADMIN_KEY,
        "PTA_STATE_DIR": str(base / "state"),
        "CI_TMP_DIR": str(base / "ci"),
        "CI_QUEUE": f"ops{secrets.token_hex(4)}",
        "CI_MIN_FREE_BYTES": "1",
        "CI_MIN_FREE_PERCENT": "0",
        "ALLOW_LOCAL_REPOS": "true",
        "WEB_CONCURRENCY": "2",
        "PORT": str(ports["api"]),
        "WORKER_METRICS_PORT": str(ports["worker"]),
        "FLOWER_PORT": str(ports["flower"]),
        "FLOWER_ADDRESS": "127.0.0.1",
        "FLOWER_BASIC_AUTH": FLOWER_LOGIN,
    }
    subprocess.run(compose_command("migrate"), env=env, check=True, capture_output=True)
    running = Stack(
        env=env,
        api_url=f"http://127.0.0.1:{ports['api']}",
        worker_metrics_url=f"http://127.0.0.1:{ports['worker']}/metrics",
        flower_url=f"http://127.0.0.1:{ports['flower']}",
    )
    try:
        for name in ("api", "worker", "beat", "flower"):
            metrics_dir = base / f"metrics-{name}"
            proc_env = env | {"PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}
            if name == "beat" or name == "flower":
                proc_env.pop("PROMETHEUS_MULTIPROC_DIR")
            running.procs[name] = Proc(name, compose_command(name), proc_env, logs)
        for name in ("api", "worker", "flower"):
            running.procs[name].wait_healthy(compose_healthcheck(name), env)
        running.procs["beat"].wait_for("beat: Starting")
        yield running
    finally:
        running.stop()
