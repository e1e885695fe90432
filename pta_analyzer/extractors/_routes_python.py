"""Route declarations of Python web frameworks and Django URL patterns."""

import re
from bisect import bisect_right
from collections.abc import Set
from pathlib import PurePosixPath

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
from pta_analyzer.extractors._textlines import candidate_lines, match_lines
from pta_analyzer.index import SourceText

# Flask, Quart, Sanic and Starlette answer only GET on a route declared
# without ``methods``.
ROUTE_DEFAULT_METHOD = "GET"


_PY_DECORATOR = re.compile(
    r"^\s*@(\w+)\.(route|get|post|put|patch|delete|head|options|api_route|"
    r"websocket)\(\s*(?:path\s*=\s*)?[rf]?['\"](/[^'\"]*|)['\"]"
)
_PY_ADD_URL_RULE = re.compile(r"\.add_url_rule\(\s*['\"](/[^'\"]*)['\"]")
_PY_ADD_RESOURCE = re.compile(
    r"\.add_resource\(\s*(\w+)\s*,((?:\s*['\"]/[^'\"]*['\"]\s*,?)+)"
)
_PY_AIOHTTP_ADD = re.compile(
    r"\.add_(get|post|put|patch|delete|head|options|view)\(\s*['\"](/[^'\"]*)['\"]"
    r"\s*,\s*([\w.]+)"
)
_PY_AIOHTTP_ROUTE = re.compile(
    r"\.add_route\(\s*['\"](\w+|\*)['\"]\s*,\s*['\"](/[^'\"]*)['\"]\s*,\s*([\w.]+)"
)
_PY_AIOHTTP_TABLE = re.compile(
    r"\bweb\.(get|post|put|patch|delete|head|view)\(\s*['\"](/[^'\"]*)['\"]\s*,\s*([\w.]+)"
)
_PY_STARLETTE_ROUTE = re.compile(
    r"\bRoute\(\s*['\"](/[^'\"]*)['\"]\s*,\s*(?:endpoint\s*=\s*)?([\w.]+)"
)
_PY_ROUTER_PREFIX = re.compile(
    r"^\s*(\w+)\s*(?::\s*\w+\s*)?=\s*(?:\w+\.)?(APIRouter|Blueprint)\((.*)"
)
_PY_PREFIX_ARG = re.compile(r"\b(?:url_)?prefix\s*=\s*['\"]([^'\"]*)['\"]")
_PY_INCLUDE = re.compile(r"\.(include_router|register_blueprint)\(\s*([\w.]+)\s*(.*)")
_PY_DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)")
_PY_FROM_IMPORT = re.compile(r"^\s*from\s+([\w.]+)\s+import\s+(.+)")

_DJANGO_PATH = re.compile(r"\b(path|re_path|url)\(\s*r?['\"]([^'\"]*)['\"]\s*,\s*(.+)")
_DRF_REGISTER = re.compile(
    r"\b(\w+)\.register\(\s*r?['\"]\^?([^'\"]*)['\"]\s*,\s*([\w.]+)"
)
_DRF_INCLUDE = re.compile(r"^include\(\s*(\w+)\.urls\s*\)")
_DJANGO_INCLUDE = re.compile(r"^include\(\s*['\"]([\w.]+)['\"]")

# Every line any rule above can match holds one of these, so only lines
# with a match are read.
_PY_CANDIDATE = (
    (
        "@",
        re.compile(
            r"@\w+\.(?:route|get|post|put|patch|delete|head|options|api_route|"
            r"websocket)\("
        ),
    ),
    ("APIRouter(", re.compile(r"APIRouter\(")),
    ("Blueprint(", re.compile(r"Blueprint\(")),
    (
        ".add_",
        re.compile(
            r"\.add_(?:url_rule|resource|get|post|put|patch|delete|head|options|"
            r"view|route)\("
        ),
    ),
    ("web.", re.compile(r"web\.(?:get|post|put|patch|delete|head|view)\(")),
    ("Route(", re.compile(r"Route\(")),
    ("include_router(", re.compile(r"\.include_router\(")),
    ("register_blueprint(", re.compile(r"\.register_blueprint\(")),
)
_DJANGO_CANDIDATE = (
    (".register(", re.compile(r"\.register\(")),
    ("path(", re.compile(r"path\(")),
    ("url(", re.compile(r"url\(")),
)
_TRIPLE_QUOTE = re.compile("\"\"\"|'''")
_DOCSTRING_STARTS = tuple(
    (mark, re.compile(rf"^\w+\s*=\s*{mark}")) for mark in ('"""', "'''")
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
        for number in match_lines(text, _TRIPLE_QUOTE):
            stripped = lines[number - 1].strip()
            skipped = True
            if quote:
                if quote in stripped:
                    quote = ""
            else:
                for mark, assigned in _DOCSTRING_STARTS:
                    if stripped.startswith(mark) or assigned.match(stripped):
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


def _python_framework(text: str) -> str:
    for name in ("fastapi", "starlette", "aiohttp", "quart", "sanic", "flask"):
        if name in text:
            return name
    return "python"


def scan_python(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    """Routes of one Python file, read only on the lines that may declare one."""
    text = source.text
    # Which files are read at all: one of these words must be in the text.
    if "@" not in text and "add_" not in text and "Route(" not in text:
        return
    candidates = candidate_lines(text, _PY_CANDIDATE)
    if not candidates:
        return
    if not any(
        word in text
        for word in (".route(", ".get(", ".post(", ".put(", ".patch(", ".delete(",
                     ".api_route(", ".websocket(", "add_url_rule", "add_resource",
                     ".add_", "web.get(", "web.post(", "Route(", "include_router",
                     "register_blueprint")
    ):  # fmt: skip
        return
    framework = _python_framework(text)
    lines = source.lines
    code = _CodeLines(lines, text)
    prefixes: dict[str, tuple[str, Evidence]] = {}
    pending: list[tuple[str, str, int, str]] = []  # decorators awaiting their def
    handler_line = 0  # the line that ends the pending decorators (0: none)

    for number in candidates:
        if pending and handler_line and handler_line < number:
            _add_decorated(found, source, pending, handler_line, framework)
            pending = []
        if not code.is_code(number):
            continue
        line = lines[number - 1]
        router_def = _PY_ROUTER_PREFIX.match(line)
        if router_def:
            prefix = _PY_PREFIX_ARG.search(call_text(lines, number))
            if prefix:
                prefixes[router_def.group(1)] = (
                    prefix.group(1),
                    source.evidence(number),
                )

        decorator = _PY_DECORATOR.match(line)
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


def _add_decorated(
    found: Routes,
    source: SourceText,
    pending: list[tuple[str, str, int, str]],
    handler_line: int,
    framework: str,
) -> None:
    """The routes of stacked decorators, ended by line ``handler_line``."""
    handler = _PY_DEF.match(source.lines[handler_line - 1])
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

    if ".add_url_rule(" in line and (rule := _PY_ADD_URL_RULE.search(line)):
        call = call_text(source.lines, number)
        view = re.search(r"view_func\s*=\s*([\w.]+)", call)
        for method in methods_of(call) or [ROUTE_DEFAULT_METHOD]:
            add(method, rule.group(1), framework, view.group(1) if view else "")
    if ".add_resource(" in line and (resource := _PY_ADD_RESOURCE.search(line)):
        for url in re.findall(r"['\"]([^'\"]*)['\"]", resource.group(2)):
            add("ANY", url, "flask-restful", resource.group(1))
    if ".add_" in line and (added := _PY_AIOHTTP_ADD.search(line)):
        method = "ANY" if added.group(1) == "view" else added.group(1).upper()
        add(method, added.group(2), "aiohttp", added.group(3))
    if ".add_route(" in line and (route := _PY_AIOHTTP_ROUTE.search(line)):
        method = "ANY" if route.group(1) == "*" else route.group(1).upper()
        add(method, route.group(2), "aiohttp", route.group(3))
    if "web." in line and (table := _PY_AIOHTTP_TABLE.search(line)):
        method = "ANY" if table.group(1) == "view" else table.group(1).upper()
        add(method, table.group(2), "aiohttp", table.group(3))
    if "Route(" in line and (star := _PY_STARLETTE_ROUTE.search(line)):
        call = call_text(source.lines, number)
        for method in methods_of(call) or [ROUTE_DEFAULT_METHOD]:
            add(method, star.group(1), "starlette", star.group(2))
    if ("include_router" in line or "register_blueprint" in line) and (
        include := _PY_INCLUDE.search(line)
    ):
        call = call_text(source.lines, number)
        prefix = _PY_PREFIX_ARG.search(call)
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
        match = _PY_FROM_IMPORT.match(line)
        if match and re.search(rf"\b{re.escape(module)}\b", match.group(2)):
            package = match.group(1).replace(".", "/")
            return f"{package}/{module}" in path
    return False


# Django


def scan_django(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    text = source.text
    if "path(" not in text and "url(" not in text:
        return
    candidates = candidate_lines(text, _DJANGO_CANDIDATE)
    code = _CodeLines(source.lines, text) if candidates else None
    for number in candidates:
        if code is None or not code.is_code(number):
            continue
        line = source.lines[number - 1]
        if ".register(" in line:
            _drf_register(source, found, number, line)
        match = _DJANGO_PATH.search(line)
        if match is None:
            continue
        kind, route, rest = match.groups()
        if kind != "path":
            route = route.removeprefix("^").removesuffix("$")
        include = _DJANGO_INCLUDE.match(rest.strip())
        if include:
            found.django_includes.append(
                (source.path, include.group(1), source.evidence(number), route)
            )
            continue
        router_urls = _DRF_INCLUDE.match(rest.strip())
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
    register = _DRF_REGISTER.search(line)
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
