"""Task runners: Makefile targets, justfile recipes and Taskfile tasks.

A target's name says what it is for (``install``, ``build``, ``run``,
``test``, ``migrate``...). The target itself (``make test``) is the command an
operator types; the commands in its recipe are emitted too, with a lower
weight and ``via`` naming the target, so an operator without the runner
still knows what it does.
"""

import logging
import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.shellcmd import classify
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)

TARGET_WEIGHT = WEIGHT_MANIFEST
RECIPE_WEIGHT = WEIGHT_MANIFEST - 10  # a recipe line: what the target runs
MAX_EXPANSION_DEPTH = 8
MAX_LINE_CHARS = 4000  # longer lines are data, not targets

MAKEFILE_NAMES = ("Makefile", "makefile", "GNUmakefile")
JUSTFILE_NAMES = ("justfile", "Justfile", ".justfile")
TASKFILE_NAMES = ("Taskfile.yml", "Taskfile.yaml", "taskfile.yml", "taskfile.yaml")

TARGET_KINDS: dict[str, FactKind] = {
    **dict.fromkeys(
        ("install", "setup", "deps", "dependencies", "bootstrap", "install-deps",
         "install_deps", "deps-install", "requirements", "init"),
        FactKind.INSTALL,
    ),
    **dict.fromkeys(("build", "compile"), FactKind.BUILD),
    **dict.fromkeys(
        ("run", "start", "serve", "up", "dev", "server", "develop", "run-dev",
         "start-dev", "dev-server", "runserver", "watch"),
        FactKind.DEV,
    ),
    **dict.fromkeys(
        ("test", "tests", "check", "unit", "integration", "unit-test",
         "unit-tests", "integration-test", "integration-tests", "test-unit",
         "test-integration", "test-all", "e2e", "spec", "pytest"),
        FactKind.TEST,
    ),
    **dict.fromkeys(
        ("migrate", "db-migrate", "db_migrate", "migrate-up", "migrations",
         "db:migrate", "migrate-db", "upgrade-db"),
        FactKind.MIGRATE,
    ),
}  # fmt: skip

# Programs that lint or format: their lines in a test recipe are not tests.
_LINTERS = frozenset(
    {
        "ruff", "flake8", "black", "isort", "mypy", "pylint", "eslint",
        "prettier", "golangci-lint", "gofmt", "goimports", "rubocop",
        "shellcheck", "shfmt", "markdownlint", "yamllint", "hadolint", "tsc",
    }
)  # fmt: skip

_MAKE_TARGET = regex(r"^([^\s:=#][^:=#]*)(::?)(?!=)\s*(.*)$")
_MAKE_ASSIGNMENT = regex(
    r"^(?:export\s+|override\s+)?([A-Za-z_][\w.-]*)\s*([:+?!]?=|::=)\s*(.*)$"
)
_MAKE_VARIABLE = regex(r"\$[({](\w+)[)}]")
_CLI_ARGS = regex(r"\s*\{\{\s*\.CLI_ARGS\s*\}\}")
_JUST_RECIPE = regex(r"^@?([A-Za-z_][\w-]*)((?:\s+[^:]+?)?)\s*:(?!=)(.*)$")
_JUST_PARAMETER = regex(r"([*+$]?)([A-Za-z_]\w*)(?:=('[^']*'|\"[^\"]*\"|\S+))?")


class Target(NamedTuple):
    """One target or recipe: its name, its lines and its commands."""

    name: str
    line_start: int
    line_end: int
    commands: list[tuple[str, int, int]]  # (command, first line, last line)
    prerequisites: list[str]


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from Makefiles, justfiles and Taskfiles."""
    for source in index.texts(index.named(*MAKEFILE_NAMES)):
        yield from _facts(index, source, "make", parse_makefile(source))
    for source in index.texts(index.named(*JUSTFILE_NAMES)):
        yield from _facts(index, source, "just", parse_justfile(source))
    for source in index.texts(index.named(*TASKFILE_NAMES)):
        yield from _facts(index, source, "task", parse_taskfile(source))


def target_kind(name: str) -> FactKind | None:
    """What a target of this name is for, or None."""
    lowered = name.lower()
    if lowered in TARGET_KINDS:
        return TARGET_KINDS[lowered]
    words = re.split(r"[-_:.]", lowered)
    first = words[0]
    if first in ("test", "tests") or (first == "run" and "tests" in words[1:]):
        return FactKind.TEST
    if first == "run" and "test" in words[1:]:
        return FactKind.TEST
    if first in ("dev", "run", "start", "serve"):
        return FactKind.DEV
    prefixes = {"install": FactKind.INSTALL, "build": FactKind.BUILD}
    if first in prefixes:
        return prefixes[first]
    if "migrate" in words and first in ("db", "migrate"):
        return FactKind.MIGRATE
    return None


def parse_makefile(source: SourceText) -> list[Target]:
    """The explicit targets of a Makefile, recipes joined and expanded."""
    variables = _make_variables(source.lines)
    targets: list[Target] = []
    lines = source.lines
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if line.startswith("\t") or line.lstrip().startswith("#"):
            continue
        if ":" not in line or len(line) > MAX_LINE_CHARS:
            continue
        match = _MAKE_TARGET().match(line)
        if match is None or _MAKE_ASSIGNMENT().match(line) or "=" in match.group(3):
            continue
        start = number
        commands, number = _recipe(lines, number, variables)
        end = commands[-1][2] if commands else start
        prerequisites = match.group(3).split("#", 1)[0].split(";", 1)[0].split()
        for name in match.group(1).split():
            if name.startswith(".") or "%" in name or "$" in name:
                continue
            targets.append(Target(name, start, end, commands, prerequisites))
    return targets


def parse_justfile(source: SourceText) -> list[Target]:
    """The recipes of a justfile, parameters without defaults left out."""
    targets: list[Target] = []
    lines = source.lines
    for number, line in enumerate(lines, start=1):
        if not line or line[0].isspace() or line.startswith(("#", "[")):
            continue
        match = _JUST_RECIPE().match(line)
        if match is None or match.group(1) in ("set", "alias", "export", "import"):
            continue
        parameters = _just_parameters(match.group(2))
        commands: list[tuple[str, int, int]] = []
        end = number
        for body_number in range(number + 1, len(lines) + 1):
            body = lines[body_number - 1]
            if body.strip() and not body[0].isspace():
                break
            if not body.strip():
                continue
            end = body_number
            command = _expand_just(body.strip().lstrip("@-").strip(), parameters)
            if command and not command.startswith("#"):
                commands.append((command, body_number, body_number))
        prerequisites = match.group(3).split("#", 1)[0].split()
        targets.append(Target(match.group(1), number, end, commands, prerequisites))
    return targets


def parse_taskfile(source: SourceText) -> list[Target]:
    """The tasks of a Taskfile and their ``cmds``."""
    documents = load_yaml(source)
    tasks = documents[0].get("tasks") if documents else None
    if tasks is None:
        return []
    targets: list[Target] = []
    for name, task in tasks.items():
        commands: list[tuple[str, int, int]] = []
        for node in _task_commands(task):
            text = node.text() if node.text() is not None else _cmd_text(node)
            # CLI_ARGS is empty unless the caller passes `task NAME -- ARGS`.
            text = _CLI_ARGS().sub("", text or "").strip()
            if text and "{{" not in text:
                commands.append((_runlines.normalize(text), node.line, node.end_line))
        deps = task.get("deps")
        prerequisites = [d.text() or "" for d in deps.elements()] if deps else []
        targets.append(
            Target(name, task.line - 1 or 1, task.end_line, commands, prerequisites)
        )
    return targets


def _facts(
    index: RepoIndex, source: SourceText, runner: str, targets: list[Target]
) -> Iterator[Fact]:
    parent = str(PurePosixPath(source.path).parent)
    cwd = "" if parent == "." else parent
    scope = index.scope(source.path)
    names = {t.name for t in targets}
    for target in targets:
        kind = target_kind(target.name)
        if kind is None or _is_file_alias(target, names):
            continue
        if target.commands and all(_passes_through(c) for c, *_ in target.commands):
            continue  # `run *args: uv run -- {{args}}` runs whatever it is given
        if kind in (FactKind.DEV, FactKind.PROD) and _only_sets_up(target, cwd):
            kind = FactKind.INSTALL  # `develop:` that installs and builds
        start = max(1, min(target.line_start, len(source.lines)))
        end = max(start, min(target.line_end, len(source.lines)))
        via = f"{runner} {target.name}"
        yield Fact(
            kind=kind,
            key=via,
            source=f"make.{runner}_target",
            evidence=(source.evidence(start, end),),
            scope=scope,
            weight=TARGET_WEIGHT,
            cwd=cwd,
            note=f"{runner} target {target.name}",
            attrs={"via": runner, "target": target.name},
        )
        for command, first, last in target.commands:
            yield from _recipe_facts(
                source, kind, via, command, first, last, cwd, scope
            )


def _recipe_facts(
    source: SourceText,
    kind: FactKind,
    via: str,
    command: str,
    first: int,
    last: int,
    cwd: str,
    scope: Scope,
) -> Iterator[Fact]:
    for where, part in _runlines.located_segments(command, cwd):
        program = _runlines.program_of(part)
        if program in _LINTERS or program in ("make", "$(MAKE)", "just", "task"):
            continue
        if _passes_through(part) or classify(part) is None:
            continue  # bookkeeping (echo, tail, pkill) or arguments passed on
        step = _runlines.step_kind(part)
        part_kind = step if step is not None else kind
        if _runlines.runs_migrations(part):
            part_kind = FactKind.MIGRATE
        yield Fact(
            kind=part_kind,
            key=part,
            source="make.recipe",
            evidence=(source.evidence(first, last),),
            scope=scope,
            weight=RECIPE_WEIGHT,
            cwd=where,
            note=f"run by {via}",
            attrs={"via": via},
        )


def _passes_through(command: str) -> bool:
    """A command left ending in ``--``: its arguments were the caller's."""
    return command.rstrip().endswith(" --")


def _only_sets_up(target: Target, cwd: str) -> bool:
    """True when every command of a recipe installs or builds, none runs."""
    steps = [
        _runlines.step_kind(part)
        for command, _first, _last in target.commands
        for _where, part in _runlines.located_segments(command, cwd)
        if _runlines.program_of(part) not in ("make", "$(MAKE)", "just", "task")
    ]
    return bool(steps) and all(step is not None for step in steps)


def _is_file_alias(target: Target, names: set[str]) -> bool:
    """A recipe-less target that only names files (``migrate: bin/migrate``)."""
    return (
        not target.commands
        and bool(target.prerequisites)
        and all("/" in p and p not in names for p in target.prerequisites)
    )


def _recipe(
    lines: tuple[str, ...], number: int, variables: dict[str, str]
) -> tuple[list[tuple[str, int, int]], int]:
    """The recipe lines after a target line; returns them and the next line."""
    commands: list[tuple[str, int, int]] = []
    while number < len(lines):
        line = lines[number]
        if not line.startswith("\t"):
            if line.strip() == "" or line.lstrip().startswith("#"):
                following = _next_content(lines, number)
                if following is not None and lines[following].startswith("\t"):
                    number += 1
                    continue
            break
        first = number + 1
        parts = [line.strip()]
        while parts[-1].endswith("\\") and number + 1 < len(lines):
            parts[-1] = parts[-1][:-1]
            number += 1
            parts.append(lines[number].strip())
        number += 1
        text = _runlines.normalize(" ".join(parts)).lstrip("@-+ ").strip()
        if text and not text.startswith("#"):
            commands.append((_expand_make(text, variables), first, number))
    return commands, number


def _next_content(lines: tuple[str, ...], number: int) -> int | None:
    for index in range(number, len(lines)):
        if lines[index].strip() and not lines[index].lstrip().startswith("#"):
            return index
    return None


def _make_variables(lines: tuple[str, ...]) -> dict[str, str]:
    """Simple variable assignments; values holding ``$(shell ...)`` are dropped."""
    variables: dict[str, str] = {}
    for line in lines:
        if line.startswith("\t"):
            continue
        match = _MAKE_ASSIGNMENT().match(line.split("#", 1)[0].rstrip())
        if match is None:
            continue
        name, operator, value = match.groups()
        if operator == "+=":
            variables[name] = f"{variables.get(name, '')} {value}".strip()
        elif operator != "?=" or name not in variables:
            variables[name] = value.strip()
    return {
        k: v for k, v in variables.items() if "$(shell" not in v and "$(call" not in v
    }


def _expand_make(text: str, variables: dict[str, str]) -> str:
    """``text`` with known variables replaced; unknown ones stay as written."""
    for _ in range(MAX_EXPANSION_DEPTH):
        expanded = _MAKE_VARIABLE().sub(
            lambda m: variables.get(m.group(1), m.group(0)), text
        )
        if expanded == text:
            break
        text = expanded
    return _runlines.normalize(text.replace("$$", "$"))


def _just_parameters(text: str) -> dict[str, str | None]:
    """Parameter names to what to put in their place (None: leave as written)."""
    parameters: dict[str, str | None] = {}
    for match in _JUST_PARAMETER().finditer(text):
        prefix, name, default = match.groups()
        if prefix == "*":
            parameters[name] = ""
        elif default is not None:
            parameters[name] = default.strip("'\"")
        else:
            parameters[name] = None
    return parameters


def _expand_just(text: str, parameters: dict[str, str | None]) -> str:
    def substitute(match: re.Match[str]) -> str:
        value = parameters.get(match.group(1))
        return match.group(0) if value is None else value

    return _runlines.normalize(re.sub(r"\{\{\s*(\w+)\s*\}\}", substitute, text))


def _task_commands(task: YNode) -> list[YNode]:
    cmds = task.get("cmds")
    if cmds is not None:
        return list(cmds.elements())
    cmd = task.get("cmd")
    return [cmd] if cmd is not None else []


def _cmd_text(node: YNode) -> str | None:
    cmd = node.get("cmd")
    return cmd.text() if cmd is not None else None
