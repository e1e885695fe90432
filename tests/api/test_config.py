import json
import os
import subprocess
from pathlib import Path

import pytest

from pta_api.config import load_config
from pta_tasks.errors import ConfigError
from tests.api.conftest import ADMIN_KEY, API_KEY, PTA_API, ApiServer, server_env

PRODUCTION = {
    "PTA_ENV": "production",
    "DATABASE_URL": "postgresql://postgres@127.0.0.1:1/none",
    "REDIS_URL": "redis://127.0.0.1:1/0",
    "API_KEYS": API_KEY,
    "ADMIN_KEY": ADMIN_KEY,
}


def _start(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PTA_")}
    for name in ("DATABASE_URL", "REDIS_URL", "PORT", "ADMIN_KEY", "API_KEYS"):
        environ.pop(name, None)
    return subprocess.run(
        [str(PTA_API)],
        env=environ | env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("port", ["0", "65536", "http", "-1", "80x"])
def test_production_start_refuses_a_bad_port(port: str) -> None:
    done = _start(PRODUCTION | {"PORT": port})

    assert done.returncode == 2
    assert done.stderr.strip() == "Invalid PORT"
    assert done.stdout == ""


def test_production_start_requires_a_database_url() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "DATABASE_URL"}

    done = _start(env)

    assert done.returncode == 2
    assert done.stderr.strip() == "DATABASE_URL is required"


def test_production_start_refuses_a_short_admin_key() -> None:
    done = _start(PRODUCTION | {"ADMIN_KEY": "x" * 31})

    assert done.returncode == 2
    assert done.stderr.strip() == "ADMIN_KEY must be at least 32 characters"


def test_a_bad_number_in_a_limit_is_an_error_not_a_disabled_limit() -> None:
    done = _start(PRODUCTION | {"RATE_LIMIT_PER_MINUTE": "lots"})

    assert done.returncode == 2
    assert done.stderr.strip() == "Invalid RATE_LIMIT_PER_MINUTE: not a whole number"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("RATE_LIMIT_PER_MINUTE", "0",
         "Invalid RATE_LIMIT_PER_MINUTE: must be at least 1"),
        ("RATE_LIMIT_ENQUEUE_PER_MINUTE", "1.5",
         "Invalid RATE_LIMIT_ENQUEUE_PER_MINUTE: not a whole number"),
        ("MAX_REQUEST_BYTES", "-5", "Invalid MAX_REQUEST_BYTES: not a whole number"),
        ("WEBHOOK_MAX_BYTES", "", None),
        ("WEB_CONCURRENCY", "zero", "Invalid WEB_CONCURRENCY: not a whole number"),
        ("FORCE_HTTP", "maybe", "Invalid FORCE_HTTP: expected true or false"),
        ("MAX_REPO_BYTES", "1e9", "Invalid MAX_REPO_BYTES: not an integer"),
    ],
)  # fmt: skip
def test_limit_variables_are_checked_at_load(
    name: str, value: str, message: str | None
) -> None:
    env = PRODUCTION | {name: value}

    if message is None:
        assert load_config(env).webhook_max_bytes == 25 * 1024 * 1024
        return
    with pytest.raises(ConfigError) as caught:
        load_config(env)
    assert caught.value.detail == message


def test_production_requires_client_keys() -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "API_KEYS"}

    with pytest.raises(ConfigError) as caught:
        load_config(env)

    assert caught.value.detail == "API_KEYS is required in production"


def test_development_defaults_are_open_and_local() -> None:
    config = load_config({})

    assert config.port == 5000
    assert config.host == "0.0.0.0"
    assert not config.auth_required
    assert config.rate_limit_storage_uri == "memory://"
    assert config.settings.database_url.startswith("sqlite:///")
    assert not config.db_configured


def test_boot_report_is_the_first_line_printed(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = server_env(pg_url, redis_url, tmp_path, FORCE_HTTP="true")
    server = ApiServer(env, tmp_path / "out.log").start()
    try:
        first = server.output().splitlines()[0]
    finally:
        server.stop()

    report = json.loads(first)
    assert set(report) == {
        "timestamp", "tool_version", "env", "bind_host", "bind_port",
        "db_configured", "ci_enabled", "semantic_enabled", "force_http",
    }  # fmt: skip
    assert report["tool_version"].startswith("pta-")
    assert report["env"] == "test"
    assert report["bind_host"] == "127.0.0.1"
    assert report["bind_port"] == server.port
    assert report["db_configured"] is True
    assert report["ci_enabled"] is True
    assert report["semantic_enabled"] is False
    assert report["force_http"] is True


def test_start_refuses_a_database_behind_the_migrations(
    redis_url: str, tmp_path: Path
) -> None:
    from tests.tasks.conftest import create_database, drop_database

    name = f"pta_api_empty_{os.getpid()}"
    url = create_database(name)
    try:
        done = _start(server_env(url, redis_url, tmp_path))
    finally:
        drop_database(name)

    assert done.returncode == 3
    assert json.loads(done.stdout.splitlines()[0])["env"] == "test"
    assert "run `pta db upgrade`" in done.stderr


def test_embedded_default_runs_one_worker_so_memory_limits_stay_exact() -> None:
    embedded = load_config({})
    with_redis = load_config({"REDIS_URL": "redis://127.0.0.1:6379/0"})

    assert embedded.web_concurrency == 1
    assert with_redis.web_concurrency == 4
