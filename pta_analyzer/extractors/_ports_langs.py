"""Port scanners for Go, Rust, Spring, Puma, .NET, Phoenix and ``php -S``.

Each scanner reads one file and yields ``Found`` port statements, which
``ports`` merges into facts. ``Found`` and ``code_matches`` are shared with
the JavaScript and Python scanners that live in ``ports`` itself.
"""

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._textlines import numbered_lines_with
from pta_analyzer.facts import WEIGHT_CONVENTION, WEIGHT_MANIFEST
from pta_analyzer.index import SourceText
from pta_analyzer.yamlmap import YNode, load_yaml

_COMMENT_MARKS = ("//", "#", "*", "/*", "--")
# Names of backing services: a port under these keys, or in a variable named
# for them, is where the application connects, not where it listens.
CLIENT_NAME = regex(
    r"(?i)(?:db|database|redis|mongo|postgres|pg|mysql|maria|sql|smtp|mail|"
    r"email|rabbit|amqp|elastic|memcache|cache|kafka|nats|ldap|proxy|mq|queue|"
    r"broker|sentry|statsd|influx|cassandra|neo4j|couch|minio|s3|ftp|ssh|"
    r"sequelize|knex|typeorm|prisma|connection|upstream|target|remote|client)"
)
PROFILE_KEYS = {
    "production": "production",
    "prod": "production",
    "development": "development",
    "dev": "development",
    "staging": "staging",
    "test": "test",
    "testing": "test",
}

_GO_LISTEN = regex(
    r"\.(?:ListenAndServe|ListenAndServeTLS|Start|StartTLS|Run|RunTLS|Listen)"
    r"\(\s*\"[\w.\-\[\]]*:(\d{1,5})\""
)
_GO_NET_LISTEN = regex(r"Listen\(\s*\"(?:tcp|udp)[46]?\"\s*,\s*\"[^\"]*:(\d{1,5})\"")
_GO_ADDR_FIELD = regex(r"\bAddr\s*:\s*\"[\w.\-\[\]]*:(\d{1,5})\"")
_GO_ADDR_CONST = regex(
    r"\b(\w*(?:[Aa]ddr|[Aa]ddress|[Pp]ort)\w*)\s*:?=\s*\"(?:0\.0\.0\.0|localhost|"
    r"127\.0\.0\.1|\[::\])?:(\d{1,5})\""
)
_GO_FLAG = regex(
    r"flag\.(?:Int|Uint|String)(?:Var\([^,]+,)?\(?\s*\"(\w*(?:port|addr)\w*)\"\s*,"
    r"\s*\"?(?:[\w.\-\[\]]*:)?(\d{1,5})\"?\s*,",
    re.IGNORECASE,
)
_GO_PORT_DEFAULT = regex(r"\b\w*[Pp]ort\s*:?=\s*\"(\d{1,5})\"")
_GO_SERVER_CALL = regex(r"ListenAndServe|\.Start\(|\.Run\(|Listen\(|Addr\s*:")
_GO_ENV_ADDR = regex(r"Getenv\(\s*\"(\w*(?:ADDR|ADDRESS|PORT)\w*)\"\s*\)")

_SPRING_PROPERTY = regex(
    r"^\s*server\.port\s*[=:]\s*(?:\$\{(\w+):(\d{1,5})\}|(\d{1,5}))\s*$"
)
_SPRING_PLACEHOLDER = regex(r"^\$\{(\w+):(\d{1,5})\}$")

_PUMA_PORT = regex(
    r"^\s*port\s*\(?\s*(?:ENV\.fetch\(\s*['\"](\w+)['\"]\s*"
    r"(?:\)\s*\{\s*(\d{1,5})\s*\}|,\s*(\d{1,5})\s*\))|(\d{1,5}))"
)
_PUMA_BIND = regex(r"^\s*bind\s+['\"]tcp://[^'\"]*:(\d{1,5})['\"]")

_RUST_BIND = regex(
    r"bind\(\s*(?:&?\s*\"[^\"]*:(\d{1,5})\"|\(\s*\"[^\"]*\"\s*,\s*(\d{1,5})\s*\))"
)
_RUST_SOCKET_ADDR = regex(
    r"SocketAddr(?:V4)?::(?:from|new)\(\s*\(?\s*\[[\d,\s]+\]\s*,\s*(\d{1,5})\s*\)"
)

_PHP_SERVER = regex(r"\bphp\s+(?:-\w+\s+\S+\s+)*-S\s+[\w.\-\[\]]*:(\d{1,5})\b")
_LAUNCH_URL = regex(r"\"applicationUrl\"\s*:\s*\"([^\"]*)\"")
_URL_PORT = regex(r"https?://[^:/;\"]+:(\d{1,5})")
_ELIXIR_HTTP = regex(r"\b(?:http|https)\s*:\s*\[[^\]]*\bport\s*:\s*(.+)")
_ELIXIR_ENV_PORT = regex(
    r"System\.get_env\(\s*\"(\w+)\"\s*\)\s*\|\|\s*\"?(\d{1,5})\b"
    r"|System\.get_env\(\s*\"(\w+)\"\s*,\s*\"(\d{1,5})\"\s*\)"
)
_ELIXIR_NUMBER = regex(r"^\s*(\d{1,5})\b")


@dataclass
class Found:
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


def code_matches(
    source: SourceText,
    text: str,
    pattern: "re.Pattern[str]",
    words: tuple[str, ...],
    end: int | None = None,
) -> Iterator[tuple[int, "re.Match[str]"]]:
    """``find_lines`` without comment lines (``//``, ``#``, ``*``, ``/*``).

    Every match of ``pattern`` holds one of ``words``, so only the lines of
    ``text`` (the source's text) holding one are searched (cut out of it, not
    split from it); an empty ``words`` searches every line. A match's
    ``string`` is its line.
    """
    numbered: Iterable[tuple[int, str]] = (
        numbered_lines_with(text, words) if words else enumerate(source.lines, 1)
    )
    for number, line in numbered:
        if end is not None and number > end:
            return
        match = pattern.search(line)
        if match and not line.lstrip().startswith(_COMMENT_MARKS):
            yield number, match


def scan_go(source: SourceText) -> Iterator[Found]:
    text = source.text
    if '":' not in text and "flag." not in text:
        return

    if any(word in text for word in ("Listen", ".Start", ".Run", "Addr")):
        for pattern, words in (
            (_GO_LISTEN(), (".ListenAndServe", ".Start", ".Run", ".Listen")),
            (_GO_NET_LISTEN(), ("Listen(",)),
            (_GO_ADDR_FIELD(), ("Addr",)),
        ):
            for number, match in code_matches(source, text, pattern, words):
                yield Found(int(match.group(1)), "bind", [number], "go_listen")

    if "flag." in text:
        for number, match in code_matches(source, text, _GO_FLAG(), ()):
            if CLIENT_NAME().search(match.group(1)) is None:
                yield Found(int(match.group(2)), "default", [number], "go_flag")

    if _GO_SERVER_CALL().search(text) is None:
        return
    env_lines = {
        match.group(1): number
        for number, match in code_matches(source, text, _GO_ENV_ADDR(), ("Getenv(",))
        if CLIENT_NAME().search(match.group(1)) is None
    }
    env, env_line = next(iter(env_lines.items())) if len(env_lines) == 1 else ("", 0)
    if env and "PORT" in env:
        port_words = ("port", "Port")
        for number, match in code_matches(source, text, _GO_PORT_DEFAULT(), port_words):
            yield Found(
                int(match.group(1)),
                "default",
                [number, env_line],
                "go_port",
                env,
                note="fallback when the port variable is empty",
            )
    addr_words = ("addr", "Addr", "port", "Port")
    for number, match in code_matches(source, text, _GO_ADDR_CONST(), addr_words):
        name = match.group(1)
        if CLIENT_NAME().search(name) or "Addr:" in match.string:
            continue
        yield Found(
            int(match.group(2)),
            "default",
            [number, env_line] if env else [number],
            "go_addr",
            env,
            weight=WEIGHT_CONVENTION,
            note="address constant in a file that starts a server",
        )


def scan_rust(source: SourceText) -> Iterator[Found]:
    text = source.text
    if "bind" in text:
        for number, match in code_matches(source, text, _RUST_BIND(), ("bind(",)):
            port = match.group(1) or match.group(2)
            yield Found(int(port), "bind", [number], "rust_bind")
    if "SocketAddr" in text:
        socket = ("SocketAddr",)
        for number, match in code_matches(source, text, _RUST_SOCKET_ADDR(), socket):
            yield Found(int(match.group(1)), "bind", [number], "rust_bind")


def scan_spring_properties(source: SourceText) -> Iterator[Found]:
    if "server.port" not in source.text:
        return
    profile = _spring_profile(source.path)
    for number, match in source.find_lines(_SPRING_PROPERTY()):
        if match.group(1):
            yield Found(
                int(match.group(2)),
                "config",
                [number],
                "spring",
                match.group(1),
                profile,
            )
        else:
            yield Found(int(match.group(3)), "config", [number], "spring", "", profile)


def scan_spring_yaml(source: SourceText) -> Iterator[Found]:
    if "port" not in source.text:
        return
    for document in load_yaml(source):
        node = _yaml_path(document, "server", "port") or document.get("server.port")
        if node is None:
            continue
        value = node.text() or ""
        profile = _spring_profile(source.path) or _yaml_profile(document)
        placeholder = _SPRING_PLACEHOLDER().match(value)
        if placeholder:
            yield Found(
                int(placeholder.group(2)),
                "config",
                [node.line],
                "spring",
                placeholder.group(1),
                profile,
            )
        elif value.isdigit():
            yield Found(int(value), "config", [node.line], "spring", "", profile)


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
    return PROFILE_KEYS.get(name.lower(), name)


def scan_puma(source: SourceText) -> Iterator[Found]:
    for number, match in source.find_lines(_PUMA_PORT()):
        env = match.group(1) or ""
        port = match.group(2) or match.group(3) or match.group(4)
        if port:
            role = "default" if env else "config"
            yield Found(int(port), role, [number], "puma", env)
    for number, match in source.find_lines(_PUMA_BIND()):
        yield Found(int(match.group(1)), "config", [number], "puma")


def scan_launch_settings(source: SourceText) -> Iterator[Found]:
    for number, match in source.find_lines(_LAUNCH_URL()):
        for url in _URL_PORT().finditer(match.group(1)):
            yield Found(int(url.group(1)), "config", [number], "dotnet_launch")


def scan_elixir_config(source: SourceText) -> Iterator[Found]:
    if "port" not in source.text:
        return
    profile = PROFILE_KEYS.get(PurePosixPath(source.path).stem.lower(), "")
    for number, match in source.find_lines(_ELIXIR_HTTP()):
        value = match.group(1)
        env = _ELIXIR_ENV_PORT().search(value)
        if env:
            name = env.group(1) or env.group(3)
            port = env.group(2) or env.group(4)
            yield Found(int(port), "default", [number], "phoenix", name, profile)
            continue
        literal = _ELIXIR_NUMBER().match(value)
        if literal:
            yield Found(
                int(literal.group(1)), "config", [number], "phoenix", "", profile
            )


def scan_php_server(source: SourceText) -> Iterator[Found]:
    if "-S" not in source.text or "php" not in source.text:
        return
    for number, match in source.find_lines(_PHP_SERVER()):
        yield Found(int(match.group(1)), "bind", [number], "php_server")
