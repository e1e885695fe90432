"""Named tasks of Python project tools: PDM, Hatch and Pipenv scripts.

``[tool.pdm.scripts]``, ``[tool.hatch.envs.<env>.scripts]`` and a Pipfile's
``[scripts]`` name commands the project runs through its tool
(``pdm run dev``, ``hatch run test``, ``pipenv run start``). A task whose name
says what it is for becomes a command of that kind; a port written in its
text (``--port 8000``) is the port it binds.
"""

import logging
import re
from collections.abc import Iterator
from typing import Any

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._python_common import key_line, load_toml, table
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

TASK_KINDS: dict[str, FactKind] = {
    "start": FactKind.PROD, "serve": FactKind.PROD, "server": FactKind.PROD,
    "prod": FactKind.PROD, "web": FactKind.PROD, "run": FactKind.DEV,
    "dev": FactKind.DEV, "develop": FactKind.DEV, "runserver": FactKind.DEV,
    "test": FactKind.TEST, "tests": FactKind.TEST, "unit": FactKind.TEST,
    "migrate": FactKind.MIGRATE, "upgrade": FactKind.MIGRATE,
    "install": FactKind.INSTALL, "build": FactKind.BUILD,
}  # fmt: skip
_PORT_OPTION = regex(
    r"(?:--port[= ]|-p |--bind[= ]\S*:|-b \S*:|runserver \S*:)(\d{2,5})\b"
)


def pyproject_tasks(
    source: SourceText,
    data: dict[str, Any],
    tables: dict[str, tuple[int, int]],
    directory: str,
    scope: Scope,
) -> Iterator[Fact]:
    """Facts for the PDM and Hatch scripts of a pyproject."""
    runners = [("tool.pdm.scripts", "pdm run ")]
    for env in table(data, "tool.hatch.envs"):
        prefix = "hatch run " if env == "default" else f"hatch run {env}:"
        runners.append((f"tool.hatch.envs.{env}.scripts", prefix))
    for header, prefix in runners:
        entries = table(data, header)
        yield from _tasks(source, entries, tables.get(header), prefix, directory, scope)


def pipfile_tasks(source: SourceText, directory: str, scope: Scope) -> Iterator[Fact]:
    """Facts for the ``[scripts]`` of a Pipfile."""
    data = load_toml(source)
    if data is None:
        return
    place = _table_range(source, "scripts")
    yield from _tasks(
        source, table(data, "scripts"), place, "pipenv run ", directory, scope
    )


def _tasks(
    source: SourceText,
    entries: dict[str, Any],
    place: tuple[int, int] | None,
    prefix: str,
    directory: str,
    scope: Scope,
) -> Iterator[Fact]:
    for name, value in entries.items():
        kind = TASK_KINDS.get(name.lower())
        number = key_line(source, name, place) if place else None
        if kind is None or number is None or not re.fullmatch(r"[\w.-]+", name):
            continue
        evidence = (source.evidence(number),)
        text = _task_text(value)
        yield Fact(
            kind,
            f"{prefix}{name}",
            "python.task",
            evidence,
            scope=scope,
            weight=WEIGHT_MANIFEST,
            cwd=directory,
            note=f"runs: {text}"[:160],
            attrs={"via": prefix.split()[0]},
        )
        port = _PORT_OPTION().search(text)
        if port and kind in (FactKind.PROD, FactKind.DEV):
            yield Fact(
                FactKind.PORT,
                port.group(1),
                "python.task",
                evidence,
                scope=scope,
                cwd=directory,
                note="the task's command names its port",
                attrs={"role": "bind"},
            )


def _task_text(value: object) -> str:
    """The command a task runs, from the shapes PDM, Hatch and Pipenv allow."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " && ".join(str(item) for item in value)
    if isinstance(value, dict):
        for key in ("cmd", "shell", "call", "composite"):
            if key in value:
                return _task_text(value[key])
    return ""


def _table_range(source: SourceText, header: str) -> tuple[int, int] | None:
    start = source.find_line(rf"^\s*\[{re.escape(header)}\]")
    if start is None:
        return None
    end = source.find_line(r"^\s*\[", start + 1)
    return start, (end - 1 if end else len(source.lines))
