"""docker-compose.yml: valid for docker-compose (``config`` parses and checks
it without an engine) and shaped as the operations guide says."""

import re
import shutil
import subprocess
from pathlib import Path

from pta_tasks.settings import load_settings

from .tools import COMPOSE_FILE, ENV_EXAMPLE, compose, env_example, tool

PTA_SERVICES = ("migrate", "api", "worker", "beat", "flower")
SERVICES = (*PTA_SERVICES, "redis", "postgres", "prometheus")


def test_compose_config_accepts_the_file_with_the_example_env(tmp_path: Path) -> None:
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    shutil.copy(ENV_EXAMPLE, tmp_path / ".env")
    done = subprocess.run(
        [tool("docker-compose", "docker-compose"), "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def test_compose_config_refuses_an_env_without_the_database_password(
    tmp_path: Path,
) -> None:
    shutil.copy(COMPOSE_FILE, tmp_path / "docker-compose.yml")
    (tmp_path / ".env").write_text("FLOWER_PASSWORD=x\n")
    done = subprocess.run(
        [tool("docker-compose", "docker-compose"), "config", "--quiet"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode != 0
    assert "POSTGRES_PASSWORD" in done.stderr


def test_every_service_is_there_with_one_image_for_pta() -> None:
    services = compose()["services"]
    assert set(SERVICES) <= set(services)
    assert {services[name]["image"] for name in PTA_SERVICES} == {"pta:latest"}


def test_long_running_services_have_health_checks() -> None:
    services = compose()["services"]
    for name in ("api", "worker", "flower", "redis", "postgres", "prometheus"):
        assert services[name]["healthcheck"]["test"][0] == "CMD", name


def test_pta_processes_start_after_migration_and_broker() -> None:
    services = compose()["services"]
    for name in ("api", "worker", "beat", "flower"):
        depends = services[name]["depends_on"]
        assert depends["migrate"]["condition"] == "service_completed_successfully"
        assert depends["redis"]["condition"] == "service_healthy"
    migrate = services["migrate"]
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert migrate["command"] == ["pta", "db", "upgrade"]


def test_data_lives_in_named_volumes() -> None:
    data = compose()
    declared = set(data["volumes"])
    for name, path in (
        ("postgres", "/var/lib/postgresql/data"),
        ("redis", "/data"),
        ("worker", "/var/lib/pta/ci"),
        ("prometheus", "/prometheus"),
    ):
        mounts = dict(v.split(":")[:2][::-1] for v in data["services"][name]["volumes"])
        assert mounts[path] in declared, name


def test_secrets_come_only_from_the_env_file() -> None:
    text = COMPOSE_FILE.read_text()
    for name in ("POSTGRES_PASSWORD", "FLOWER_PASSWORD"):
        assert re.search(rf"\$\{{{name}:\?", text), name
    for name, value in env_example().items():
        if "CHANGE_ME" in value:
            assert value not in text, name
    services = compose()["services"]
    for name in PTA_SERVICES:
        assert services[name]["env_file"] == ".env"


def test_env_example_has_every_required_variable_as_a_placeholder() -> None:
    values = env_example()
    for name in ("POSTGRES_PASSWORD", "API_KEYS", "ADMIN_KEY", "FLOWER_BASIC_AUTH"):
        assert "CHANGE_ME" in values[name], name
    assert len(values["ADMIN_KEY"]) >= 32


def test_worker_stop_grace_outlasts_the_task_hard_limit() -> None:
    worker = compose()["services"]["worker"]
    grace_s = int(worker["stop_grace_period"].rstrip("s"))
    settings = load_settings(env_example() | {"DATABASE_URL": "postgresql://x/y"})
    assert grace_s > settings.hard_time_limit_s


def test_prometheus_loads_the_alert_rules() -> None:
    prometheus = compose()["services"]["prometheus"]
    targets = {v.split(":")[1] for v in prometheus["volumes"]}
    assert "/etc/prometheus/alerts.yml" in targets
    assert "/etc/prometheus/prometheus.yml" in targets


def test_flower_is_published_on_loopback_only() -> None:
    flower = compose()["services"]["flower"]
    assert flower["ports"] == ["127.0.0.1:5555:5555"]
    assert "--conf=/app/ops/flowerconfig.py" in flower["command"]
