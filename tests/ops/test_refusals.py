"""The image's Celery entry points refuse to start, with the message
operators grep for, where ``pta worker`` and ``pta beat`` would."""

import os
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.tasks.conftest import create_database, drop_database

from .stack import compose_command

START_TIMEOUT_S = 60


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"pta_ops_empty_{secrets.token_hex(3)}"
    url = create_database(name)
    yield url
    drop_database(name)


def start(service: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        compose_command(service),
        env=os.environ | env,
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=False,
    )


def service_env(database_url: str, redis_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "PTA_ENV": "test",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "PTA_STATE_DIR": str(tmp_path / "state"),
        "CI_TMP_DIR": str(tmp_path / "ci"),
        "CI_QUEUE": f"refuse{secrets.token_hex(3)}",
    }


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_refuses_a_database_behind_the_code(
    service: str, empty_database: str, redis_url: str, tmp_path: Path
) -> None:
    done = start(service, service_env(empty_database, redis_url, tmp_path))
    assert done.returncode == 1
    assert "DB_SCHEMA_OUTDATED" in done.stderr
    assert "run `pta db upgrade`" in done.stderr


def test_worker_refuses_when_disabled(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = service_env(pg_url, redis_url, tmp_path) | {"CI_WORKER_ENABLED": "false"}
    done = start("worker", env)
    assert done.returncode == 3
    assert "CI_WORKER_ENABLED is false: this worker refuses to start" in done.stderr


def test_pta_worker_serves_the_same_metrics(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    import sys
    import urllib.request

    from .stack import Proc, free_port

    port = free_port()
    env = os.environ | service_env(pg_url, redis_url, tmp_path)
    env |= {
        "WORKER_METRICS_PORT": str(port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "samples"),
    }
    argv = [sys.executable, "-m", "pta_tasks", "worker", "--loglevel", "INFO"]
    worker = Proc("pta-worker", argv, env, tmp_path)
    try:
        from .tools import ROOT

        check = [sys.executable, str(ROOT / "ops" / "healthcheck.py"), "worker"]
        worker.wait_healthy(check, env)
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as answer:
            text = answer.read().decode()
        assert "pta_ci_tmp_used_bytes" in text
    finally:
        worker.stop()
