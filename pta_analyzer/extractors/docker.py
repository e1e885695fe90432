"""Dockerfiles: base image, exposed ports, the process the image runs, and
the commands its ``RUN`` lines use to install dependencies and build.

Every fact cites the instruction's lines (all of them, when a backslash
continues it). Commands run inside the image; their ``cwd`` is the
Dockerfile's directory, the usual build context.
"""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import (
    WEIGHT_CONTAINER,
    WEIGHT_CONVENTION,
    WEIGHT_DOCUMENTED,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.installs import named_packages
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

# Language images (last path part, or the last two) to the runtime they give.
RUNTIME_IMAGES: dict[str, str] = {
    "python": "python", "pypy": "python", "node": "node", "golang": "go",
    "ruby": "ruby", "openjdk": "java", "eclipse-temurin": "java",
    "amazoncorretto": "java", "maven": "java", "gradle": "java", "rust": "rust",
    "php": "php", "elixir": "elixir", "deno": "deno", "bun": "bun",
    "dotnet/sdk": "dotnet", "dotnet/aspnet": "dotnet", "erlang": "erlang",
}  # fmt: skip

_DOCKERFILE_NAME = regex(r"(?i)^(dockerfile(\..+)?|.+\.dockerfile)$")
_NOT_DOCKERFILE = regex(r"(?i)\.(md|txt|rst|adoc|html|orig|bak|swp|lock|json)$")
_INSTRUCTION = regex(r"^([A-Za-z]+)\s*(.*)$")
_ESCAPE_DIRECTIVE = regex(r"^#\s*escape\s*=\s*`\s*$")
_VARIABLE = regex(r"\$(?:\{(\w+)(?::?-([^}]*))?\}|(\w+))")
_VERSION = regex(r"^v?(\d+(?:\.\d+)*)")
_COMMENTED_DOCKER = regex(r"^\s*#+\s*((?:sudo\s+)?docker\s+(build|run)\s.*?)\s*$")
_PUBLISH_FLAG = regex(
    r"(?:^|\s)(?:-p|--publish)[\s=](?:[\d.]+:)?(\d{1,5}):(\d{1,5})(?:/\w+)?(?=\s|$)"
)
_PORT = regex(r"^(\d{1,5})(?:-(\d{1,5}))?(?:/(tcp|udp|sctp))?$")


class Instruction(NamedTuple):
    """One Dockerfile instruction, continuation lines joined."""

    keyword: str  # upper case
    args: str
    line_start: int
    line_end: int


@dataclass
class Stage:
    """One ``FROM`` stage and the instructions under it."""

    image: str
    alias: str
    line: int
    instructions: list[Instruction] = field(default_factory=list)


class _Context(NamedTuple):
    source: SourceText
    scope: Scope
    cwd: str
    note: str


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Dockerfile of the repository."""
    paths = [path for path in index.paths() if _is_dockerfile(path)]
    for source in index.texts(paths):
        yield from _dockerfile_facts(index, source)


def _is_dockerfile(path: str) -> bool:
    name = path.rpartition("/")[2]
    # Every ASCII name the caseless pattern matches holds "dockerfile" in lower
    # case (others may fold onto it otherwise): the cheap test first.
    if name.isascii() and "dockerfile" not in name.lower():
        return False
    return bool(_DOCKERFILE_NAME().match(name)) and not _NOT_DOCKERFILE().search(path)


def parse_instructions(lines: tuple[str, ...]) -> list[Instruction]:
    """The instructions of a Dockerfile: comments dropped, continuations joined.

    Heredoc bodies are not understood; their lines read as instructions of
    unknown keywords, which every rule ignores.
    """
    escape = "`" if lines and _ESCAPE_DIRECTIVE().match(lines[0].strip()) else "\\"
    found: list[Instruction] = []
    parts: list[str] = []
    start = 0
    for number, raw in enumerate(lines, start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if not parts:
            start = number
        continues = stripped.endswith(escape)
        parts.append(stripped[:-1].strip() if continues else stripped)
        if continues and number < len(lines):
            continue
        match = _INSTRUCTION().match(" ".join(p for p in parts if p))
        if match is not None:
            keyword, args = match.group(1).upper(), match.group(2).strip()
            found.append(Instruction(keyword, args, start, number))
        parts = []
    return found


def _dockerfile_facts(index: RepoIndex, source: SourceText) -> Iterator[Fact]:
    path = source.path
    parent = str(PurePosixPath(path).parent)
    context = _Context(
        source=source,
        scope=index.scope(path),
        cwd="" if parent == "." else parent,
        note=f"run inside the image built from {path}",
    )
    instructions = parse_instructions(source.lines)
    stages = _stages(instructions)
    values = _stated_values(instructions)

    yield Fact(
        kind=FactKind.DEPLOY,
        key=f"dockerfile:{path}",
        source="docker.dockerfile",
        evidence=(source.file_evidence(),),
        scope=context.scope,
        weight=WEIGHT_CONTAINER,
        note="container image definition",
        attrs={"base_images": [s.image for s in stages]},
    )
    yield _docker_build(index, context)
    if stages:
        yield from _runtime(context, stages)

    for item in instructions:
        if item.keyword == "EXPOSE":
            yield from _expose(context, item, values)
        elif item.keyword == "RUN":
            yield from _run_steps(context, item)
        elif item.keyword in ("ENV", "ARG"):
            yield from _declared(context, item, values)

    if stages:
        yield from _process(context, stages)
    yield from _commented_commands(context)


def _commented_commands(context: _Context) -> Iterator[Fact]:
    """``docker build``/``docker run`` lines the file's comments tell people to use.

    They run from the build context, so their ``cwd`` is the file's directory;
    the ``-p host:container`` of a ``docker run`` is a published port.
    """
    source = context.source
    for number, match in source.find_lines(_COMMENTED_DOCKER()):
        command = _runlines.normalize(match.group(1))
        kind = FactKind.BUILD if match.group(2) == "build" else FactKind.PROD
        evidence = (source.evidence(number),)
        yield Fact(
            kind=kind,
            key=command,
            source="docker.comment",
            evidence=evidence,
            scope=context.scope,
            weight=WEIGHT_DOCUMENTED,
            cwd=context.cwd,
            note=f"documented in a comment of {source.path}",
            attrs={"via": "docker"},
        )
        if kind is FactKind.PROD:
            yield from _published_ports(context, command, evidence)


def _published_ports(
    context: _Context, command: str, evidence: tuple[Evidence, ...]
) -> Iterator[Fact]:
    for match in _PUBLISH_FLAG().finditer(command):
        host, container = int(match.group(1)), int(match.group(2))
        for port, side in ((container, "container"), (host, "host")):
            if not 0 < port <= 65535 or (side == "host" and host == container):
                continue
            yield Fact(
                kind=FactKind.PORT,
                key=str(port),
                source="docker.run_publish",
                evidence=evidence,
                scope=context.scope,
                weight=WEIGHT_DOCUMENTED,
                note=f"published by a docker run documented in {context.source.path}",
                attrs={
                    "role": "publish",
                    "host_port": host,
                    "container_port": container,
                    "side": side,
                },
            )


def _docker_build(index: RepoIndex, context: _Context) -> Fact:
    name = PurePosixPath(context.source.path).name
    directory = context.cwd or "."
    tag_base = PurePosixPath(context.cwd).name if context.cwd else index.root.name
    tag = re.sub(r"[^a-z0-9._-]+", "-", tag_base.lower()).strip("-._") or "app"
    custom_file = "" if name == "Dockerfile" else f"-f {context.source.path} "
    return Fact(
        kind=FactKind.BUILD,
        key=f"docker build {custom_file}-t {tag} {directory}",
        source="docker.build",
        evidence=(context.source.file_evidence(),),
        status=Status.INFERRED,
        scope=context.scope,
        weight=WEIGHT_CONVENTION,
        note="builds the image; the build context is assumed to be its directory",
        attrs={"via": "docker"},
    )


def _stages(instructions: list[Instruction]) -> list[Stage]:
    stages: list[Stage] = []
    for item in instructions:
        if item.keyword == "FROM":
            words = [w for w in item.args.split() if not w.startswith("--")]
            if not words:
                continue
            alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else ""
            stages.append(Stage(words[0], alias.lower(), item.line_start))
        elif stages:
            stages[-1].instructions.append(item)
    return stages


def _ancestry(stages: list[Stage]) -> list[Stage]:
    """The last stage, then the stages it is built ``FROM``, nearest first."""
    by_alias = {s.alias: s for s in stages if s.alias}
    chain = [stages[-1]]
    while chain[-1].image.lower() in by_alias:
        parent = by_alias[chain[-1].image.lower()]
        if parent in chain:
            break
        chain.append(parent)
    return chain


def _runtime(context: _Context, stages: list[Stage]) -> Iterator[Fact]:
    """The language runtime of the final image, else of a build stage."""
    chain = _ancestry(stages)
    others = [s for s in reversed(stages) if s not in chain]
    for position, stage in enumerate([chain[-1], *others]):
        runtime = _runtime_of_image(stage.image)
        if runtime is None:
            continue
        final = position == 0
        yield Fact(
            kind=FactKind.RUNTIME,
            key=runtime,
            source="docker.from",
            evidence=(context.source.evidence(stage.line),),
            scope=context.scope,
            weight=WEIGHT_CONTAINER,
            note="base image of the final stage" if final else "a build stage's base",
            attrs={"image": stage.image, "final_stage": final},
        )
        return


def _runtime_of_image(image: str) -> str | None:
    reference = image.split("@", 1)[0].lower()
    name, tag = reference, ""
    if ":" in reference.rsplit("/", 1)[-1]:
        name, tag = reference.rsplit(":", 1)
    parts = name.split("/")
    runtime = RUNTIME_IMAGES.get("/".join(parts[-2:])) or RUNTIME_IMAGES.get(parts[-1])
    if runtime is None:
        return None
    version = _VERSION().match(tag)
    return f"{runtime} {version.group(1)}" if version else runtime


def _stated_values(instructions: list[Instruction]) -> dict[str, tuple[str, int]]:
    """Values that ``ARG``/``ENV`` state, with the line that states them."""
    values: dict[str, tuple[str, int]] = {}
    for item in instructions:
        if item.keyword not in ("ENV", "ARG"):
            continue
        for name, value in _assignments(item):
            resolved = _resolve(value, values) if value is not None else None
            if resolved is not None and "$" not in resolved:
                values[name] = (resolved, item.line_start)
    return values


def _assignments(item: Instruction) -> list[tuple[str, str | None]]:
    """``(name, value or None)`` pairs of an ``ENV``/``ARG`` instruction."""
    args = item.args
    if item.keyword == "ENV" and "=" not in args.split(" ", 1)[0]:
        name, _, value = args.partition(" ")
        return [(name, _strip_quotes(value.strip()))] if name else []
    pairs: list[tuple[str, str | None]] = []
    for word in _split_words(args):
        name, equals, value = word.partition("=")
        if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            pairs.append((name, _strip_quotes(value) if equals else None))
    return pairs


def _resolve(text: str, values: dict[str, tuple[str, int]]) -> str | None:
    """``text`` with ``$NAME``/``${NAME:-default}`` replaced, None if unknown."""
    unresolved = False

    def substitute(match: re.Match[str]) -> str:
        nonlocal unresolved
        name = match.group(1) or match.group(3)
        if name in values:
            return values[name][0]
        if match.group(2) is not None:
            return match.group(2)
        unresolved = True
        return match.group(0)

    result = _VARIABLE().sub(substitute, text)
    return None if unresolved else result


def _expose(
    context: _Context, item: Instruction, values: dict[str, tuple[str, int]]
) -> Iterator[Fact]:
    for word in item.args.split():
        names = [m.group(1) or m.group(3) for m in _VARIABLE().finditer(word)]
        resolved = _resolve(word, values)
        if resolved is None:
            logger.debug("port not resolved", extra={"path": context.source.path})
            continue
        match = _PORT().match(resolved)
        if match is None:
            continue
        cited = {item.line_start} | {values[n][1] for n in names if n in values}
        evidence = [context.source.evidence(item.line_start, item.line_end)]
        evidence += [
            context.source.evidence(n) for n in sorted(cited - {item.line_start})
        ]
        attrs: dict[str, object] = {
            "role": "expose",
            "protocol": match.group(3) or "tcp",
        }
        if names:
            attrs["variable"] = names[0]
        for port in _port_range(match.group(1), match.group(2)):
            yield Fact(
                kind=FactKind.PORT,
                key=str(port),
                source="docker.expose",
                evidence=tuple(evidence),
                scope=context.scope,
                weight=WEIGHT_CONTAINER,
                note=f"exposed by {context.source.path}",
                attrs=attrs,
            )


def _port_range(first: str, last: str | None) -> list[int]:
    start = int(first)
    end = int(last) if last else start
    if not 0 < start <= 65535 or end < start:
        return []
    # A wide range is a pool, not the application's port: keep its start.
    return list(range(start, end + 1)) if end - start < 16 else [start]


def _run_steps(context: _Context, item: Instruction) -> Iterator[Fact]:
    script = _exec_or_shell(item.args)
    evidence = (context.source.evidence(item.line_start, item.line_end),)
    for command in _runlines.split_chain(script):
        kind = _runlines.step_kind(command)
        if kind is None or (kind is FactKind.INSTALL and named_packages(command)):
            continue  # `pip install poetry`: a tool for the image, not the app
        yield Fact(
            kind=kind,
            key=command,
            source="docker.run",
            evidence=evidence,
            scope=context.scope,
            weight=WEIGHT_CONTAINER,
            cwd=context.cwd,
            note=context.note,
            attrs={"via": "dockerfile"},
        )


def _declared(
    context: _Context, item: Instruction, values: dict[str, tuple[str, int]]
) -> Iterator[Fact]:
    evidence = (context.source.evidence(item.line_start, item.line_end),)
    for name, value in _assignments(item):
        resolved = _resolve(value, values) if value is not None else None
        if resolved is not None and "$" in resolved:
            resolved = None
        secret = _runlines.secret_name(name)
        attrs: dict[str, object] = {
            "declared_only": True,
            "default": _runlines.shown_value(name, resolved),
        }
        if secret:
            attrs["secret"] = True
        if item.keyword == "ARG":
            attrs["build_arg"] = True
        yield Fact(
            kind=FactKind.ENV_VAR,
            key=name,
            source=f"docker.{item.keyword.lower()}",
            evidence=evidence,
            scope=context.scope,
            weight=WEIGHT_CONTAINER,
            note=f"declared in {context.source.path}",
            attrs=attrs,
        )
        if name == "PORT" and resolved and resolved.isdigit():
            yield Fact(
                kind=FactKind.PORT,
                key=str(int(resolved)),
                source="docker.env_port",
                evidence=evidence,
                scope=context.scope,
                weight=WEIGHT_CONTAINER,
                note=f"PORT set in {context.source.path}",
                attrs={"role": "env", "variable": "PORT"},
            )


def _process(context: _Context, stages: list[Stage]) -> Iterator[Fact]:
    """The command the final image runs: ``ENTRYPOINT`` and ``CMD`` combined."""
    entrypoint: Instruction | None = None
    cmd: Instruction | None = None
    for stage in reversed(_ancestry(stages)):
        for item in stage.instructions:
            if item.keyword == "ENTRYPOINT":
                entrypoint, cmd = item, None
            elif item.keyword == "CMD":
                cmd = item
    command, cited = _combine(entrypoint, cmd)
    if not command:
        return

    evidence = tuple(context.source.evidence(i.line_start, i.line_end) for i in cited)
    # Steps run inside the image: a ``cd`` there says nothing about the tree.
    migrations, main = _runlines.chain_steps(command, context.cwd)
    steps = [(FactKind.MIGRATE, step) for _where, step in migrations]
    if main is not None and main[1] != command:
        steps.append((FactKind.PROD, main[1]))
    for kind, key in [(FactKind.PROD, command), *steps]:
        yield Fact(
            kind=kind,
            key=key,
            source="docker.cmd" if key == command else "docker.cmd_step",
            evidence=evidence,
            scope=context.scope,
            weight=WEIGHT_CONTAINER,
            cwd=context.cwd,
            note=context.note,
            attrs={"via": "dockerfile", "process": "container"},
        )


def _combine(
    entrypoint: Instruction | None, cmd: Instruction | None
) -> tuple[str, list[Instruction]]:
    cmd_words = _exec_words(cmd.args) if cmd else None
    if entrypoint is None:
        if cmd is None:
            return "", []
        text = _runlines.join_exec_form(cmd_words) if cmd_words else cmd.args
        return _runlines.normalize(text), [cmd]
    entry_words = _exec_words(entrypoint.args)
    if entry_words is None:
        # A shell-form ENTRYPOINT ignores CMD.
        return _runlines.normalize(entrypoint.args), [entrypoint]
    if cmd is not None and cmd_words is not None:
        return _runlines.join_exec_form(entry_words + cmd_words), [entrypoint, cmd]
    return _runlines.join_exec_form(entry_words), [entrypoint]


def _exec_words(args: str) -> list[str] | None:
    """The list of an exec-form (JSON array) argument, else None."""
    if not args.startswith("["):
        return None
    try:
        words = json.loads(args)
    except ValueError:
        return None
    if isinstance(words, list) and all(isinstance(w, str) for w in words):
        return words
    return None


def _exec_or_shell(args: str) -> str:
    words = _exec_words(args)
    if words is None:
        return args
    if len(words) >= 3 and words[0].endswith("sh") and words[1].startswith("-"):
        return words[2]
    return _runlines.join_exec_form(words)


def _split_words(text: str) -> list[str]:
    """Words of ``ENV a=1 b="x y"``, keeping quoted spaces."""
    return re.findall(r"""(?:[^\s"']+|"(?:\\.|[^"\\])*"|'[^']*')+""", text)


def _strip_quotes(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value
