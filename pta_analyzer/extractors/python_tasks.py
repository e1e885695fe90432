"""Named tasks of Python project tools: PDM, Hatch, Poe and Pipenv scripts.

``[tool.pdm.scripts]``, ``[tool.hatch.envs.<env>.scripts]``,
``[tool.poe.tasks]`` (Poe the Poet) and a Pipfile's ``[scripts]`` name
commands the project runs through its tool (``pdm run dev``,
``hatch run test``, ``poe start``, ``pipenv run start``). A task whose name
says what it is for becomes a command of that kind (a serving task whose
command runs a reloading development server is a dev command); a port
written in its text (``--port 8000``) is the port it binds.
"""

import logging
import re
from collections.abc import Iterator
from typing import Any, NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._python_common import key_line, load_toml, table
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.shellcmd import Role, classify

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
    """Facts for the PDM, Hatch and Poe scripts of a pyproject."""
    runners = [("tool.pdm.scripts", "pdm run "), ("tool.poe.tasks", "poe ")]
    for env in table(data, "tool.hatch.envs"):
        prefix = "hatch run " if env == "default" else f"hatch run {env}:"
        runners.append((f"tool.hatch.envs.{env}.scripts", prefix))
    for header, prefix in runners:
        entries = table(data, header)
        places = _TaskPlaces(tables.get(header), header, tables)
        yield from _tasks(source, entries, places, prefix, directory, scope)


def pipfile_tasks(source: SourceText, directory: str, scope: Scope) -> Iterator[Fact]:
    """Facts for the ``[scripts]`` of a Pipfile."""
    data = load_toml(source)
    if data is None:
        return
    places = _TaskPlaces(_table_range(source, "scripts"), "scripts", {})
    yield from _tasks(
        source, table(data, "scripts"), places, "pipenv run ", directory, scope
    )


class _TaskPlaces(NamedTuple):
    """Where a tool's tasks are written: its table, and the other tables."""

    table: tuple[int, int] | None  # the tool's own table, ``[tool.pdm.scripts]``
    header: str
    tables: dict[str, tuple[int, int]]  # every table, for ``[header.NAME]`` ones

    def line_of(self, source: SourceText, name: str) -> int | None:
        """The line that names task ``name``: ``name = ...``, a dotted key
        (``name.cmd = ...``, as Poe allows), or its own ``[header.name]``.
        """
        if self.table:
            number = key_line(source, name, self.table) or source.find_line(
                rf"""^\s*["']?{re.escape(name)}["']?\s*\.\s*\w+\s*=""", *self.table
            )
            if number:
                return number
        own = self.tables.get(f"{self.header}.{name}")
        return own[0] if own else None


def _tasks(
    source: SourceText,
    entries: dict[str, Any],
    places: _TaskPlaces,
    prefix: str,
    directory: str,
    scope: Scope,
) -> Iterator[Fact]:
    for name, value in entries.items():
        kind = TASK_KINDS.get(name.lower())
        if kind is None or not re.fullmatch(r"[\w.-]+", name):
            continue
        number = places.line_of(source, name)
        if number is None:
            continue
        evidence = (source.evidence(number),)
        text = _task_text(value)
        if kind is FactKind.PROD and classify(text) is Role.DEV:
            kind = FactKind.DEV  # `start = "uvicorn app:app --reload"`
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
    """The command a task runs, from the shapes PDM, Hatch, Poe and Pipenv allow."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return " && ".join(_task_text(item) for item in value)
    if isinstance(value, dict):
        for key in ("cmd", "shell", "call", "composite", "sequence", "script"):
            if key in value:
                return _task_text(value[key])
    return ""


def _table_range(source: SourceText, header: str) -> tuple[int, int] | None:
    start = source.find_line(rf"^\s*\[{re.escape(header)}\]")
    if start is None:
        return None
    end = source.find_line(r"^\s*\[", start + 1)
    return start, (end - 1 if end else len(source.lines))
