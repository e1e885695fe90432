"""The Dockerfile, read (no Docker engine here): one image for every process,
git inside, a non-root user, a health check without extra tools, and every
file the package build needs copied and not ignored."""

import configparser
import fnmatch
import json
import re

from .tools import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    text = DOCKERFILE.replace("\\\n", " ")
    return [
        line.split(None, 1)[1].strip()
        for line in text.splitlines()
        if line.split(None, 1)[:1] == [name]
    ]


def ignored(path: str) -> bool:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    return any(
        fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/"))
        for p in patterns
    )


def test_copied_sources_exist_and_are_not_ignored() -> None:
    for copy in instructions("COPY"):
        *sources, _dest = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not ignored(source), source


def test_every_package_of_setup_cfg_is_copied() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    packages = config["options"]["packages"].split()
    copied = {source for copy in instructions("COPY") for source in copy.split()[:-1]}
    roots = {"schemas" if p == "pta_schemas" else p.split(".")[0] for p in packages}
    assert roots <= copied
    assert {"setup.cfg", "pyproject.toml", "README.md", "ops"} <= copied


def test_git_is_installed_for_the_clones() -> None:
    assert any(
        re.search(r"apt-get install .*\bgit\b", run) for run in instructions("RUN")
    )


def test_runs_as_a_numeric_non_root_user() -> None:
    (user,) = instructions("USER")
    uid = user.split(":")[0]
    assert uid.isdigit() and int(uid) != 0


def test_health_check_needs_only_python() -> None:
    (check,) = instructions("HEALTHCHECK")
    command = json.loads(check.split("CMD", 1)[1])
    assert command[:2] == ["python", "/app/ops/healthcheck.py"]
    assert "curl" not in DOCKERFILE and "wget" not in DOCKERFILE


def test_default_command_is_the_api_entry_point() -> None:
    (cmd,) = instructions("CMD")
    assert json.loads(cmd) == ["pta-api"]
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert (
        "pta-api = pta_api.server:main"
        in config["options.entry_points"]["console_scripts"]
    )
    assert any("flower" in run for run in instructions("RUN"))
