"""Route declarations of Python web frameworks and Django URL patterns."""

import re
from bisect import bisect_right
from collections.abc import Callable, Set
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._routes_common import (
    Mount,
    Route,
    Routes,
    add_route,
    call_text,
    join_path,
    methods_of,
)
from pta_analyzer.extractors._textlines import (
    line_at,
    lines_at,
    lines_with,
    starts_at,
)
from pta_analyzer.index import SourceText
from pta_analyzer.needles import register

# Flask, Quart, Sanic and Starlette answer only GET on a route declared
# without ``methods``.
ROUTE_DEFAULT_METHOD = "GET"


_PY_DECORATOR = regex(
    r"^\s*@(\w+)\.(route|get|post|put|patch|delete|head|options|api_route|"
    r"websocket)\(\s*(?:path\s*=\s*)?[rf]?['\"](/[^'\"]*|)['\"]"
)
_PY_ADD_URL_RULE = regex(r"\.add_url_rule\(\s*['\"](/[^'\"]*)['\"]")
_PY_ADD_RESOURCE = regex(
    r"\.add_resource\(\s*(\w+)\s*,((?:\s*['\"]/[^'\"]*['\"]\s*,?)+)"
)
_PY_AIOHTTP_ADD = regex(
    r"\.add_(get|post|put|patch|delete|head|options|view)\(\s*['\"](/[^'\"]*)['\"]"
    r"\s*,\s*([\w.]+)"
)
_PY_AIOHTTP_ROUTE = regex(
    r"\.add_route\(\s*['\"](\w+|\*)['\"]\s*,\s*['\"](/[^'\"]*)['\"]\s*,\s*([\w.]+)"
)
_PY_AIOHTTP_TABLE = regex(
    r"\bweb\.(get|post|put|patch|delete|head|view)\(\s*['\"](/[^'\"]*)['\"]\s*,\s*([\w.]+)"
)
_PY_STARLETTE_ROUTE = regex(
    r"\bRoute\(\s*['\"](/[^'\"]*)['\"]\s*,\s*(?:endpoint\s*=\s*)?([\w.]+)"
)
_PY_ROUTER_PREFIX = regex(
    r"^\s*(\w+)\s*(?::\s*\w+\s*)?=\s*(?:\w+\.)?(APIRouter|Blueprint)\((.*)"
)
_PY_PREFIX_ARG = regex(r"\b(?:url_)?prefix\s*=\s*['\"]([^'\"]*)['\"]")
_PY_INCLUDE = regex(r"\.(include_router|register_blueprint)\(\s*([\w.]+)\s*(.*)")
_PY_DEF = regex(r"^\s*(?:async\s+)?def\s+(\w+)")
_PY_FROM_IMPORT = regex(r"^\s*from\s+([\w.]+)\s+import\s+(.+)")

_DJANGO_PATH = regex(r"\b(path|re_path|url)\(\s*r?['\"]([^'\"]*)['\"]\s*,\s*(.+)")
_DRF_REGISTER = regex(r"\b(\w+)\.register\(\s*r?['\"]\^?([^'\"]*)['\"]\s*,\s*([\w.]+)")
_DRF_INCLUDE = regex(r"^include\(\s*(\w+)\.urls\s*\)")
_DJANGO_INCLUDE = regex(r"^include\(\s*['\"]([\w.]+)['\"]")


class _Rule(NamedTuple):
    """Lines worth reading: those ``pattern`` matches, on a text holding words.

    Every match of ``pattern`` holds ``word`` and, when ``also`` names some,
    one of those, so the pattern is run only on a text that holds them. When
    ``leads``, ``word`` is a character every match starts with and holds
    only there, so the pattern is tried only where it is.
    """

    word: str
    pattern: Callable[[], "re.Pattern[str]"]
    also: tuple[str, ...] = ()
    leads: bool = False


# Every match of the decorator, ".add_" and "web." rules below holds one of
# these too (the last two patterns are these words and nothing else).
_PY_DECORATOR_VERBS = register(
    ".route(", ".get(", ".post(", ".put(", ".patch(", ".delete(", ".head(",
    ".options(", ".api_route(", ".websocket(",
)  # fmt: skip
_PY_ADD_CALLS = register(
    *(f".add_{name}(" for name in ("url_rule", "resource", "get", "post", "put",
                                   "patch", "delete", "head", "options", "view",
                                   "route"))
)  # fmt: skip
_PY_WEB_CALLS = register(
    *(f"web.{name}(" for name in ("get", "post", "put", "patch", "delete", "head",
                                  "view"))
)  # fmt: skip
# Every line any pattern above can match is matched by one of these, so
# only those lines are read.
_PY_CANDIDATE = (
    _Rule(
        "@",
        regex(
            r"@\w+\.(?:route|get|post|put|patch|delete|head|options|api_route|"
            r"websocket)\("
        ),
        also=_PY_DECORATOR_VERBS,
        leads=True,
    ),
    _Rule("APIRouter(", regex(r"APIRouter\(")),
    _Rule("Blueprint(", regex(r"Blueprint\(")),
    _Rule(
        ".add_",
        regex(
            r"\.add_(?:url_rule|resource|get|post|put|patch|delete|head|options|"
            r"view|route)\("
        ),
        also=_PY_ADD_CALLS,
    ),
    _Rule(
        "web.",
        regex(r"web\.(?:get|post|put|patch|delete|head|view)\("),
        also=_PY_WEB_CALLS,
    ),
    _Rule("Route(", regex(r"Route\(")),
    _Rule("include_router(", regex(r"\.include_router\(")),
    _Rule("register_blueprint(", regex(r"\.register_blueprint\(")),
)
_DJANGO_CANDIDATE = (
    _Rule(".register(", regex(r"\.register\(")),
    _Rule("path(", regex(r"path\(")),
    _Rule("url(", regex(r"url\(")),
)
_CANDIDATE_WORDS = register(
    *(rule.word for rule in (*_PY_CANDIDATE, *_DJANGO_CANDIDATE))
)
# The rules after the decorator one are asked about together first: one
# ask of a few words costs less than an ask for each.
_PY_DECORATOR_ONLY = _PY_CANDIDATE[:1]
_PY_CALL_RULE_WORDS = tuple(rule.word for rule in _PY_CANDIDATE[1:])
# A Python file is read for routes only when it holds one of the first words
# and one of the second ones.
_PY_GATE = register("@", "add_", "Route(")
_PY_ROUTE_WORDS = register(
    ".route(", ".get(", ".post(", ".put(", ".patch(", ".delete(", ".api_route(",
    ".websocket(", "add_url_rule", "add_resource", ".add_", "web.get(",
    "web.post(", "Route(", "include_router", "register_blueprint",
)  # fmt: skip
# A candidate line declares nothing unless it is a decorator, a router or
# one of the calls _scan_python_calls reads, each holding one of these.
_PY_CALL_WORDS = (".add_", "web.", "Route(", "include_router", "register_blueprint")
_PY_FRAMEWORKS = register("fastapi", "starlette", "aiohttp", "quart", "sanic", "flask")
_DJANGO_GATE = register("path(", "url(")
_TRIPLE_QUOTES = ('"""', "'''")
_DOCSTRING_STARTS = tuple(
    (mark, regex(rf"^\w+\s*=\s*{mark}")) for mark in ('"""', "'''")
)


# Python: Flask, FastAPI, Starlette, aiohttp, Flask-RESTful


class _CodeLines:
    """Which lines of a Python file are code: outside docstrings, not comments.

    A docstring opens on a line that starts with a triple quote (or assigns
    one, ``doc = \"\"\"``) and does not close it, and ends on the next line
    holding the same quote; the lines from the opening one to the closing
    one are not code. Only lines with a triple quote change that state, so
    they are the only lines read ahead; any other line is then answered by
    a lookup.
    """

    def __init__(self, lines: tuple[str, ...], text: str) -> None:
        self._lines = lines
        self._marks: list[int] = []  # numbers of the lines with a triple quote
        self._skipped: list[bool] = []  # that line is part of a docstring
        self._open: list[bool] = []  # a docstring is open after that line
        quote = ""
        for number in lines_with(text, _TRIPLE_QUOTES):
            stripped = lines[number - 1].strip()
            skipped = True
            if quote:
                if quote in stripped:
                    quote = ""
            else:
                for mark, assigned in _DOCSTRING_STARTS:
                    if stripped.startswith(mark) or assigned().match(stripped):
                        if stripped.count(mark) == 1:
                            quote = mark
                        break
                else:
                    skipped = False
            self._marks.append(number)
            self._skipped.append(skipped)
            self._open.append(bool(quote))

    def is_code(self, number: int) -> bool:
        """True when 1-based line ``number`` is code."""
        at = bisect_right(self._marks, number) - 1
        if at >= 0 and (
            self._skipped[at] if self._marks[at] == number else self._open[at]
        ):
            return False
        return not self._lines[number - 1].strip().startswith("#")

    def next_plain(self, number: int) -> int:
        """The first code line after ``number`` not starting with ``@``, or 0."""
        for following in range(number + 1, len(self._lines) + 1):
            if self.is_code(following) and not self._lines[
                following - 1
            ].lstrip().startswith("@"):
                return following
        return 0


def _python_framework(source: SourceText) -> str:
    for name in _PY_FRAMEWORKS:
        if source.holds(name):
            return name
    return "python"


def scan_python(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    """Routes of one Python file, read only on the lines that may declare one."""
    if not source.holds(*_PY_GATE) or not source.holds(*_PY_ROUTE_WORDS):
        return
    text = source.text
    held = source.holds(*_PY_CALL_RULE_WORDS)
    starts = _candidate_starts(source, _PY_CANDIDATE if held else _PY_DECORATOR_ONLY)
    if not any(_may_declare(line_at(text, start)) for start in starts):
        return  # then no line adds a route, a prefix or a mount: nothing to do

    candidates = lines_at(text, starts)
    framework = _python_framework(source)
    lines = source.lines
    code = _CodeLines(lines, text)
    prefixes: dict[str, tuple[str, Evidence]] = {}
    pending: list[tuple[str, str, int, str]] = []  # decorators awaiting their def
    handler_line = 0  # the line that ends the pending decorators (0: none)

    for number, line in candidates:
        if pending and handler_line and handler_line < number:
            _add_decorated(found, source, pending, handler_line, framework)
            pending = []
        if not code.is_code(number):
            continue
        router_def = _PY_ROUTER_PREFIX().match(line)
        if router_def:
            prefix = _PY_PREFIX_ARG().search(call_text(lines, number))
            if prefix:
                prefixes[router_def.group(1)] = (
                    prefix.group(1),
                    source.evidence(number),
                )

        decorator = _PY_DECORATOR().match(line)
        if decorator:
            receiver, kind, path = decorator.groups()
            if not pending:
                handler_line = code.next_plain(number)
            pending.append((receiver, kind, number, path))
            continue
        if pending and handler_line == number:
            _add_decorated(found, source, pending, number, framework)
            pending = []

        _scan_python_calls(source, found, number, line, framework)
    if pending and handler_line:
        _add_decorated(found, source, pending, handler_line, framework)

    for routes in found.routes.get(source.path, []):
        local = prefixes.get(routes.router)
        if local is not None:
            routes.path = join_path(local[0], routes.path)
            routes.evidence.append(local[1])


def _candidate_lines(
    source: SourceText, rules: tuple[_Rule, ...]
) -> list[tuple[int, str]]:
    """``(number, line)`` of the lines a rule's pattern matches, in order."""
    return lines_at(source.text, _candidate_starts(source, rules))


def _candidate_starts(source: SourceText, rules: tuple[_Rule, ...]) -> list[int]:
    """The sorted offsets where a rule's pattern matches."""
    text = source.text
    starts: list[int] = []
    for rule in rules:
        if not source.holds(rule.word) or (rule.also and not source.holds(*rule.also)):
            continue
        if rule.leads:
            starts.extend(starts_at(text, rule.word, rule.pattern()))
        else:
            starts.extend(match.start() for match in rule.pattern().finditer(text))
    return sorted(starts)


def _may_declare(line: str) -> bool:
    """False when scan_python can take nothing from candidate ``line``.

    A line adds a route, a prefix or a mount only through _PY_DECORATOR,
    _PY_ROUTER_PREFIX or a call _scan_python_calls reads, which holds one
    of _PY_CALL_WORDS (a necessary condition). A file none of whose
    candidates may declare is left before it is split into lines: reading
    them would add nothing.
    """
    return bool(
        _PY_DECORATOR().match(line)
        or _PY_ROUTER_PREFIX().match(line)
        or any(word in line for word in _PY_CALL_WORDS)
    )


def _add_decorated(
    found: Routes,
    source: SourceText,
    pending: list[tuple[str, str, int, str]],
    handler_line: int,
    framework: str,
) -> None:
    """The routes of stacked decorators, ended by line ``handler_line``."""
    handler = _PY_DEF().match(source.lines[handler_line - 1])
    name = handler.group(1) if handler else ""
    for receiver, kind, line_no, path in pending:
        _add_python_route(found, source, receiver, kind, path, line_no, name, framework)


def _add_python_route(
    found: Routes,
    source: SourceText,
    receiver: str,
    kind: str,
    path: str,
    number: int,
    handler: str,
    framework: str,
) -> None:
    evidence = [source.evidence(number)]
    if kind in ("route", "api_route"):
        methods = methods_of(call_text(source.lines, number))
        if not methods:
            methods = ["ANY"] if kind == "api_route" else [ROUTE_DEFAULT_METHOD]
    elif kind == "websocket":
        methods = ["GET"]
    else:
        methods = [kind.upper()]
    for method in methods:
        add_route(
            found,
            source.path,
            Route(method, path, list(evidence), framework, handler, receiver),
        )


def _scan_python_calls(
    source: SourceText, found: Routes, number: int, line: str, framework: str
) -> None:
    path = source.path

    def add(method: str, url: str, by: str, handler: str) -> None:
        route = Route(method, url, [source.evidence(number)], by, handler)
        add_route(found, path, route)

    if ".add_url_rule(" in line and (rule := _PY_ADD_URL_RULE().search(line)):
        call = call_text(source.lines, number)
        view = re.search(r"view_func\s*=\s*([\w.]+)", call)
        for method in methods_of(call) or [ROUTE_DEFAULT_METHOD]:
            add(method, rule.group(1), framework, view.group(1) if view else "")
    if ".add_resource(" in line and (resource := _PY_ADD_RESOURCE().search(line)):
        for url in re.findall(r"['\"]([^'\"]*)['\"]", resource.group(2)):
            add("ANY", url, "flask-restful", resource.group(1))
    if ".add_" in line and (added := _PY_AIOHTTP_ADD().search(line)):
        method = "ANY" if added.group(1) == "view" else added.group(1).upper()
        add(method, added.group(2), "aiohttp", added.group(3))
    if ".add_route(" in line and (route := _PY_AIOHTTP_ROUTE().search(line)):
        method = "ANY" if route.group(1) == "*" else route.group(1).upper()
        add(method, route.group(2), "aiohttp", route.group(3))
    if "web." in line and (table := _PY_AIOHTTP_TABLE().search(line)):
        method = "ANY" if table.group(1) == "view" else table.group(1).upper()
        add(method, table.group(2), "aiohttp", table.group(3))
    if "Route(" in line and (star := _PY_STARLETTE_ROUTE().search(line)):
        call = call_text(source.lines, number)
        for method in methods_of(call) or [ROUTE_DEFAULT_METHOD]:
            add(method, star.group(1), "starlette", star.group(2))
    if ("include_router" in line or "register_blueprint" in line) and (
        include := _PY_INCLUDE().search(line)
    ):
        call = call_text(source.lines, number)
        prefix = _PY_PREFIX_ARG().search(call)
        if prefix:
            receiver = line.split(".", 1)[0].strip()
            target = include.group(2)
            found.py_includes.append(
                (
                    path,
                    receiver,
                    target,
                    prefix.group(1),
                    source.evidence(number),
                    source.text,
                )
            )


def resolve_python_includes(found: Routes) -> None:
    """Turn ``include_router(notes.router, prefix=...)`` into mounts."""
    for path, receiver, target, prefix, evidence, text in found.py_includes:
        module, _, router = target.rpartition(".")
        if not module:
            found.mounts.append(Mount(prefix, evidence, path, receiver, path, target))
            continue
        candidates = [
            p
            for p in found.routes
            if p != path
            and (PurePosixPath(p).stem == module.split(".")[-1]
                 or p.endswith(f"/{module.split('.')[-1]}/__init__.py"))
        ]  # fmt: skip
        if len(candidates) > 1:
            candidates = [p for p in candidates if _imported_from(text, module, p)]
        if len(candidates) == 1:
            found.mounts.append(
                Mount(prefix, evidence, path, receiver, candidates[0], router)
            )
    found.py_includes = []


def _imported_from(text: str, module: str, path: str) -> bool:
    for line in text.splitlines():
        match = _PY_FROM_IMPORT().match(line)
        if match and re.search(rf"\b{re.escape(module)}\b", match.group(2)):
            package = match.group(1).replace(".", "/")
            return f"{package}/{module}" in path
    return False


# Django


def scan_django(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    if not source.holds(*_DJANGO_GATE):
        return
    candidates = _candidate_lines(source, _DJANGO_CANDIDATE)
    code = _CodeLines(source.lines, source.text) if candidates else None
    for number, line in candidates:
        if code is None or not code.is_code(number):
            continue
        if ".register(" in line:
            _drf_register(source, found, number, line)
        match = _DJANGO_PATH().search(line)
        if match is None:
            continue
        kind, route, rest = match.groups()
        if kind != "path":
            route = route.removeprefix("^").removesuffix("$")
        include = _DJANGO_INCLUDE().match(rest.strip())
        if include:
            found.django_includes.append(
                (source.path, include.group(1), source.evidence(number), route)
            )
            continue
        router_urls = _DRF_INCLUDE().match(rest.strip())
        if router_urls:
            evidence = source.evidence(number)
            found.mounts.append(
                Mount(
                    route, evidence, source.path, "", source.path, router_urls.group(1)
                )
            )
            continue
        handler = re.match(r"([\w.]+)", rest.strip())
        add_route(
            found,
            source.path,
            Route(
                "ANY",
                route,
                [source.evidence(number)],
                "django",
                handler.group(1) if handler else "",
            ),
        )


def _drf_register(source: SourceText, found: Routes, number: int, line: str) -> None:
    """A Django REST framework viewset: its list and detail routes."""
    register = _DRF_REGISTER().search(line)
    if register is None:
        return
    router, prefix, viewset = register.groups()
    for path in (f"{prefix}/", f"{prefix}/{{pk}}/"):
        add_route(
            found,
            source.path,
            Route(
                "ANY",
                path,
                [source.evidence(number)],
                "django-rest-framework",
                viewset,
                router,
            ),
        )


def resolve_django_includes(found: Routes) -> None:
    for path, module, evidence, route in found.django_includes:
        suffix = module.replace(".", "/")
        targets = [
            p
            for p in found.routes
            if p.endswith((f"{suffix}.py", f"{suffix}/__init__.py"))
        ]
        if len(targets) == 1:
            found.mounts.append(Mount(route, evidence, path, "", targets[0]))
        else:
            note = f"includes {module}"
            add_route(
                found,
                path,
                Route("ANY", route, [evidence], "django", module, note=note),
            )
    found.django_includes = []
