"""docs/OPERATIONS.md does what it says: every ``sh`` command runs against the
local stack and exits 0; the ``sh compose`` and ``sh cluster`` commands name
only services, files, deployments and jobs that exist; the tables cover every
error code and alert."""

import re
import shlex
import subprocess
from typing import Any

import pytest
import yaml

from pta_tasks.errors import ErrorCode

from .conftest import ADMIN_KEY, API_KEY, FLOWER_LOGIN, Stack
from .tools import ROOT, alert_metric_names, alert_rules, compose

DOC = ROOT / "docs" / "OPERATIONS.md"
FENCE = re.compile(r"^(\s*)```(.*)$")
COMMAND_TIMEOUT_S = 300


def blocks(kind: str) -> list[str]:
    """The commands of the doc's code blocks of ``kind`` (continuations joined)."""
    commands: list[str] = []
    inside: str | None = None
    for line in DOC.read_text().splitlines():
        fence = FENCE.match(line)
        if fence:
            inside = None if inside is not None else fence.group(2).strip()
            continue
        if inside != kind:
            continue
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if commands and commands[-1].endswith("\\"):
            commands[-1] = commands[-1][:-1] + " " + text
        else:
            commands.append(text)
    return commands


@pytest.fixture(scope="module")
def doc_env(stack: Stack) -> dict[str, str]:
    return stack.env | {
        "PTA_API": stack.api_url,
        "KEY": API_KEY,
        "ADMIN_KEY": ADMIN_KEY,
        "FLOWER": stack.flower_url,
        "FLOWER_BASIC_AUTH": FLOWER_LOGIN,
    }


@pytest.mark.parametrize("command", blocks("sh"))
def test_local_command_runs_against_the_stack(
    command: str, doc_env: dict[str, str]
) -> None:
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{command}"],
        cwd=ROOT,
        env=doc_env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, (
        f"{command}\n{done.stdout[-2000:]}{done.stderr[-2000:]}"
    )


def test_the_doc_runs_the_commands_the_issue_names() -> None:
    local = blocks("sh")
    assert "make smoke" in local
    assert any(c.startswith("pta db upgrade") for c in local)
    cluster = blocks("sh cluster")
    assert "kubectl -n pta scale deployment/pta-worker --replicas=4" in cluster


@pytest.mark.parametrize("command", blocks("sh compose"))
def test_compose_command_names_existing_services(command: str) -> None:
    services = set(compose()["services"])
    words = shlex.split(command.split("|")[0].split(">")[0])
    if words[:2] == ["cp", ".env.example"]:
        assert (ROOT / ".env.example").is_file()
        return
    assert words[:2] == ["docker", "compose"], command
    named = []
    for word in words[3:]:
        if word.startswith("-"):
            continue
        named.append(word.split("=")[0])
    assert set(named) <= services, command


@pytest.mark.parametrize("command", blocks("sh cluster"))
def test_cluster_command_names_existing_manifests(command: str) -> None:
    resources = _manifest_names()
    for path in re.findall(r"\bk8s/[\w.-]*", command):
        assert (ROOT / path).exists(), path
    for kind, name in re.findall(r"\b(deployment|job)/([\w-]+)", command):
        assert (kind, name) in resources, f"{kind}/{name}"
    if " -n " in command:
        assert " -n pta " in command


def test_error_table_covers_every_code() -> None:
    text = DOC.read_text()
    for code in ErrorCode:
        assert f"| `{code.value}` |" in text, code.value


def test_metric_and_alert_tables_cover_the_rules() -> None:
    text = DOC.read_text()
    for rule in alert_rules():
        assert f"| `{rule['alert']}` |" in text, rule["alert"]
    for name in alert_metric_names():
        assert f"`{name}" in text, name


def _manifest_names() -> set[tuple[str, Any]]:
    found = set()
    for path in (ROOT / "k8s").glob("*.yaml"):
        for document in yaml.safe_load_all(path.read_text()):
            if document and "metadata" in document:
                kind = document["kind"].lower()
                found.add((kind, document["metadata"].get("name")))
    return found
