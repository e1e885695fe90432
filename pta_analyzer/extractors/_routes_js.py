"""Route declarations of Express, Koa, Fastify and NestJS applications."""

import re
from collections.abc import Set
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._routes_common import (
    Mount,
    Route,
    Routes,
    add_route,
    call_text,
    join_path,
)
from pta_analyzer.extractors._textlines import lines_with
from pta_analyzer.index import SourceText
from pta_analyzer.needles import register

JS_FRAMEWORKS = register("fastify", "koa", "hono", "restify", "express", "node")
CHAIN_LINES_MAX = 400  # ``.route('/x')`` chains, with their doc comments

# A file is read for routes only when it holds one of the first words and
# one of the second ones (or declares a NestJS controller).
_JS_GATE = register("express", "koa", "fastify", "Router", "router", "restify", "hono")
register("setGlobalPrefix(", "@Controller", "require(", "import ")
_JS_CALLS = register(
    *(f".{m}(" for m in ("get", "post", "put", "patch", "delete", "all", "use",
                         "route", "del"))
)  # fmt: skip
_JS_RECEIVER = r"(app|server|fastify|routes?|\w*[Rr]outer|\w*[Aa]pp)"
_JS_ROUTE = regex(
    rf"\b{_JS_RECEIVER}\s*\.(get|post|put|patch|delete|del|all|head|options)\(\s*"
    r"['\"`](/[^'\"`]*|\*)['\"`]"
)
_JS_ROUTE_CHAIN = regex(
    rf"(?:\b{_JS_RECEIVER})?\s*\.route\(\s*['\"`](/[^'\"`]*)['\"`]\s*\)"
)
_JS_CHAINED = regex(r"\.(get|post|put|patch|delete|all|head|options)\(")
_JS_USE = regex(
    rf"\b{_JS_RECEIVER}\s*\.use\(\s*['\"`](/[^'\"`]*)['\"`]\s*,\s*(?:.*,\s*)?"
    r"(?:require\(\s*['\"]([^'\"]+)['\"]\s*\)|([\w$]+)(?:\.routes\(\))?)\s*\)"
)
_JS_IMPORT = regex(
    r"(?:(?:const|let|var)\s+([\w$]+)\s*=\s*require\(\s*['\"](\.[^'\"]*)['\"]\s*\)"
    r"|import\s+([\w$]+)\s+from\s+['\"](\.[^'\"]*)['\"])"
)
_JS_LOCAL_PREFIX = regex(
    r"\b([\w$]+)\s*=\s*new\s+\w*Router\(\s*\{[^}]*prefix\s*:\s*['\"`]([^'\"`]*)['\"`]"
)
_JS_HANDLER = regex(r",\s*([\w$]+(?:\.[\w$]+)*)\s*\)\s*;?\s*$")

_NEST_CONTROLLER = regex(
    r"@Controller\(\s*(?:['\"`]([^'\"`]*)['\"`]|\{[^}]*path\s*:\s*['\"`]([^'\"`]*)['\"`])?"
)
_NEST_GLOBAL_PREFIX = regex(r"\.setGlobalPrefix\(\s*['\"`]([^'\"`]*)['\"`]")
_NEST_METHOD = regex(
    r"^\s*@(Get|Post|Put|Patch|Delete|All|Head|Options)\(\s*(?:['\"`]([^'\"`]*)['\"`])?"
)
_TS_METHOD_NAME = regex(r"^\s*(?:public\s+|private\s+|async\s+)*(\w+)\s*\(")
# Every line _JS_ROUTE, _JS_ROUTE_CHAIN or _JS_USE matches holds one of these.
_JS_CANDIDATE_WORDS = tuple(
    f".{verb}("
    for verb in (
        "get", "post", "put", "patch", "delete", "del", "all", "head",
        "options", "route", "use",
    )
)  # fmt: skip


# JavaScript / TypeScript: Express, Koa, Fastify, NestJS


def scan_js(source: SourceText, found: Routes, paths: Set[str]) -> None:
    text = source.text
    if source.holds("setGlobalPrefix("):
        lines = source.lines
        for number in lines_with(text, ("setGlobalPrefix(",)):
            match = _NEST_GLOBAL_PREFIX().search(lines[number - 1])
            if match:
                found.global_prefixes["nestjs"] = (
                    match.group(1),
                    source.evidence(number),
                )
    if source.holds("@Controller"):
        _scan_nest(source, found)
        return
    if not source.holds(*_JS_GATE) or not source.holds(*_JS_CALLS):
        return

    lines = source.lines
    imports = _js_imports(source, text, paths)
    for number in lines_with(text, ("Router(",)):
        match = _JS_LOCAL_PREFIX().search(lines[number - 1])
        if match:
            found.mounts.append(
                Mount(match.group(2), source.evidence(number), source.path, "",
                      source.path, match.group(1))
            )  # fmt: skip

    for number in lines_with(text, _JS_CANDIDATE_WORDS):
        line = lines[number - 1]
        stripped = line.lstrip()
        if stripped.startswith(("//", "*", "/*")):
            continue
        for match in _JS_ROUTE().finditer(line):
            method = match.group(2).upper()
            method = {"DEL": "DELETE", "ALL": "ANY"}.get(method, method)
            handler = _JS_HANDLER().search(call_text(source.lines, number))
            add_route(
                found,
                source.path,
                Route(
                    method,
                    match.group(3),
                    [source.evidence(number)],
                    _js_framework(source),
                    handler.group(1) if handler else "",
                    match.group(1),
                ),
            )
        chain = _JS_ROUTE_CHAIN().search(line)
        if chain:
            _js_route_chain(source, found, number, chain.group(1) or "", chain.group(2))
        if ".use(" in line and (use := _JS_USE().search(line)):
            _js_mount(source, found, number, use, imports, paths)


def _js_framework(source: SourceText) -> str:
    for name in JS_FRAMEWORKS:
        if source.holds(name):
            return name
    return "node"


def _js_route_chain(
    source: SourceText, found: Routes, number: int, router: str, path: str
) -> None:
    """``router.route('/x').get(...).post(...)`` over one or more lines."""
    lines = source.lines
    framework = _js_framework(source)
    if not router and number > 1:
        previous = lines[number - 2].strip()
        router = previous if re.fullmatch(r"[\w$]+", previous) else ""
    for offset, line in enumerate(lines[number - 1 : number + CHAIN_LINES_MAX]):
        current = number + offset
        stripped = line.strip()
        if stripped.startswith(("/*", "*", "//")):
            continue
        if offset and stripped and not stripped.startswith("."):
            break
        segment = line if offset else line.split(".route(", 1)[1]
        for method in _JS_CHAINED().findall(segment):
            verb = "ANY" if method == "all" else method.upper()
            handler = _JS_HANDLER().search(call_text(lines, current))
            evidence = [source.evidence(number)]
            if current != number:
                evidence.append(source.evidence(current))
            add_route(
                found,
                source.path,
                Route(
                    verb,
                    path,
                    evidence,
                    framework,
                    handler.group(1) if handler else "",
                    router,
                ),
            )
        if stripped.endswith(";"):
            break


def _js_imports(source: SourceText, text: str, known: Set[str]) -> dict[str, str]:
    """Local names bound to relative ``require``/``import``, as repo paths."""
    if not source.holds("require(", "import "):
        return {}
    imports: dict[str, str] = {}
    for number in lines_with(text, ("require(", "import")):
        match = _JS_IMPORT().search(source.lines[number - 1])
        if match is None:
            continue
        name = match.group(1) or match.group(3)
        target = _resolve_js(source.path, match.group(2) or match.group(4), known)
        if target:
            imports[name] = target
    return imports


def _resolve_js(importer: str, relative: str, known: Set[str]) -> str:
    base = PurePosixPath(importer).parent
    parts: list[str] = []
    for part in (base / relative).parts:
        if part == "..":
            if not parts:
                return ""
            parts.pop()
        elif part != ".":
            parts.append(part)
    stem = "/".join(parts)
    for suffix in ("", ".js", ".ts", ".mjs", ".cjs", "/index.js", "/index.ts"):
        if stem + suffix in known:
            return stem + suffix
    return ""


def _js_mount(
    source: SourceText,
    found: Routes,
    number: int,
    use: "re.Match[str]",
    imports: dict[str, str],
    paths: Set[str],
) -> None:
    router, prefix, required, name = use.groups()
    evidence = source.evidence(number)
    if required:
        target = _resolve_js(source.path, required, paths)
        if target:
            found.mounts.append(Mount(prefix, evidence, source.path, router, target))
        return
    if name in imports:
        found.mounts.append(Mount(prefix, evidence, source.path, router, imports[name]))
    elif name and re.search(rf"\b{re.escape(name)}\s*=", source.text):
        found.mounts.append(
            Mount(prefix, evidence, source.path, router, source.path, name)
        )


def _scan_nest(source: SourceText, found: Routes) -> None:
    prefix = ""
    prefix_evidence: list[Evidence] = []
    lines = source.lines
    for number in lines_with(source.text, ("@",)):  # every decorator line
        line = lines[number - 1]
        controller = _NEST_CONTROLLER().search(line)
        if controller and line.lstrip().startswith("@Controller"):
            prefix = controller.group(1) or controller.group(2) or ""
            prefix_evidence = [source.evidence(number)] if prefix else []
            continue
        method = _NEST_METHOD().match(line)
        if method is None:
            continue
        verb = method.group(1).upper()
        handler = ""
        for following in lines[number : number + 6]:
            name = _TS_METHOD_NAME().match(following)
            if name and not following.lstrip().startswith("@"):
                handler = name.group(1)
                break
        add_route(
            found,
            source.path,
            Route(
                "ANY" if verb == "ALL" else verb,
                join_path(prefix, method.group(2) or ""),
                [source.evidence(number), *prefix_evidence],
                "nestjs",
                handler,
            ),
        )
