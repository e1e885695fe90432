"""Environment variables named by placeholders, JVM code and Prisma schemas.

Java and Kotlin: ``System.getenv("X")`` (with ``getOrDefault`` / Kotlin ``?:``
defaults) and Spring's ``@Value("${X:d}")``. Spring configuration files
(``application*.properties|yml``): ``${X}`` (required: Spring fails on an
unresolvable placeholder) and ``${X:default}``; only upper-case names, since
``${server.port}`` names a property. Shell templates and entry-point scripts,
and compose or other configuration files: ``${X:-d}``, ``${X-d}``, ``${X:?m}``
and, in configuration files, ``${X}``. Prisma schemas: ``env("X")``.
"""

import re
from collections.abc import Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.extractors.envvars_common import (
    NAME_ARG,
    EnvRead,
    LineMap,
    blank_comments,
    constants,
    literal_at,
    resolve_name,
)
from pta_analyzer.needles import register

# Shell scripts that are part of the application: they run when it starts.
ENTRYPOINT_SCRIPT = re.compile(
    r"(?i)(?:^|[-_])(?:entrypoint|docker-entrypoint|start|run|boot|launch|serve|server)"
    r"(?:[-_.][\w.-]*)?\.(?:sh|bash)$"
)
TEMPLATE_DIRS = frozenset({"templates", "template", "shell", "init"})
TEMPLATE_SUFFIXES = (
    ".tmpl",
    ".tpl",
    ".template",
    ".j2",
    ".txt",
    ".sh",
    ".bash",
    ".zsh",
)

# Words one of which each scanner needs in the file before it finds anything.
PLACEHOLDER_PRECHECK = register("${")
PRISMA_PRECHECK = register("env(")
JVM_PRECHECK = register("getenv", "${")
ENTRYPOINT_PRECHECK = register("$")

_SPRING_FILE = re.compile(
    r"^(?:application|bootstrap)(?:-[\w.-]+)?\.(?:properties|ya?ml)$"
)
_SPRING = regex(r"\$\{(?P<name>[A-Z][A-Z0-9_]*)(?::(?P<default>[^}\n]*))?\}")
_GETENV = regex(rf"\bSystem\.getenv\(\s*{NAME_ARG}\s*\)")
_GETENV_MAP = regex(
    rf"\bSystem\.getenv\(\s*\)\s*\.\s*(?P<m>get|getOrDefault)\(\s*{NAME_ARG}\s*(?P<more>[,)])"
)
_KOTLIN_ELVIS = regex(r"\s*\?:\s*")
_PRISMA_ENV = regex(r"\benv\(\s*\"(?P<name>[A-Za-z_]\w*)\"\s*\)")
_SHELL = regex(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?])(?P<word>[^}\n]*)\}")
_SHELL_BARE = regex(r"(?<!\\)\$\{?(?P<name>[A-Z][A-Z0-9_]*)\b(?![:?-])")
_SHELL_ASSIGNED = regex(
    r"(?m)(?:^\s*(?:export\s+|local\s+|readonly\s+|declare\s+(?:-\w+\s+)?)?"
    r"(?P<name>[A-Z][A-Z0-9_]*)=|\bfor\s+(?P<loop>[A-Z][A-Z0-9_]*)\s+in\b"
    r"|\bread\s+(?:-\w+\s+)*(?P<read>[A-Z][A-Z0-9_]*))"
)
_CONFIG = regex(r"\$\{(?P<name>[A-Z_][A-Z0-9_]*)(?:(?P<op>:?[-?])(?P<word>[^}\n]*))?\}")


def is_shell_template(path: str) -> bool:
    """A shell script or template that ships with the application."""
    *parents, name = path.split("/")
    if not name.endswith(TEMPLATE_SUFFIXES):
        return False
    if ENTRYPOINT_SCRIPT.search(name):
        return True
    return any(part.lower() in TEMPLATE_DIRS for part in parents)


def is_spring_config(path: str) -> bool:
    """``application*.properties`` / ``.yml`` (and ``bootstrap*``)."""
    return _SPRING_FILE.match(path.rsplit("/", 1)[-1]) is not None


def scan_spring_config(text: str) -> Iterator[EnvRead]:
    """``${X}`` and ``${X:default}`` in a Spring configuration file."""
    if "${" not in text:
        return
    code = _blank_hash_comment_lines(text)
    lines = LineMap(code)
    for match in _SPRING().finditer(code):
        default = match["default"]
        yield _placeholder(
            match, lines, "spring.placeholder", default, required=default is None
        )


def scan_prisma(text: str) -> Iterator[EnvRead]:
    """``env("X")`` in a Prisma schema: Prisma stops without it."""
    if "env(" not in text:
        return
    code = blank_comments(text, "c")
    lines = LineMap(code)
    for match in _PRISMA_ENV().finditer(code):
        yield EnvRead(
            match["name"], *lines.span(match.start(), match.end()), "prisma.env", True
        )


def scan_jvm(text: str) -> Iterator[EnvRead]:
    """``System.getenv`` and ``@Value("${X}")`` in Java, Kotlin, Groovy, Scala."""
    if "getenv" not in text and "${" not in text:
        return
    code = blank_comments(text, "c")
    consts = constants(code)
    lines = LineMap(code)

    for match in _GETENV().finditer(code):
        name = resolve_name(match, consts)
        if not name:
            continue
        elvis = _KOTLIN_ELVIS().match(code, match.end())
        found = literal_at(code, elvis.end()) if elvis else None
        yield EnvRead(
            name,
            *lines.span(match.start(), found[1] if found else match.end()),
            "jvm.getenv",
            False if elvis else None,
            found[0] if found else None,
        )
    for match in _GETENV_MAP().finditer(code):
        name = resolve_name(match, consts)
        if not name:
            continue
        found = literal_at(code, match.end()) if match["more"] == "," else None
        yield EnvRead(
            name,
            *lines.span(match.start(), match.end()),
            "jvm.getenv",
            False if match["m"] == "getOrDefault" else None,
            found[0] if found else None,
        )
    if "@Value" in code:
        for value in re.finditer(r"@Value\(\s*\"(?P<body>[^\"\n]*)\"", code):
            for match in _SPRING().finditer(value["body"]):
                line = lines.line(value.start())
                default = match["default"]
                yield EnvRead(
                    match["name"],
                    line,
                    line,
                    "spring.value",
                    default is None,
                    default,
                )


def scan_shell(text: str) -> Iterator[EnvRead]:
    """``${X:-d}``, ``${X-d}``, ``${X:?m}`` in a shell script or template.

    A name the script assigns before the read is its own variable, not one
    the environment provides.
    """
    if "${" not in text:
        return
    code = blank_comments(text, "hash")
    lines = LineMap(code)
    for match in _SHELL().finditer(code):
        name = match["name"]
        assigned = re.search(
            rf"(?m)^\s*(?:export\s+|local\s+|readonly\s+)?{name}=",
            code[: match.start()],
        )
        if assigned:
            continue
        yield _shell_read(match, lines, "shell.parameter")


def is_entrypoint_script(path: str) -> bool:
    """A container entrypoint or start script (``entrypoint.sh``, ``start.sh``)."""
    name = path.rsplit("/", 1)[-1]
    return (
        name.endswith((".sh", ".bash")) and ENTRYPOINT_SCRIPT.search(name) is not None
    )


def scan_entrypoint(text: str) -> Iterator[EnvRead]:
    """An entrypoint script's reads: ``${X:-d}`` forms, then bare ``$X``/``${X}``.

    Only upper-case names count (lower-case ones are the script's own), and a
    name the script assigns anywhere, or loops or reads into, is its own.
    """
    found = list(scan_shell(text))
    yield from found
    if "$" not in text:
        return
    code = blank_comments(text, "hash")
    own = {
        m["name"] or m["loop"] or m["read"] for m in _SHELL_ASSIGNED().finditer(code)
    }
    seen = own | {read.name for read in found}
    lines = LineMap(code)
    for match in _SHELL_BARE().finditer(code):
        name = match["name"]
        if name not in seen:
            seen.add(name)
            yield _placeholder(match, lines, "shell.variable", None, required=None)


def scan_config(text: str) -> Iterator[EnvRead]:
    """``${X}``, ``${X:-d}`` placeholders in compose and configuration files."""
    if "${" not in text:
        return
    code = _blank_hash_comment_lines(text)
    lines = LineMap(code)
    for match in _CONFIG().finditer(code):
        yield _shell_read(match, lines, "config.placeholder")


def _shell_read(match: "re.Match[str]", lines: LineMap, rule: str) -> EnvRead:
    """``${X:?m}`` fails without X; ``${X:-d}`` defaults; ``${X}`` is unclear."""
    op = match["op"] or ""
    if "?" in op:
        return _placeholder(match, lines, rule, None, required=True)
    if "-" in op:
        return _placeholder(match, lines, rule, match["word"], required=False)
    return _placeholder(match, lines, rule, None, required=None)


def _placeholder(
    match: "re.Match[str]",
    lines: LineMap,
    rule: str,
    default: str | None,
    required: bool | None,
) -> EnvRead:
    if default is not None:
        default = default.strip().strip("'\"")
    return EnvRead(
        match["name"], *lines.span(match.start(), match.end()), rule, required, default
    )


def _blank_hash_comment_lines(text: str) -> str:
    """Blank whole-line ``#`` / ``!`` comments of YAML and properties files."""
    return re.sub(r"(?m)^[ \t]*[#!][^\n]*", lambda m: " " * len(m.group(0)), text)
