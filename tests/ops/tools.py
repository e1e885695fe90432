"""Paths of the repository's ops files and the external validators the tests
use (installed by ``.ci/services.sh``: Debian's ``docker-compose`` and
``prometheus``, which ships ``promtool``)."""

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"
PROMETHEUS_CONFIG = ROOT / "ops" / "prometheus.yml"
ALERT_RULES = ROOT / "ops" / "alerts.yml"


def tool(name: str, package: str) -> str:
    """The path of ``name``; fails the test, naming the package, if absent."""
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} not found: run .ci/services.sh (apt-get install {package})"
        )
    return found


def compose() -> dict[str, Any]:
    """docker-compose.yml as data (anchors and merges resolved)."""
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE_FILE.read_text())
    return loaded


def env_example() -> dict[str, str]:
    """The variables of .env.example."""
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def alert_rules() -> list[dict[str, Any]]:
    """Every rule of ops/alerts.yml."""
    groups = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def alert_metric_names() -> set[str]:
    """The PTA metric families the alert expressions read (``_bucket`` etc.
    stripped to the family name)."""
    names = set()
    for rule in alert_rules():
        for name in re.findall(r"\bpta_[a-z_]+", rule["expr"]):
            names.add(re.sub(r"_(bucket|count|sum)$", "", name))
    return names
