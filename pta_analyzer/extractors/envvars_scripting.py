"""Environment variables read by Ruby, PHP and Elixir code.

Ruby: ``ENV["X"]``, ``ENV.fetch("X")`` (required), ``ENV.fetch("X", d)`` and
``ENV.fetch("X") { d }`` (optional), also inside ``<%= %>`` of YAML files.
PHP: ``getenv``, ``$_ENV``, ``$_SERVER`` (upper-case names that are not request
data) and Laravel's ``env('X', d)``. Elixir: ``System.get_env``,
``System.fetch_env!``.
"""

import re
from collections.abc import Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.extractors.envvars_common import (
    NAME_ARG,
    NO_CONSTANTS,
    EnvRead,
    LineMap,
    blank_comments,
    closing_paren,
    constants,
    literal_at,
    resolve_name,
    word_not_after,
)
from pta_analyzer.needles import register

# Words one of which each scanner needs in the file before it finds anything.
RUBY_PRECHECK = register("ENV")
PHP_PRECHECK = register("getenv", "$_ENV", "$_SERVER", "env(")
ELIXIR_PRECHECK = register("System.", "Mix.env", "config_env()")

_RUBY_INDEX = regex(rf"\bENV\[\s*{NAME_ARG}\s*\]")
_RUBY_FETCH = regex(rf"\bENV\.fetch\(\s*{NAME_ARG}\s*(?P<more>[,)])")
_RUBY_KEY = regex(rf"\bENV\.(?:key\?|has_key\?|include\?)\(\s*{NAME_ARG}\s*\)")
_RUBY_AFTER = regex(r"\s*(?P<op>\|\|=|\|\||=(?![=~>]))?")
_ERB = regex(r"<%=?(?P<body>[\s\S]*?)%>")
_NOT_NEWLINE = regex(r"[^\n]")
_BLOCK = regex(r"\s*(?:\{|do\b)")

_PHP_NAME_CHAR = r"[\w>$:]"  # before a function called by its own name
_PHP_GETENV = regex(rf"{word_not_after('getenv', _PHP_NAME_CHAR)}\(\s*{NAME_ARG}\s*\)")
_PHP_SUPERGLOBAL = regex(
    r"""\$_(?P<which>ENV|SERVER)\[\s*['"](?P<name>[A-Za-z_][A-Za-z0-9_]*)['"]\s*\]"""
)
_PHP_LARAVEL = regex(
    rf"{word_not_after('env', _PHP_NAME_CHAR)}\(\s*{NAME_ARG}\s*(?P<more>[,)])"
)
_PHP_AFTER = regex(r"\s*(?P<op>\?:|\?\?)")
# $_SERVER keys the web server sets for each request, not configuration.
_PHP_REQUEST_PREFIXES = (
    "HTTP_", "REQUEST_", "SERVER_", "REMOTE_", "SCRIPT_", "PHP_", "PATH_",
    "QUERY_", "DOCUMENT_", "CONTENT_", "GATEWAY_", "REDIRECT_", "HTTPS", "ARGV",
    "ARGC", "ORIG_",
)  # fmt: skip

_EX_GET = regex(rf"\bSystem\.get_env\(\s*{NAME_ARG}\s*(?P<more>[,)])")
_EX_FETCH = regex(rf"\bSystem\.fetch_env(?P<bang>!?)\(\s*{NAME_ARG}\s*\)")
_EX_MIX_ENV = regex(r"\bMix\.env\(\)|\bconfig_env\(\)")
_EX_AFTER = regex(r"\s*\|\|\s*(?P<raise>raise\b)?")


def scan_ruby(text: str, erb_only: bool = False) -> Iterator[EnvRead]:
    """Every variable read of a Ruby file, or of the ERB tags of a YAML file."""
    if "ENV" not in text:
        return
    code = _erb_code(text) if erb_only else blank_comments(text, "hash")
    if "ENV" not in code:
        return
    consts = constants(code)
    lines = LineMap(code)

    for match in _RUBY_INDEX().finditer(code):
        name = resolve_name(match, consts)
        after = _RUBY_AFTER().match(code, match.end())
        op = after["op"] if after else None
        if not name or op == "=":
            continue
        required: bool | None = None
        default: str | None = None
        end = match.end()
        if op in ("||", "||=") and after is not None:
            required = False
            found = literal_at(code, after.end())
            if found:
                default, end = found
        yield EnvRead(
            name, *lines.span(match.start(), end), "ruby.env", required, default
        )

    for match in _RUBY_FETCH().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield _ruby_fetch(code, name, match, lines)

    for match in _RUBY_KEY().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield EnvRead(
                name, *lines.span(match.start(), match.end()), "ruby.env", False
            )


def scan_php(text: str) -> Iterator[EnvRead]:
    """Every variable read of one PHP file."""
    if not any(word in text for word in PHP_PRECHECK):
        return
    code = blank_comments(text, "php")
    consts = constants(code)
    lines = LineMap(code)

    for match in _PHP_GETENV().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield _php_read(code, name, match, match.end(), lines, "php.getenv")
    for match in _PHP_SUPERGLOBAL().finditer(code):
        name = match["name"]
        if match["which"] == "SERVER" and (
            name.startswith(_PHP_REQUEST_PREFIXES) or not name.isupper()
        ):
            continue  # $_SERVER also holds the request; only $_ENV is all env
        yield _php_read(code, name, match, match.end(), lines, "php.superglobal")
    for match in _PHP_LARAVEL().finditer(code):
        name = resolve_name(match, consts)
        if not name:
            continue
        close = closing_paren(code, code.index("(", match.start()))
        if match["more"] == ",":
            found = literal_at(code, match.end())
            yield EnvRead(
                name,
                *lines.span(match.start(), close),
                "php.laravel_env",
                False,
                found[0] if found and found[0] != "null" else None,
            )
        else:
            yield _php_read(code, name, match, close, lines, "php.laravel_env")


def scan_elixir(text: str) -> Iterator[EnvRead]:
    """Every variable read of one Elixir file, and MIX_ENV when Mix's is used."""
    if not any(word in text for word in ELIXIR_PRECHECK):
        return
    code = blank_comments(text, "hash")
    lines = LineMap(code)

    mix = _EX_MIX_ENV().search(code)
    if mix:
        yield EnvRead(
            "MIX_ENV",
            *lines.span(mix.start(), mix.end()),
            "elixir.mix_env",
            False,
            "dev",
            "Mix takes the build environment from MIX_ENV",
        )

    for match in _EX_GET().finditer(code):
        name = resolve_name(match, NO_CONSTANTS)
        if not name:
            continue
        close = closing_paren(code, code.index("(", match.start()))
        required: bool | None = None
        default: str | None = None
        if match["more"] == ",":
            required = False
            found = literal_at(code, match.end())
            default = found[0] if found else None
        elif after := _EX_AFTER().match(code, close):
            required = after["raise"] is not None
            found = literal_at(code, after.end())
            if found and not required:
                default = found[0]
        yield EnvRead(
            name, *lines.span(match.start(), close), "elixir.get_env", required, default
        )
    for match in _EX_FETCH().finditer(code):
        name = resolve_name(match, NO_CONSTANTS)
        if name:
            yield EnvRead(
                name,
                *lines.span(match.start(), match.end()),
                "elixir.fetch_env",
                bool(match["bang"]),
            )


def _erb_code(text: str) -> str:
    """The text with everything outside ``<% %>`` tags blanked (lines kept).

    A tag on a line commented out with ``#`` (YAML) is blanked too: Rails
    never evaluates it.
    """
    parts: list[str] = []
    pos = 0
    for match in _ERB().finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if text[line_start : match.start()].lstrip().startswith("#"):
            continue
        parts.append(_NOT_NEWLINE().sub(" ", text[pos : match.start("body")]))
        parts.append(match["body"])
        pos = match.end("body")
    parts.append(_NOT_NEWLINE().sub(" ", text[pos:]))
    return "".join(parts)


def _ruby_fetch(
    code: str, name: str, match: "re.Match[str]", lines: LineMap
) -> EnvRead:
    close = closing_paren(code, code.index("(", match.start()))
    if match["more"] == ",":
        found = literal_at(code, match.end())
        default = found[0] if found and found[0] != "nil" else None
        return EnvRead(
            name, *lines.span(match.start(), close), "ruby.env_fetch", False, default
        )
    block = _BLOCK().match(code, close)
    if block:
        found = literal_at(code, block.end())
        end = found[1] if found else block.end()
        return EnvRead(
            name,
            *lines.span(match.start(), end),
            "ruby.env_fetch",
            False,
            found[0] if found else None,
        )
    return EnvRead(name, *lines.span(match.start(), close), "ruby.env_fetch", True)


def _php_read(
    code: str, name: str, match: "re.Match[str]", end: int, lines: LineMap, rule: str
) -> EnvRead:
    after = _PHP_AFTER().match(code, end)
    if after is None:
        return EnvRead(name, *lines.span(match.start(), end), rule)
    found = literal_at(code, after.end())
    return EnvRead(
        name, *lines.span(match.start(), found[1] if found else end), rule, False,
        found[0] if found else None,
    )  # fmt: skip
