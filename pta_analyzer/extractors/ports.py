"""Ports an application binds, as its own code and configuration state them.

Covers listen/bind calls and the constants and environment fallbacks they
use (JavaScript/TypeScript, Python sockets and aiohttp, Go servers, Rust
binds), configuration files (Node config modules, Spring
``application*.properties``/``.yml``, Puma, Phoenix, .NET launch settings)
and ``php -S`` in scripts. Each fact's ``attrs`` say how the port is used:
``role`` is ``bind`` (a listen in code), ``default`` (the fallback when an
environment variable is unset; ``env`` names the variable) or ``config``
(a configuration file); ``profile`` names the NODE_ENV, Spring profile or
Mix environment the value belongs to. Ports of a test profile are tagged
``Scope.TEST``. Dockerfiles, compose, Procfiles, manifests' scripts, READMEs,
env files and Flask/uvicorn/gunicorn calls are other extractors' work.
"""

import functools
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._ports_langs import (
    CLIENT_NAME,
    PROFILE_KEYS,
    Found,
    code_matches,
    scan_elixir_config,
    scan_go,
    scan_launch_settings,
    scan_php_server,
    scan_puma,
    scan_rust,
    scan_spring_properties,
    scan_spring_yaml,
)
from pta_analyzer.extractors._textlines import lines_with
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.needles import register
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

PORT_MIN = 1
PORT_MAX = 65535

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"})
CONFIG_DIRS = frozenset({"config", "configs", "conf", "configuration", "settings"})
CONFIG_STEMS = frozenset({"config", "configuration", "settings", "env", "vars"})

# Configuration of tools (bundlers, test runners) whose ``port`` is not the
# application's: a Karma runner port is a test port, a dev server another's.
_TOOL_CONFIG = regex(
    r"^(?:webpack|vite|vitest|rollup|karma|jest|babel|eslint|prettier|tailwind|"
    r"postcss|next|nuxt|svelte|astro|playwright|cypress|wdio|protractor|"
    r"tsconfig|jsconfig|angular|vue|gatsby|remix|metro|nodemon|pm2|ecosystem)"
    r"[.\-]",
    re.IGNORECASE,
)
_PORT_WORD = regex(r"(?:^|_)PORT(?:_|$)")

_JS_ENV_DEFAULT = regex(
    r"process\.env(?:\.(\w+)|\[\s*['\"](\w+)['\"]\s*\])\s*(?:,\s*10\s*)?\)?\s*"
    r"(?:\|\||\?\?)\s*['\"]?(\d{1,5})\b"
)
_JS_LISTEN_NUMBER = regex(r"\.listen\(\s*['\"]?(\d{1,5})\b")
_JS_LISTEN_IDENT = regex(r"\.listen\(\s*([A-Za-z_$][\w$]*)\s*[,)]")
_JS_CONFIG_PORT = regex(
    r"""^\s*['"]?port['"]?\s*:\s*(?:process\.env\.(\w+)\s*(?:\|\||\?\?)\s*)?"""
    r"""['"]?(\d{1,5})\b"""
)
_JS_PORT_CONST = regex(
    r"^\s*(?:export\s+)?(?:const|let|var)\s+(\w*(?:port|Port|PORT))\s*"
    r"(?::\s*\w+\s*)?=\s*['\"]?(\d{1,5})\b"
)
_JS_KEY_BEFORE_BRACE = regex(r"""(?:['"]?([\w$-]+)['"]?)\s*[:=]\s*$""")
_BRACE = regex(r"[{}]")

_PY_BIND_TUPLE = regex(
    r"(?:\.bind|HTTPServer|TCPServer|UDPServer|WSGIServer)\(\s*\(\s*"
    r"['\"][^'\"]*['\"]\s*,\s*([A-Za-z_]\w*|\d{1,5})\s*\)"
)
_PY_MAKE_SERVER = regex(
    r"make_server\(\s*['\"][^'\"]*['\"]\s*,\s*([A-Za-z_]\w*|\d{1,5})\s*,"
)
_PY_RUN_APP = regex(r"run_app\([^)]*\bport\s*=\s*(\d{1,5})\b")
_PY_ENV_DEFAULT = regex(
    r"(?:environ\.get|getenv)\(\s*['\"](\w+)['\"]\s*,\s*['\"]?(\d{1,5})\b"
)
_PY_SKIP_LINE = regex(r"\.run\(|uvicorn|gunicorn")

# The words each scanner needs a file to hold before it reads its lines.
_JS_PORT_WORDS = register("port", "PORT")
_CONFIG_PORT_WORDS = register("port", "Port", "PORT")
_PY_BIND_WORDS = register("bind(", "Server(")
register(".listen(", "process.env", "run_app", "make_server(")


_Scanner = Callable[[SourceText], Iterable[Found]]


def extract(index: RepoIndex) -> Iterator[Fact]:
    """PORT facts from application code and configuration files."""
    for path in index.paths():
        scanner = _scanner_for(path)
        if scanner is None:
            continue
        source = index.read(path)
        if source is None:
            continue
        try:
            found = list(scanner(source))
        except (ValueError, RecursionError) as error:
            logger.debug("ports not read", extra={"path": path, "error": str(error)})
            continue
        if found:
            yield from _facts(index, source, found)


def _scanner_for(path: str) -> _Scanner | None:
    name = path.rpartition("/")[2]
    if name.endswith(".py") and name != ".py":
        return _scan_python  # most paths: what the rules below give, sooner
    suffix = _suffix(name)
    code_scanner = _CODE_SCANNERS.get(suffix)
    if code_scanner is not None:
        return None if name.endswith(".d.ts") else code_scanner
    if name.startswith("application") and suffix == ".properties":
        return scan_spring_properties
    if name.startswith("application") and suffix in (".yml", ".yaml"):
        return scan_spring_yaml
    if name == "puma.rb":
        return scan_puma
    if name == "launchSettings.json":
        return scan_launch_settings
    if suffix == ".exs" and "config" in path.split("/"):
        return scan_elixir_config
    if suffix == ".json" and _is_config_module(path):
        return _scan_js_config_only
    if suffix in (".sh", ".bash") or name in ("composer.json", "Makefile"):
        return scan_php_server
    return None


def _code_scanners() -> dict[str, _Scanner]:
    scanners: dict[str, _Scanner] = dict.fromkeys(JS_SUFFIXES, _scan_js)
    scanners.update({".py": _scan_python, ".go": scan_go, ".rs": scan_rust})
    return scanners


def _suffix(name: str) -> str:
    """The lower-case extension of a file name (``.js``), or ``""``."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _facts(index: RepoIndex, source: SourceText, found: list[Found]) -> Iterator[Fact]:
    """Merge statements of the same port, role and profile; make facts."""
    if not found:
        return
    merged: dict[tuple[int, str, str, str], Found] = {}
    for item in found:
        if not PORT_MIN <= item.port <= PORT_MAX:
            continue
        key = (item.port, item.role, item.env, item.profile)
        if key in merged:
            merged[key].lines.extend(item.lines)
        else:
            merged[key] = item

    file_scope = index.scope(source.path)
    for item in merged.values():
        lines = _distinct_lines(source, item.lines)
        scope = file_scope
        if item.profile == "test" and scope is Scope.APP:
            scope = Scope.TEST
        attrs: dict[str, object] = {"role": item.role, **item.extra}
        if item.env:
            attrs["env"] = item.env
        if item.profile:
            attrs["profile"] = item.profile
        yield Fact(
            kind=FactKind.PORT,
            key=str(item.port),
            source=f"ports.{item.rule}",
            evidence=tuple(source.evidence(n) for n in lines),
            scope=scope,
            weight=item.weight,
            note=item.note,
            attrs=attrs,
        )


def _distinct_lines(source: SourceText, numbers: list[int]) -> list[int]:
    """Sorted line numbers, keeping one of each repeated identical statement."""
    kept: dict[str, int] = {}
    for number in sorted(set(numbers)):
        kept.setdefault(source.lines[number - 1].strip(), number)
    return sorted(kept.values())


# JavaScript / TypeScript


def _scan_js(source: SourceText) -> Iterable[Found]:
    if not source.holds(".listen(", *_JS_PORT_WORDS):
        return ()  # most files: asked once, without starting a generator
    return _js_ports(source)


def _js_ports(source: SourceText) -> Iterator[Found]:
    text = source.text
    has_listen = source.holds(".listen(")
    has_port = source.holds(*_JS_PORT_WORDS)
    if has_listen:
        yield from _js_listens(source, text)
    configured: set[int] = set()
    if has_port and _is_config_module(source.path):
        for found in _scan_js_config_only(source):
            configured.update(found.lines)
            yield found
    if has_port and source.holds("process.env"):
        for number, match in code_matches(
            source, text, _JS_ENV_DEFAULT(), ("process.env",)
        ):
            env = match.group(1) or match.group(2)
            if number not in configured and _is_listen_port_name(env):
                yield Found(int(match.group(3)), "default", [number], "js_env", env)


def _js_listens(source: SourceText, text: str) -> Iterator[Found]:
    listen = (".listen(",)
    for number, match in code_matches(source, text, _JS_LISTEN_NUMBER(), listen):
        yield Found(int(match.group(1)), "bind", [number], "js_listen")

    for number, match in code_matches(source, text, _JS_LISTEN_IDENT(), listen):
        name = match.group(1)
        if not re.fullmatch(r"(?i)\w*port\w*", name):
            continue
        definition = re.compile(
            rf"(?:const|let|var)\s+{re.escape(name)}\s*(?::\s*\w+\s*)?=\s*(.+)"
        )
        for line, found in code_matches(source, text, definition, (name,)):
            value = found.group(1)
            literal = re.match(r"['\"]?(\d{1,5})\b", value)
            if literal:
                yield Found(int(literal.group(1)), "bind", [line, number], "js_listen")
                continue
            env = _JS_ENV_DEFAULT().search(value)
            if env:
                variable = env.group(1) or env.group(2)
                yield Found(
                    int(env.group(3)), "default", [line, number], "js_env", variable
                )


def _scan_js_config_only(source: SourceText) -> Iterator[Found]:
    """``port: 7070`` in a configuration module, with its NODE_ENV block."""
    text = source.text
    if not source.holds(*_CONFIG_PORT_WORDS):
        return
    if _TOOL_CONFIG().match(PurePosixPath(source.path).name):
        return
    profile_of_file = PROFILE_KEYS.get(PurePosixPath(source.path).stem.lower(), "")
    port_words = ("port", "Port", "PORT")
    for number, constant in code_matches(source, text, _JS_PORT_CONST(), port_words):
        if CLIENT_NAME().search(constant.group(1)) is None:
            yield Found(
                int(constant.group(2)),
                "config",
                [number],
                "js_config",
                "",
                profile_of_file,
            )
    lines = source.lines
    candidates = [
        number
        for number in lines_with(text, ("port",))
        if _JS_CONFIG_PORT().match(lines[number - 1])
    ]
    for number, keys in _key_paths(text, candidates):
        match = _JS_CONFIG_PORT().match(lines[number - 1])
        if match is None or any(CLIENT_NAME().search(k) for k in keys):
            continue
        profile = profile_of_file
        for key in keys:
            profile = PROFILE_KEYS.get(key.lower(), profile)
        env = match.group(1) or ""
        if env and not _is_listen_port_name(env):
            continue
        role = "default" if env else "config"
        yield Found(int(match.group(2)), role, [number], "js_config", env, profile)


def _key_paths(text: str, numbers: list[int]) -> Iterator[tuple[int, list[str]]]:
    """Each of the sorted 1-based ``numbers`` with the object keys enclosing
    the start of that line of ``text``."""
    targets = iter(numbers)
    target = next(targets, None)
    stack: list[str] = []
    number = 1
    last = 0
    for brace in _BRACE().finditer(text):
        at = brace.start()
        number += text.count("\n", last, at)
        last = at
        while target is not None and target <= number:
            yield target, [k for k in stack if k]
            target = next(targets, None)
        if target is None:
            return
        if brace.group() == "{":
            line_start = text.rfind("\n", 0, at) + 1
            before = _JS_KEY_BEFORE_BRACE().search(text[line_start:at])
            stack.append(before.group(1) if before else "")
        elif stack:
            stack.pop()
    while target is not None:
        yield target, [k for k in stack if k]
        target = next(targets, None)


def _is_config_module(path: str) -> bool:
    parts = path.lower().split("/")
    name = parts[-1]
    if not CONFIG_DIRS.intersection(parts[:-1]) and (
        name.split(".")[0] not in CONFIG_STEMS
    ):
        return False
    # Asked last: most files are in no configuration folder, and for them the
    # tools' pattern is never compiled.
    return not (_TOOL_CONFIG().match(name) or name in ("package.json", "tsconfig.json"))


@functools.lru_cache(maxsize=1024)
def _is_listen_port_name(name: str) -> bool:
    """True for ``PORT``, ``APP_PORT``, ``HTTP_PORT``; not ``DB_PORT``."""
    upper = name.upper()
    if _PORT_WORD().search(upper) is None:
        return False
    return CLIENT_NAME().search(_PORT_WORD().sub("", upper)) is None


# Python


def _scan_python(source: SourceText) -> Iterable[Found]:
    if not source.holds(*_PY_BIND_WORDS, "run_app", "PORT"):
        return ()  # most files: asked once, without starting a generator
    return _python_ports(source)


def _python_ports(source: SourceText) -> Iterator[Found]:
    text = source.text
    has_bind = source.holds(*_PY_BIND_WORDS)
    has_run_app = source.holds("run_app")
    has_port = source.holds("PORT")

    if has_bind:
        binds = ("bind(", "Server(")
        for number, match in code_matches(source, text, _PY_BIND_TUPLE(), binds):
            yield from _python_port_value(source, text, match.group(1), number)
    if source.holds("make_server("):
        makes = ("make_server(",)
        for number, match in code_matches(source, text, _PY_MAKE_SERVER(), makes):
            yield from _python_port_value(source, text, match.group(1), number)
    if has_run_app:
        for number, match in code_matches(source, text, _PY_RUN_APP(), ("run_app(",)):
            yield Found(int(match.group(1)), "bind", [number], "py_bind")
    if has_port:
        env_words = ("environ.get(", "getenv(")
        for number, match in code_matches(source, text, _PY_ENV_DEFAULT(), env_words):
            name = match.group(1)
            line = match.string
            if _is_listen_port_name(name) and not _PY_SKIP_LINE().search(line):
                yield Found(int(match.group(2)), "default", [number], "py_env", name)


def _python_port_value(
    source: SourceText, text: str, value: str, number: int
) -> Iterator[Found]:
    if value.isdigit():
        yield Found(int(value), "bind", [number], "py_bind")
        return
    definition = re.compile(rf"^\s*{re.escape(value)}\s*(?::\s*int\s*)?=\s*(.+)")
    for line, found in code_matches(source, text, definition, (value,), number):
        rhs = found.group(1)
        literal = re.match(r"(\d{1,5})\b", rhs)
        if literal:
            yield Found(int(literal.group(1)), "bind", [line, number], "py_bind")
        env = _PY_ENV_DEFAULT().search(rhs)
        if env:
            yield Found(
                int(env.group(2)), "default", [line, number], "py_env", env.group(1)
            )


_CODE_SCANNERS = _code_scanners()  # by suffix; built once the scanners exist
