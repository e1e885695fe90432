"""The routes a Rails ``config/routes.rb`` declares, by reading its DSL.

A line-oriented reader, not a Ruby interpreter: it follows ``scope``,
``namespace``, ``resources``/``resource`` (with ``only``/``except``,
``param`` and ``path``), nested blocks, ``member``/``collection``, verb
routes (``get 'x' => 'c#a'``, ``get :feed, on: :collection``) and ``root``.

Limitation: ``devise_for``, ``concern``/``concerns``, ``draw`` of other
files, routes built in loops and ``constraints`` lambdas are not expanded;
their lines are skipped rather than guessed.
"""

import re
from collections.abc import Generator, Iterator, Sequence
from typing import NamedTuple

from pta_analyzer.deferred import regex

RailsRoute = tuple[str, str, int, str]  # method, path, 1-based line, handler

PLURAL_ACTIONS = (
    ("index", "GET", ""),
    ("create", "POST", ""),
    ("new", "GET", "/new"),
    ("edit", "GET", "/{id}/edit"),
    ("show", "GET", "/{id}"),
    ("update", "PATCH", "/{id}"),
    ("update", "PUT", "/{id}"),
    ("destroy", "DELETE", "/{id}"),
)
SINGULAR_ACTIONS = (
    ("create", "POST", ""),
    ("new", "GET", "/new"),
    ("edit", "GET", "/edit"),
    ("show", "GET", ""),
    ("update", "PATCH", ""),
    ("update", "PUT", ""),
    ("destroy", "DELETE", ""),
)

_BLOCK_START = regex(r"\bdo(?:\s*\|[^|]*\|)?\s*$")
_SCOPE = regex(
    r"^scope\s*\(?\s*(?::(\w+)|['\"]([^'\"]*)['\"]|path:\s*['\"]([^'\"]*)['\"])?"
)
_NAMESPACE = regex(r"^namespace\s*\(?\s*(?::(\w+)|['\"]([^'\"]*)['\"])")
_RESOURCES = regex(r"^(resources|resource)\s*\(?\s*((?::\w+\s*,?\s*)+)(.*)")
_VERB = regex(
    r"^(get|post|put|patch|delete|match)\s*\(?\s*(?:['\"]([^'\"]*)['\"]|:(\w+))(.*)"
)
_ROOT = regex(r"^root\b(.*)")
_ACTION_LIST = r"(\[[^\]]*\]|%i\[[^\]]*\]|:\w+)"
_ONLY = regex(rf"(?::only\s*=>|\bonly:)\s*{_ACTION_LIST}")
_EXCEPT = regex(rf"(?::except\s*=>|\bexcept:)\s*{_ACTION_LIST}")
_PARAM = regex(r"(?::param\s*=>|\bparam:)\s*:(\w+)")
_PATH_OPTION = regex(r"(?::path\s*=>|\bpath:)\s*['\"]([^'\"]*)['\"]")
_ON = regex(r"(?::on\s*=>|\bon:)\s*:(member|collection)")
_TARGET = regex(r"(?:=>|\bto:)\s*['\"]([\w/]+#\w+)['\"]")
_VIA = regex(rf"(?::via\s*=>|\bvia:)\s*{_ACTION_LIST}")


class _Frame(NamedTuple):
    """What a ``do`` block adds to the routes inside it."""

    prefix: str  # routes declared directly in the block (nested resources)
    member: str = ""  # ``member do`` / ``on: :member`` routes
    collection: str = ""  # ``collection do`` / ``on: :collection`` routes
    controller: str = ""


def rails_routes(lines: Sequence[str]) -> Iterator[RailsRoute]:
    """Every route of a routes.rb, as ``(method, path, line, handler)``."""
    stack: list[_Frame] = [_Frame("")]
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line == "end" or line.startswith("end ") or line == "}":
            if len(stack) > 1:
                stack.pop()
            continue
        frame = stack[-1]
        opens = _BLOCK_START().search(line) is not None
        new_frame = yield from _statement(line, number, frame)
        if opens:
            stack.append(new_frame or frame)


def _statement(
    line: str, number: int, frame: _Frame
) -> Generator[RailsRoute, None, _Frame | None]:
    """Routes of one line; returns the frame of the block the line opens."""
    resources = _RESOURCES().match(line)
    if resources:
        return (yield from _resources(resources, number, frame))

    scope = _SCOPE().match(line)
    if scope:
        path = next((g for g in scope.groups() if g), "")
        return _Frame(_join(frame.prefix, path))
    namespace = _NAMESPACE().match(line)
    if namespace:
        path = namespace.group(1) or namespace.group(2)
        return _Frame(_join(frame.prefix, path))
    if re.match(r"^member\b", line):
        return _Frame(frame.member or frame.prefix, controller=frame.controller)
    if re.match(r"^collection\b", line):
        return _Frame(frame.collection or frame.prefix, controller=frame.controller)

    verb = _VERB().match(line)
    if verb:
        yield from _verb(verb, number, frame)
        return None
    root = _ROOT().match(line)
    if root:
        target = _TARGET().search(line) or re.search(r"['\"]([\w/]+#\w+)['\"]", line)
        yield (
            "GET",
            _join(frame.prefix, "/"),
            number,
            target.group(1) if target else "",
        )
    return None


def _resources(
    match: "re.Match[str]", number: int, frame: _Frame
) -> Generator[RailsRoute, None, _Frame]:
    kind, names_text, options = match.groups()
    names = re.findall(r":(\w+)", names_text)
    singular = kind == "resource"
    param = _PARAM().search(options)
    param_name = param.group(1) if param else "id"
    actions = _allowed(options, PLURAL_ACTIONS if not singular else SINGULAR_ACTIONS)
    custom_path = _PATH_OPTION().search(options)

    last = _Frame(frame.prefix)
    for name in names:
        segment = custom_path.group(1) if custom_path else name
        base = _join(frame.prefix, segment)
        controller = _plural(name) if singular else name
        for action, method, tail in actions:
            path = base + tail.replace("{id}", f":{param_name}")
            yield (method, path, number, f"{controller}#{action}")
        if singular:
            last = _Frame(base, base, base, controller)
        else:
            nested = f"{base}/:{_singular(name)}_{param_name}"
            last = _Frame(nested, f"{base}/:{param_name}", base, controller)
    return last


def _verb(match: "re.Match[str]", number: int, frame: _Frame) -> Iterator[RailsRoute]:
    verb, path, symbol, options = match.groups()
    target = _TARGET().search(options)
    on = _ON().search(options)
    prefix = frame.prefix
    if on:
        prefix = frame.member if on.group(1) == "member" else frame.collection
    handler = target.group(1) if target else ""
    if not handler and symbol and frame.controller:
        handler = f"{frame.controller}#{symbol}"
    full = _join(prefix, path if path is not None else symbol)
    methods = [verb.upper()]
    if verb == "match":
        via = _VIA().search(options)
        listed = re.findall(r"(\w+)", via.group(1)) if via else []
        methods = [m.upper() for m in listed if m != "i"] or ["ANY"]
        if "ALL" in methods:
            methods = ["ANY"]
    for method in methods:
        yield (method, full, number, handler)


def _allowed(
    options: str, actions: tuple[tuple[str, str, str], ...]
) -> list[tuple[str, str, str]]:
    only = _ONLY().search(options)
    excluded = _EXCEPT().search(options)
    if only:
        names = set(re.findall(r"(\w+)", only.group(1))) - {"i"}
        return [a for a in actions if a[0] in names]
    if excluded:
        names = set(re.findall(r"(\w+)", excluded.group(1))) - {"i"}
        return [a for a in actions if a[0] not in names]
    return list(actions)


def _join(prefix: str, path: str) -> str:
    joined = prefix.rstrip("/") + "/" + path.strip("/") if path.strip("/") else prefix
    return joined if joined.startswith("/") else "/" + joined


def _singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s") and not name.endswith("ss"):
        return name[:-1]
    return name


def _plural(name: str) -> str:
    if name.endswith("y") and not name.endswith(("ay", "ey", "oy", "uy")):
        return name[:-1] + "ies"
    return name if name.endswith("s") else name + "s"
