"""HTTP endpoints an application serves, from its route declarations.

Each ENDPOINT fact has the key ``"<METHOD> <path>"`` (``ANY`` when the
declaration names no method and the framework answers every method) and
cites the route line, plus the lines that give it a prefix (a router's
``prefix=``, an ``app.use('/v1', routes)`` mount, a Spring class-level
``@RequestMapping``). ``attrs`` carry ``framework`` and, when cheap,
``handler``. Only declarations are read: client calls (``axios.get``,
``requests.get``, ``fetch``) are never endpoints. Rails ``config/routes.rb``
is read by ``_rails_routes``.
"""

import logging
import re
from collections.abc import Iterator, Set

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._rails_routes import rails_routes
from pta_analyzer.extractors._routes_common import (
    Mount,
    Route,
    Routes,
    Scanner,
    add_route,
    call_text,
    join_path,
)
from pta_analyzer.extractors._routes_js import JS_FRAMEWORKS, scan_js
from pta_analyzer.extractors._routes_python import (
    resolve_django_includes,
    resolve_python_includes,
    scan_django,
    scan_python,
)
from pta_analyzer.extractors._textlines import lines_with
from pta_analyzer.facts import WEIGHT_MANIFEST, Fact, FactKind, Status
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.needles import register

logger = logging.getLogger(__name__)

MOUNT_DEPTH_MAX = 8  # prefixes are followed through at most this many mounts
JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"})
JVM_SUFFIXES = frozenset({".java", ".kt"})

_GO_ROUTE = regex(
    r"\b(\w+)\.(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|Any|Get|Post|Put|Patch|"
    r"Delete|Head|Options|All)\(\s*\"(/[^\"]*)\"\s*(?:,\s*([\w.]+))?"
)
_GO_HANDLE = regex(
    r"\b(\w+)\.(HandleFunc|Handle)\(\s*\"((?:[A-Z]+\s+)?/[^\"]*)\"\s*(?:,\s*([\w.]+))?"
)
_GO_MUX_METHODS = regex(r"\.Methods\(\s*([^)]*)\)")
_GO_GROUP = regex(r"\b(\w+)\s*:?=\s*(\w+)\.(?:Group|Route)\(\s*\"([^\"]*)\"")
# Every line _GO_GROUP, _GO_ROUTE or _GO_HANDLE matches holds one of these.
_GO_CANDIDATE_WORDS = (
    ".Group(", ".Route(", ".Handle", ".GET(", ".POST(", ".PUT(", ".PATCH(",
    ".DELETE(", ".HEAD(", ".OPTIONS(", ".Any(", ".Get(", ".Post(", ".Put(",
    ".Patch(", ".Delete(", ".Head(", ".Options(", ".All(",
)  # fmt: skip
# A Go file declares a route only when it holds one of these.
_GO_GATE = register('("/', '("GET /', '("POST /')
_GO_CLIENTS = frozenset({"http", "client", "c", "ctx", "req", "resty", "request", "s"})

_SPRING_MAPPING = regex(r"^\s*@(Get|Post|Put|Patch|Delete|Request)Mapping\b(?:\((.*))?")
_SPRING_PATHS = regex(r"['\"]([^'\"]*)['\"]")
_SPRING_METHOD = regex(r"method\s*=\s*\{?\s*(?:RequestMethod\.)?([A-Z]+)")
_JVM_CLASS = regex(r"^\s*(?:public\s+|abstract\s+|final\s+|open\s+)*class\s+\w+")
_JVM_FUNCTION = regex(r"(?:fun\s+(\w+)|(\w+)\s*\([^)]*$|(\w+)\s*\()")

register("draw", "Mapping", "Route::")
_LARAVEL_ROUTE = regex(
    r"Route::(get|post|put|patch|delete|options|any)\(\s*['\"]([^'\"]*)['\"]\s*(?:,\s*(.*))?"
)
_LARAVEL_RESOURCE = regex(
    r"Route::(resource|apiResource)\(\s*['\"]([^'\"]+)['\"]\s*,\s*([\w\\]+)"
)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """ENDPOINT facts from route declarations in code and route files."""
    found = Routes()
    all_paths = frozenset(index.paths())
    for path in index.paths():
        scanner = _scanner_for(path)
        if scanner is None:
            continue
        source = index.read(path)
        if source is None:
            continue
        try:
            scanner(source, found, all_paths)
        except (ValueError, RecursionError) as error:
            logger.debug("routes not read", extra={"path": path, "error": str(error)})

    resolve_python_includes(found)
    resolve_django_includes(found)
    yield from _facts(index, found)

    for path in index.named("routes.rb"):
        source = index.read(path)
        if source is None or not source.holds("draw"):
            continue
        for method, route_path, line, handler in rails_routes(source.lines):
            yield Fact(
                kind=FactKind.ENDPOINT,
                key=f"{method} {route_path}",
                source="endpoints.rails",
                evidence=(source.evidence(line),),
                scope=index.scope(path),
                attrs=_attrs("rails", handler),
            )


def _scanner_for(path: str) -> Scanner | None:
    folder, _, name = path.rpartition("/")
    dot = name.rfind(".")
    suffix = name[dot:].lower() if dot > 0 else ""
    if suffix == ".py":
        if name == "urls.py" or folder.rpartition("/")[2] == "urls":
            return scan_django
        return scan_python
    if suffix in JS_SUFFIXES and not name.endswith(".d.ts"):
        return scan_js
    if suffix == ".go":
        return _scan_go
    if suffix in JVM_SUFFIXES:
        return _scan_spring
    if suffix == ".php" and "routes" in folder.split("/"):
        return _scan_laravel
    return None


# Facts and prefixes


def _facts(index: RepoIndex, found: Routes) -> Iterator[Fact]:
    seen: set[tuple[str, str, str]] = set()
    mounts: dict[str, list[Mount]] = {}  # by the file they mount
    for mount in found.mounts:
        mounts.setdefault(mount.target_file, []).append(mount)
    for path, routes in sorted(found.routes.items()):
        scope = index.scope(path)
        for route in routes:
            for prefix, mount_evidence in _prefixes(mounts, path, route.router, 0):
                full = join_path(prefix, route.path)
                if route.path == "/" and prefix and route.framework in JS_FRAMEWORKS:
                    full = join_path(prefix, "")  # a mounted router's "/" is its mount
                evidence = route.evidence + mount_evidence
                if route.framework in found.global_prefixes:
                    outer, outer_evidence = found.global_prefixes[route.framework]
                    full = join_path(outer, full)
                    evidence = [*evidence, outer_evidence]
                key = f"{route.method} {full}"
                if (path, key, route.handler) in seen:
                    continue
                seen.add((path, key, route.handler))
                yield Fact(
                    kind=FactKind.ENDPOINT,
                    key=key,
                    source=f"endpoints.{route.framework}",
                    evidence=tuple(evidence),
                    status=route.status,
                    scope=scope,
                    weight=WEIGHT_MANIFEST,
                    note=route.note,
                    attrs=_attrs(route.framework, route.handler),
                )


def _prefixes(
    mounts: dict[str, list[Mount]], path: str, router: str, depth: int
) -> list[tuple[str, list[Evidence]]]:
    """Every prefix under which ``router`` of ``path`` is mounted."""
    mounted = [m for m in mounts.get(path, ()) if m.target_router in ("", router)]
    if not mounted or depth >= MOUNT_DEPTH_MAX:
        return [("", [])]
    result: list[tuple[str, list[Evidence]]] = []
    for mount in mounted:
        for outer, evidence in _prefixes(mounts, mount.file, mount.router, depth + 1):
            result.append((join_path(outer, mount.prefix), [*evidence, mount.evidence]))
    return result


def _attrs(framework: str, handler: str) -> dict[str, object]:
    attrs: dict[str, object] = {"framework": framework}
    if handler:
        attrs["handler"] = handler
    return attrs


# Go: net/http, gin, echo, chi, fiber, gorilla/mux


def _scan_go(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    if not source.holds(*_GO_GATE):
        return
    text = source.text
    groups: dict[str, tuple[str, list[Evidence]]] = {}
    for number in lines_with(text, _GO_CANDIDATE_WORDS):
        line = source.lines[number - 1]
        if line.lstrip().startswith("//"):
            continue
        group = _GO_GROUP().search(line)
        if group:
            outer, outer_evidence = groups.get(group.group(2), ("", []))
            groups[group.group(1)] = (
                join_path(outer, group.group(3)),
                [*outer_evidence, source.evidence(number)],
            )
        route = _GO_ROUTE().search(line)
        if route and route.group(1) not in _GO_CLIENTS:
            receiver, verb, path, handler = route.groups()
            prefix, evidence = groups.get(receiver, ("", []))
            method = verb.upper()
            method = "ANY" if method in ("ANY", "ALL") else method
            add_route(
                found,
                source.path,
                Route(
                    method,
                    join_path(prefix, path),
                    [source.evidence(number), *evidence],
                    "go",
                    handler or "",
                ),
            )
        handle = _GO_HANDLE().search(line)
        if handle and handle.group(1) not in _GO_CLIENTS - {"http"}:
            _go_handle(source, found, number, line, handle, groups)


def _go_handle(
    source: SourceText,
    found: Routes,
    number: int,
    line: str,
    handle: "re.Match[str]",
    groups: dict[str, tuple[str, list[Evidence]]],
) -> None:
    receiver, _kind, pattern, handler = handle.groups()
    method, _, path = pattern.rpartition(" ")
    methods = [method] if method else ["ANY"]
    listed = _GO_MUX_METHODS().search(line)
    if listed:
        named = re.findall(r"\"([A-Z]+)\"|http\.Method(\w+)", listed.group(1))
        methods = [(a or b).upper() for a, b in named] or methods
    prefix, evidence = groups.get(receiver, ("", []))
    for verb in methods:
        add_route(
            found,
            source.path,
            Route(
                verb,
                join_path(prefix, path),
                [source.evidence(number), *evidence],
                "go",
                handler or "",
            ),
        )


# Spring (Java, Kotlin)


def _scan_spring(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    if not source.holds("Mapping"):
        return
    lines = source.lines
    class_prefix = ""
    class_evidence: list[Evidence] = []
    pending: tuple[str, list[str], int] | None = None  # verb, paths, line
    in_class = False
    for number, line in enumerate(lines, start=1):
        mapping = _SPRING_MAPPING().match(line)
        if mapping:
            call = call_text(lines, number) if mapping.group(2) is not None else ""
            verb = mapping.group(1).upper()
            if verb == "REQUEST":
                stated = _SPRING_METHOD().search(call)
                verb = stated.group(1) if stated else "ANY"
            paths = _spring_paths(call)
            if not in_class or (pending is None and _next_is_class(lines, number)):
                class_prefix = paths[0] if paths else ""
                class_evidence = [source.evidence(number)]
                continue
            pending = (verb, paths or [""], number)
            continue
        if _JVM_CLASS().match(line):
            in_class = True
            continue
        if pending and not line.lstrip().startswith("@") and line.strip():
            function = _JVM_FUNCTION().search(line)
            handler = ""
            if function:
                handler = function.group(1) or function.group(2) or function.group(3)
            verb, paths, at = pending
            for path in paths:
                add_route(
                    found,
                    source.path,
                    Route(
                        verb,
                        join_path(class_prefix, path),
                        [source.evidence(at), *class_evidence],
                        "spring",
                        handler,
                    ),
                )
            pending = None


def _spring_paths(call: str) -> list[str]:
    """The paths of a mapping annotation's arguments (value/path, not params)."""
    if not call:
        return []
    named = re.search(r"\b(?:value|path)\s*=\s*(\{[^}]*\}|\"[^\"]*\")", call)
    if named:
        return _SPRING_PATHS().findall(named.group(1))
    if re.match(r"^\S*\(\s*(\{|\")", call.split("Mapping", 1)[-1]):
        first = re.match(
            r"^\S*\(\s*(\{[^}]*\}|\"[^\"]*\")", call.split("Mapping", 1)[-1]
        )
        return _SPRING_PATHS().findall(first.group(1)) if first else []
    return []


def _next_is_class(lines: tuple[str, ...], number: int) -> bool:
    for line in lines[number : number + 8]:
        if _JVM_CLASS().match(line):
            return True
        if not line.lstrip().startswith("@") and line.strip():
            return False
    return False


# Laravel


def _scan_laravel(source: SourceText, found: Routes, _paths: Set[str]) -> None:
    if not source.holds("Route::"):
        return
    is_api = source.path.rpartition("/")[2] == "api.php"
    prefix = "/api" if is_api else ""
    status = Status.INFERRED if is_api else Status.EVIDENCED
    note = (
        "the /api prefix is Laravel's convention for routes/api.php" if is_api else ""
    )
    for number, line in enumerate(source.lines, start=1):
        if line.lstrip().startswith(("//", "#", "*")):
            continue
        route = _LARAVEL_ROUTE().search(line)
        if route:
            verb = route.group(1).upper()
            handler = re.sub(r"\s*\)\s*;?.*$", "", route.group(3) or "")[:80]
            add_route(
                found,
                source.path,
                Route(
                    "ANY" if verb == "ANY" else verb,
                    join_path(prefix, route.group(2)),
                    [source.evidence(number)],
                    "laravel",
                    handler,
                    status=status,
                    note=note,
                ),
            )
        resource = _LARAVEL_RESOURCE().search(line)
        if resource:
            kind, name, controller = resource.groups()
            for verb, path in _resource_routes(name, api=kind == "apiResource"):
                add_route(
                    found,
                    source.path,
                    Route(
                        verb,
                        join_path(prefix, path),
                        [source.evidence(number)],
                        "laravel",
                        controller,
                        status=status,
                        note=note,
                    ),
                )


def _resource_routes(name: str, *, api: bool) -> list[tuple[str, str]]:
    base = "/" + name.strip("/")
    param = "{" + name.strip("/").split("/")[-1].rstrip("s") + "}"
    routes = [
        ("GET", base),
        ("POST", base),
        ("GET", f"{base}/{param}"),
        ("PUT", f"{base}/{param}"),
        ("PATCH", f"{base}/{param}"),
        ("DELETE", f"{base}/{param}"),
    ]
    if not api:
        routes += [("GET", f"{base}/create"), ("GET", f"{base}/{param}/edit")]
    return routes
