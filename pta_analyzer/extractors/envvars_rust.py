"""Environment variables read by Rust code.

``env::var("X")`` and ``env::var_os("X")`` (required when unwrapped, optional
when a fallback follows), the compile-time ``env!`` / ``option_env!``, and
clap's ``#[arg(env = "X")]`` / ``.env("X")``.
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

# Every rule of ``scan`` needs one of these words in the file.
PRECHECK = register("env::var", "env!", "env =", ".env(")

_VAR = regex(rf"\benv::var(?:_os)?\(\s*{NAME_ARG}\s*\)")
_MACRO = regex(r"(?<![\w:])(?P<kind>option_env|env)!\(\s*\"(?P<name>\w+)\"")
_CLAP_ATTR = regex(
    r"#\[(?:arg|clap)\((?P<body>[^\]]*?\benv\s*=\s*\"(?P<name>\w+)\"[^\]]*)\)\]"
)
_CLAP_BUILDER = regex(r"\.env\(\s*\"(?P<name>[A-Z_][A-Z0-9_]*)\"\s*\)")
_CLAP_DEFAULT = regex(r"\bdefault_value(?:_t)?\s*=\s*")
_REQUIRED_AFTER = regex(r"\s*[?]|\s*\.\s*(?:unwrap|expect)\s*\(")
_OPTIONAL_AFTER = regex(
    r"\s*\.\s*(?P<m>unwrap_or|unwrap_or_else|unwrap_or_default|ok|is_ok|is_some"
    r"|is_err|map_or|map_or_else|or_else|or|is_some_and|unwrap_or_else)\s*\("
)


def scan(text: str) -> Iterator[EnvRead]:
    """Every variable read of one Rust file."""
    if not any(word in text for word in PRECHECK):
        return
    code = blank_comments(text, "rust")
    consts = constants(code)
    lines = LineMap(code)

    for match in _VAR().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield _var_read(code, name, match, lines)
    for match in _MACRO().finditer(code):
        optional = match["kind"] == "option_env"
        yield EnvRead(
            match["name"],
            *lines.span(match.start(), match.end()),
            f"rust.{match['kind']}",
            not optional,
            note="read when the program is compiled",
        )
    for match in _CLAP_ATTR().finditer(code):
        yield _clap_read(code, match["name"], match, lines, match["body"])
    for match in _CLAP_BUILDER().finditer(code):
        yield _clap_read(code, match["name"], match, lines, "")


def _var_read(code: str, name: str, match: "re.Match[str]", lines: LineMap) -> EnvRead:
    required: bool | None = None
    default: str | None = None
    end = match.end()
    optional = _OPTIONAL_AFTER().match(code, end)
    if optional:
        required = False
        found = literal_at(code, optional.end())
        if found and optional["m"] in ("unwrap_or", "map_or"):
            default, end = found
    elif _REQUIRED_AFTER().match(code, end):
        required = True
    return EnvRead(
        name, *lines.span(match.start(), end), "rust.env_var", required, default
    )


def _clap_read(
    code: str, name: str, match: "re.Match[str]", lines: LineMap, body: str
) -> EnvRead:
    default_kw = _CLAP_DEFAULT().search(body)
    default = None
    if default_kw:
        found = literal_at(body, default_kw.end())
        default = found[0] if found else None
    return EnvRead(
        name, *lines.span(match.start(), match.end()), "rust.clap_env",
        False if default_kw else None, default,
    )  # fmt: skip
