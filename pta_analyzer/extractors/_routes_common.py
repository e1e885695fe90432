"""Shared parts of the route readers: declarations, mounts and path joins."""

import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.facts import Status
from pta_analyzer.index import SourceText

HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
CALL_LINES_MAX = 8  # a route call is read over at most this many lines

_SLASHES = regex(r"/{2,}")
_METHODS_ARG = regex(r"\bmethods\s*=\s*[\[(]([^\])]*)[\])]")


@dataclass
class Route:
    """One route declaration, before its mount prefixes are known."""

    method: str
    path: str
    evidence: list[Evidence]
    framework: str
    handler: str = ""
    router: str = ""  # the router variable it is declared on
    status: Status = Status.EVIDENCED
    note: str = ""


class Mount(NamedTuple):
    """A prefix that one file gives to the routes of another router."""

    prefix: str
    evidence: Evidence
    file: str  # the file that mounts
    router: str  # the router the mount is declared on
    target_file: str
    target_router: str = ""  # "" = every router of the target file


@dataclass
class Routes:
    """Everything the scanners found, by file."""

    routes: dict[str, list[Route]] = field(default_factory=dict)
    mounts: list[Mount] = field(default_factory=list)
    py_includes: list[tuple[str, str, str, str, Evidence, str]] = field(
        default_factory=list
    )
    django_includes: list[tuple[str, str, Evidence, str]] = field(default_factory=list)
    # framework -> a prefix every route of it gets (NestJS setGlobalPrefix)
    global_prefixes: dict[str, tuple[str, Evidence]] = field(default_factory=dict)


Scanner = Callable[[SourceText, Routes, Set[str]], None]  # the tree's paths


def join_path(prefix: str, path: str) -> str:
    if not prefix:
        joined = path
    elif not path:
        joined = prefix
    else:
        joined = prefix.rstrip("/") + "/" + path.lstrip("/")
    if not joined.startswith("/"):
        joined = "/" + joined
    return _SLASHES().sub("/", joined) if "//" in joined else joined


def add_route(found: Routes, path: str, route: Route) -> None:
    found.routes.setdefault(path, []).append(route)


def call_text(lines: tuple[str, ...], start: int) -> str:
    """The text of a call starting on 1-based line ``start``, to its ``)``."""
    parts: list[str] = []
    depth = 0
    for line in lines[start - 1 : start - 1 + CALL_LINES_MAX]:
        parts.append(line.strip())
        depth += line.count("(") + line.count("[") - line.count(")") - line.count("]")
        if depth <= 0:
            break
    return " ".join(parts)


def methods_of(text: str) -> list[str]:
    listed = _METHODS_ARG().search(text)
    if listed is None:
        return []
    names = re.findall(r"['\"](\w+)['\"]", listed.group(1))
    return [name.upper() for name in names if name.upper() in HTTP_METHODS]
