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
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pta_analyzer.extractors._textlines import lines_with
from pta_analyzer.facts import WEIGHT_CONVENTION, WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)

PORT_MIN = 1
PORT_MAX = 65535

JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".mts", ".cts"})
CONFIG_DIRS = frozenset({"config", "configs", "conf", "configuration", "settings"})
CONFIG_STEMS = frozenset({"config", "configuration", "settings", "env", "vars"})

# Configuration of tools (bundlers, test runners) whose ``port`` is not the
# application's: a Karma runner port is a test port, a dev server another's.
_TOOL_CONFIG = re.compile(
    r"^(?:webpack|vite|vitest|rollup|karma|jest|babel|eslint|prettier|tailwind|"
    r"postcss|next|nuxt|svelte|astro|playwright|cypress|wdio|protractor|"
    r"tsconfig|jsconfig|angular|vue|gatsby|remix|metro|nodemon|pm2|ecosystem)"
    r"[.\-]",
    re.IGNORECASE,
)
# Names of backing services: a port under these keys, or in a variable named
# for them, is where the application connects, not where it listens.
_CLIENT_NAME = re.compile(
    r"(?i)(?:db|database|redis|mongo|postgres|pg|mysql|maria|sql|smtp|mail|"
    r"email|rabbit|amqp|elastic|memcache|cache|kafka|nats|ldap|proxy|mq|queue|"
    r"broker|sentry|statsd|influx|cassandra|neo4j|couch|minio|s3|ftp|ssh|"
    r"sequelize|knex|typeorm|prisma|connection|upstream|target|remote|client)"
)
_PORT_WORD = re.compile(r"(?:^|_)PORT(?:_|$)")
_COMMENT_MARKS = ("//", "#", "*", "/*", "--")
_PROFILE_KEYS = {
    "production": "production",
    "prod": "production",
    "development": "development",
    "dev": "development",
    "staging": "staging",
    "test": "test",
    "testing": "test",
}

_JS_ENV_DEFAULT = re.compile(
    r"process\.env(?:\.(\w+)|\[\s*['\"](\w+)['\"]\s*\])\s*(?:,\s*10\s*)?\)?\s*"
    r"(?:\|\||\?\?)\s*['\"]?(\d{1,5})\b"
)
_JS_LISTEN_NUMBER = re.compile(r"\.listen\(\s*['\"]?(\d{1,5})\b")
_JS_LISTEN_IDENT = re.compile(r"\.listen\(\s*([A-Za-z_$][\w$]*)\s*[,)]")
_JS_CONFIG_PORT = re.compile(
    r"""^\s*['"]?port['"]?\s*:\s*(?:process\.env\.(\w+)\s*(?:\|\||\?\?)\s*)?"""
    r"""['"]?(\d{1,5})\b"""
)
_JS_PORT_CONST = re.compile(
    r"^\s*(?:export\s+)?(?:const|let|var)\s+(\w*(?:port|Port|PORT))\s*"
    r"(?::\s*\w+\s*)?=\s*['\"]?(\d{1,5})\b"
)
_JS_KEY_BEFORE_BRACE = re.compile(r"""(?:['"]?([\w$-]+)['"]?)\s*[:=]\s*$""")
_BRACE = re.compile(r"[{}]")

_PY_BIND_TUPLE = re.compile(
    r"(?:\.bind|HTTPServer|TCPServer|UDPServer|WSGIServer)\(\s*\(\s*"
    r"['\"][^'\"]*['\"]\s*,\s*([A-Za-z_]\w*|\d{1,5})\s*\)"
)
_PY_MAKE_SERVER = re.compile(
    r"make_server\(\s*['\"][^'\"]*['\"]\s*,\s*([A-Za-z_]\w*|\d{1,5})\s*,"
)
_PY_RUN_APP = re.compile(r"run_app\([^)]*\bport\s*=\s*(\d{1,5})\b")
_PY_ENV_DEFAULT = re.compile(
    r"(?:environ\.get|getenv)\(\s*['\"](\w+)['\"]\s*,\s*['\"]?(\d{1,5})\b"
)
_PY_SKIP_LINE = re.compile(r"\.run\(|uvicorn|gunicorn")

_GO_LISTEN = re.compile(
    r"\.(?:ListenAndServe|ListenAndServeTLS|Start|StartTLS|Run|RunTLS|Listen)"
    r"\(\s*\"[\w.\-\[\]]*:(\d{1,5})\""
)
_GO_NET_LISTEN = re.compile(
    r"Listen\(\s*\"(?:tcp|udp)[46]?\"\s*,\s*\"[^\"]*:(\d{1,5})\""
)
_GO_ADDR_FIELD = re.compile(r"\bAddr\s*:\s*\"[\w.\-\[\]]*:(\d{1,5})\"")
_GO_ADDR_CONST = re.compile(
    r"\b(\w*(?:[Aa]ddr|[Aa]ddress|[Pp]ort)\w*)\s*:?=\s*\"(?:0\.0\.0\.0|localhost|"
    r"127\.0\.0\.1|\[::\])?:(\d{1,5})\""
)
_GO_FLAG = re.compile(
    r"flag\.(?:Int|Uint|String)(?:Var\([^,]+,)?\(?\s*\"(\w*(?:port|addr)\w*)\"\s*,"
    r"\s*\"?(?:[\w.\-\[\]]*:)?(\d{1,5})\"?\s*,",
    re.IGNORECASE,
)
_GO_PORT_DEFAULT = re.compile(r"\b\w*[Pp]ort\s*:?=\s*\"(\d{1,5})\"")
_GO_SERVER_CALL = re.compile(r"ListenAndServe|\.Start\(|\.Run\(|Listen\(|Addr\s*:")
_GO_ENV_ADDR = re.compile(r"Getenv\(\s*\"(\w*(?:ADDR|ADDRESS|PORT)\w*)\"\s*\)")

_SPRING_PROPERTY = re.compile(
    r"^\s*server\.port\s*[=:]\s*(?:\$\{(\w+):(\d{1,5})\}|(\d{1,5}))\s*$"
)
_SPRING_PLACEHOLDER = re.compile(r"^\$\{(\w+):(\d{1,5})\}$")

_PUMA_PORT = re.compile(
    r"^\s*port\s*\(?\s*(?:ENV\.fetch\(\s*['\"](\w+)['\"]\s*"
    r"(?:\)\s*\{\s*(\d{1,5})\s*\}|,\s*(\d{1,5})\s*\))|(\d{1,5}))"
)
_PUMA_BIND = re.compile(r"^\s*bind\s+['\"]tcp://[^'\"]*:(\d{1,5})['\"]")

_RUST_BIND = re.compile(
    r"bind\(\s*(?:&?\s*\"[^\"]*:(\d{1,5})\"|\(\s*\"[^\"]*\"\s*,\s*(\d{1,5})\s*\))"
)
_RUST_SOCKET_ADDR = re.compile(
    r"SocketAddr(?:V4)?::(?:from|new)\(\s*\(?\s*\[[\d,\s]+\]\s*,\s*(\d{1,5})\s*\)"
)

_PHP_SERVER = re.compile(r"\bphp\s+(?:-\w+\s+\S+\s+)*-S\s+[\w.\-\[\]]*:(\d{1,5})\b")
_LAUNCH_URL = re.compile(r"\"applicationUrl\"\s*:\s*\"([^\"]*)\"")
_URL_PORT = re.compile(r"https?://[^:/;\"]+:(\d{1,5})")
_ELIXIR_HTTP = re.compile(r"\b(?:http|https)\s*:\s*\[[^\]]*\bport\s*:\s*(.+)")
_ELIXIR_ENV_PORT = re.compile(
    r"System\.get_env\(\s*\"(\w+)\"\s*\)\s*\|\|\s*\"?(\d{1,5})\b"
    r"|System\.get_env\(\s*\"(\w+)\"\s*,\s*\"(\d{1,5})\"\s*\)"
)
_ELIXIR_NUMBER = re.compile(r"^\s*(\d{1,5})\b")


@dataclass
class _Found:
    """One port statement in one file, before it becomes a fact."""

    port: int
    role: str
    lines: list[int]
    rule: str
    env: str = ""
    profile: str = ""
    weight: int = WEIGHT_MANIFEST
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)


_Scanner = Callable[[SourceText], Iterable[_Found]]


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
    suffix = _suffix(name)
    code_scanner = _CODE_SCANNERS.get(suffix)
    if code_scanner is not None:
        return None if name.endswith(".d.ts") else code_scanner
    if name.startswith("application") and suffix == ".properties":
        return _scan_spring_properties
    if name.startswith("application") and suffix in (".yml", ".yaml"):
        return _scan_spring_yaml
    if name == "puma.rb":
        return _scan_puma
    if name == "launchSettings.json":
        return _scan_launch_settings
    if suffix == ".exs" and "config" in path.split("/"):
        return _scan_elixir_config
    if suffix == ".json" and _is_config_module(path):
        return _scan_js_config_only
    if suffix in (".sh", ".bash") or name in ("composer.json", "Makefile"):
        return _scan_php_server
    return None


def _code_scanners() -> dict[str, _Scanner]:
    scanners: dict[str, _Scanner] = dict.fromkeys(JS_SUFFIXES, _scan_js)
    scanners.update({".py": _scan_python, ".go": _scan_go, ".rs": _scan_rust})
    return scanners


def _suffix(name: str) -> str:
    """The lower-case extension of a file name (``.js``), or ``""``."""
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _facts(index: RepoIndex, source: SourceText, found: list[_Found]) -> Iterator[Fact]:
    """Merge statements of the same port, role and profile; make facts."""
    if not found:
        return
    merged: dict[tuple[int, str, str, str], _Found] = {}
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


def _code_matches(
    source: SourceText,
    text: str,
    pattern: "re.Pattern[str]",
    words: tuple[str, ...],
    end: int | None = None,
) -> Iterator[tuple[int, "re.Match[str]"]]:
    """``find_lines`` without comment lines (``//``, ``#``, ``*``, ``/*``).

    Every match of ``pattern`` holds one of ``words``, so only the lines of
    ``text`` (the source's text) holding one are searched; an empty
    ``words`` searches every line.
    """
    lines = source.lines
    numbers = lines_with(text, words) if words else range(1, len(lines) + 1)
    for number in numbers:
        if end is not None and number > end:
            return
        match = pattern.search(lines[number - 1])
        if match and not lines[number - 1].lstrip().startswith(_COMMENT_MARKS):
            yield number, match


def _distinct_lines(source: SourceText, numbers: list[int]) -> list[int]:
    """Sorted line numbers, keeping one of each repeated identical statement."""
    kept: dict[str, int] = {}
    for number in sorted(set(numbers)):
        kept.setdefault(source.lines[number - 1].strip(), number)
    return sorted(kept.values())


# JavaScript / TypeScript


def _scan_js(source: SourceText) -> Iterator[_Found]:
    text = source.text
    has_listen = ".listen(" in text
    has_port = "port" in text or "PORT" in text
    if not has_listen and not has_port:
        return

    if has_listen:
        yield from _js_listens(source, text)
    configured: set[int] = set()
    if has_port and _is_config_module(source.path):
        for found in _scan_js_config_only(source):
            configured.update(found.lines)
            yield found
    if has_port and "process.env" in text:
        for number, match in _code_matches(
            source, text, _JS_ENV_DEFAULT, ("process.env",)
        ):
            env = match.group(1) or match.group(2)
            if number not in configured and _is_listen_port_name(env):
                yield _Found(int(match.group(3)), "default", [number], "js_env", env)


def _js_listens(source: SourceText, text: str) -> Iterator[_Found]:
    listen = (".listen(",)
    for number, match in _code_matches(source, text, _JS_LISTEN_NUMBER, listen):
        yield _Found(int(match.group(1)), "bind", [number], "js_listen")

    for number, match in _code_matches(source, text, _JS_LISTEN_IDENT, listen):
        name = match.group(1)
        if not re.fullmatch(r"(?i)\w*port\w*", name):
            continue
        definition = re.compile(
            rf"(?:const|let|var)\s+{re.escape(name)}\s*(?::\s*\w+\s*)?=\s*(.+)"
        )
        for line, found in _code_matches(source, text, definition, (name,)):
            value = found.group(1)
            literal = re.match(r"['\"]?(\d{1,5})\b", value)
            if literal:
                yield _Found(int(literal.group(1)), "bind", [line, number], "js_listen")
                continue
            env = _JS_ENV_DEFAULT.search(value)
            if env:
                variable = env.group(1) or env.group(2)
                yield _Found(
                    int(env.group(3)), "default", [line, number], "js_env", variable
                )


def _scan_js_config_only(source: SourceText) -> Iterator[_Found]:
    """``port: 7070`` in a configuration module, with its NODE_ENV block."""
    text = source.text
    if "port" not in text and "PORT" not in text and "Port" not in text:
        return
    if _TOOL_CONFIG.match(PurePosixPath(source.path).name):
        return
    profile_of_file = _PROFILE_KEYS.get(PurePosixPath(source.path).stem.lower(), "")
    port_words = ("port", "Port", "PORT")
    for number, constant in _code_matches(source, text, _JS_PORT_CONST, port_words):
        if _CLIENT_NAME.search(constant.group(1)) is None:
            yield _Found(
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
        if _JS_CONFIG_PORT.match(lines[number - 1])
    ]
    for number, keys in _key_paths(text, candidates):
        match = _JS_CONFIG_PORT.match(lines[number - 1])
        if match is None or any(_CLIENT_NAME.search(k) for k in keys):
            continue
        profile = profile_of_file
        for key in keys:
            profile = _PROFILE_KEYS.get(key.lower(), profile)
        env = match.group(1) or ""
        if env and not _is_listen_port_name(env):
            continue
        role = "default" if env else "config"
        yield _Found(int(match.group(2)), role, [number], "js_config", env, profile)


def _key_paths(text: str, numbers: list[int]) -> Iterator[tuple[int, list[str]]]:
    """Each of the sorted 1-based ``numbers`` with the object keys enclosing
    the start of that line of ``text``."""
    targets = iter(numbers)
    target = next(targets, None)
    stack: list[str] = []
    number = 1
    last = 0
    for brace in _BRACE.finditer(text):
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
            before = _JS_KEY_BEFORE_BRACE.search(text[line_start:at])
            stack.append(before.group(1) if before else "")
        elif stack:
            stack.pop()
    while target is not None:
        yield target, [k for k in stack if k]
        target = next(targets, None)


def _is_config_module(path: str) -> bool:
    parts = path.lower().split("/")
    name = parts[-1]
    if _TOOL_CONFIG.match(name) or name in ("package.json", "tsconfig.json"):
        return False
    return bool(CONFIG_DIRS.intersection(parts[:-1])) or (
        name.split(".")[0] in CONFIG_STEMS
    )


@functools.lru_cache(maxsize=1024)
def _is_listen_port_name(name: str) -> bool:
    """True for ``PORT``, ``APP_PORT``, ``HTTP_PORT``; not ``DB_PORT``."""
    upper = name.upper()
    if _PORT_WORD.search(upper) is None:
        return False
    return _CLIENT_NAME.search(_PORT_WORD.sub("", upper)) is None


# Python


def _scan_python(source: SourceText) -> Iterator[_Found]:
    text = source.text
    has_bind = "bind(" in text or "Server(" in text
    has_run_app = "run_app" in text
    has_port = "PORT" in text
    if not (has_bind or has_run_app or has_port):
        return

    if has_bind:
        binds = ("bind(", "Server(")
        for number, match in _code_matches(source, text, _PY_BIND_TUPLE, binds):
            yield from _python_port_value(source, text, match.group(1), number)
    if "make_server(" in text:
        makes = ("make_server(",)
        for number, match in _code_matches(source, text, _PY_MAKE_SERVER, makes):
            yield from _python_port_value(source, text, match.group(1), number)
    if has_run_app:
        for number, match in _code_matches(source, text, _PY_RUN_APP, ("run_app(",)):
            yield _Found(int(match.group(1)), "bind", [number], "py_bind")
    if has_port:
        env_words = ("environ.get(", "getenv(")
        for number, match in _code_matches(source, text, _PY_ENV_DEFAULT, env_words):
            name = match.group(1)
            line = source.lines[number - 1]
            if _is_listen_port_name(name) and not _PY_SKIP_LINE.search(line):
                yield _Found(int(match.group(2)), "default", [number], "py_env", name)


def _python_port_value(
    source: SourceText, text: str, value: str, number: int
) -> Iterator[_Found]:
    if value.isdigit():
        yield _Found(int(value), "bind", [number], "py_bind")
        return
    definition = re.compile(rf"^\s*{re.escape(value)}\s*(?::\s*int\s*)?=\s*(.+)")
    for line, found in _code_matches(source, text, definition, (value,), number):
        rhs = found.group(1)
        literal = re.match(r"(\d{1,5})\b", rhs)
        if literal:
            yield _Found(int(literal.group(1)), "bind", [line, number], "py_bind")
        env = _PY_ENV_DEFAULT.search(rhs)
        if env:
            yield _Found(
                int(env.group(2)), "default", [line, number], "py_env", env.group(1)
            )


# Go


def _scan_go(source: SourceText) -> Iterator[_Found]:
    text = source.text
    if '":' not in text and "flag." not in text:
        return

    if any(word in text for word in ("Listen", ".Start", ".Run", "Addr")):
        for pattern, words in (
            (_GO_LISTEN, (".ListenAndServe", ".Start", ".Run", ".Listen")),
            (_GO_NET_LISTEN, ("Listen(",)),
            (_GO_ADDR_FIELD, ("Addr",)),
        ):
            for number, match in _code_matches(source, text, pattern, words):
                yield _Found(int(match.group(1)), "bind", [number], "go_listen")

    if "flag." in text:
        for number, match in _code_matches(source, text, _GO_FLAG, ()):
            if _CLIENT_NAME.search(match.group(1)) is None:
                yield _Found(int(match.group(2)), "default", [number], "go_flag")

    if _GO_SERVER_CALL.search(text) is None:
        return
    env_lines = {
        match.group(1): number
        for number, match in _code_matches(source, text, _GO_ENV_ADDR, ("Getenv(",))
        if _CLIENT_NAME.search(match.group(1)) is None
    }
    env, env_line = next(iter(env_lines.items())) if len(env_lines) == 1 else ("", 0)
    if env and "PORT" in env:
        port_words = ("port", "Port")
        for number, match in _code_matches(source, text, _GO_PORT_DEFAULT, port_words):
            yield _Found(
                int(match.group(1)),
                "default",
                [number, env_line],
                "go_port",
                env,
                note="fallback when the port variable is empty",
            )
    addr_words = ("addr", "Addr", "port", "Port")
    for number, match in _code_matches(source, text, _GO_ADDR_CONST, addr_words):
        name = match.group(1)
        if _CLIENT_NAME.search(name) or "Addr:" in source.lines[number - 1]:
            continue
        yield _Found(
            int(match.group(2)),
            "default",
            [number, env_line] if env else [number],
            "go_addr",
            env,
            weight=WEIGHT_CONVENTION,
            note="address constant in a file that starts a server",
        )


# Rust


def _scan_rust(source: SourceText) -> Iterator[_Found]:
    text = source.text
    if "bind" in text:
        for number, match in _code_matches(source, text, _RUST_BIND, ("bind(",)):
            port = match.group(1) or match.group(2)
            yield _Found(int(port), "bind", [number], "rust_bind")
    if "SocketAddr" in text:
        socket = ("SocketAddr",)
        for number, match in _code_matches(source, text, _RUST_SOCKET_ADDR, socket):
            yield _Found(int(match.group(1)), "bind", [number], "rust_bind")


# Configuration files


def _scan_spring_properties(source: SourceText) -> Iterator[_Found]:
    if "server.port" not in source.text:
        return
    profile = _spring_profile(source.path)
    for number, match in source.find_lines(_SPRING_PROPERTY):
        if match.group(1):
            yield _Found(
                int(match.group(2)),
                "config",
                [number],
                "spring",
                match.group(1),
                profile,
            )
        else:
            yield _Found(int(match.group(3)), "config", [number], "spring", "", profile)


def _scan_spring_yaml(source: SourceText) -> Iterator[_Found]:
    if "port" not in source.text:
        return
    for document in load_yaml(source):
        node = _yaml_path(document, "server", "port") or document.get("server.port")
        if node is None:
            continue
        value = node.text() or ""
        profile = _spring_profile(source.path) or _yaml_profile(document)
        placeholder = _SPRING_PLACEHOLDER.match(value)
        if placeholder:
            yield _Found(
                int(placeholder.group(2)),
                "config",
                [node.line],
                "spring",
                placeholder.group(1),
                profile,
            )
        elif value.isdigit():
            yield _Found(int(value), "config", [node.line], "spring", "", profile)


def _yaml_path(node: YNode, *keys: str) -> YNode | None:
    current: YNode | None = node
    for key in keys:
        current = current.get(key) if current is not None else None
    return current


def _yaml_profile(document: YNode) -> str:
    on_profile = _yaml_path(document, "spring", "config", "activate", "on-profile")
    node = on_profile or _yaml_path(document, "spring", "profiles")
    text = node.text() if node is not None else None
    return _normal_profile(text) if text else ""


def _spring_profile(path: str) -> str:
    stem = PurePosixPath(path).stem
    return _normal_profile(stem.partition("-")[2]) if "-" in stem else ""


def _normal_profile(name: str) -> str:
    return _PROFILE_KEYS.get(name.lower(), name)


def _scan_puma(source: SourceText) -> Iterator[_Found]:
    for number, match in source.find_lines(_PUMA_PORT):
        env = match.group(1) or ""
        port = match.group(2) or match.group(3) or match.group(4)
        if port:
            role = "default" if env else "config"
            yield _Found(int(port), role, [number], "puma", env)
    for number, match in source.find_lines(_PUMA_BIND):
        yield _Found(int(match.group(1)), "config", [number], "puma")


def _scan_launch_settings(source: SourceText) -> Iterator[_Found]:
    for number, match in source.find_lines(_LAUNCH_URL):
        for url in _URL_PORT.finditer(match.group(1)):
            yield _Found(int(url.group(1)), "config", [number], "dotnet_launch")


def _scan_elixir_config(source: SourceText) -> Iterator[_Found]:
    if "port" not in source.text:
        return
    profile = _PROFILE_KEYS.get(PurePosixPath(source.path).stem.lower(), "")
    for number, match in source.find_lines(_ELIXIR_HTTP):
        value = match.group(1)
        env = _ELIXIR_ENV_PORT.search(value)
        if env:
            name = env.group(1) or env.group(3)
            port = env.group(2) or env.group(4)
            yield _Found(int(port), "default", [number], "phoenix", name, profile)
            continue
        literal = _ELIXIR_NUMBER.match(value)
        if literal:
            yield _Found(
                int(literal.group(1)), "config", [number], "phoenix", "", profile
            )


def _scan_php_server(source: SourceText) -> Iterator[_Found]:
    if "-S" not in source.text or "php" not in source.text:
        return
    for number, match in source.find_lines(_PHP_SERVER):
        yield _Found(int(match.group(1)), "bind", [number], "php_server")


_CODE_SCANNERS = _code_scanners()  # by suffix; built once the scanners exist
