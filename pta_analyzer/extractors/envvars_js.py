"""Environment variables read by JavaScript and TypeScript code.

``process.env.X`` and ``process.env["X"]`` (with ``||`` / ``??`` defaults and
the TypeScript ``!``), destructuring ``const { A, B = 'x' } = process.env``,
``import.meta.env.VITE_X``, ``Deno.env.get("X")``, the ``env-var`` package
(``env.get('X').required()``), envalid ``cleanEnv(process.env, {...})``, the
upper-case keys of zod / Joi schemas that validate ``process.env`` and of
t3-env ``createEnv`` groups, and calls of same-file helpers that return
``process.env[argument]``. dotenv-safe is found here and resolved against its
example file by ``envvars.extract``.
"""

import re
from collections.abc import Iterator

from pta_analyzer.deferred import regex
from pta_analyzer.extractors.envvars_common import (
    NAME,
    NAME_ARG,
    Constants,
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

# Every rule of ``scan`` needs one of these words in the file.
PRECHECK = register(
    "process.env", "import.meta.env", "Deno.env", "cleanEnv", "env-var", "createEnv(",
    "/env",
)  # fmt: skip
DOTENV_SAFE = register("dotenv-safe")
EXPRESSION_BODY_CHARS = 300  # how far an arrow function's expression body is read
SCHEMA_CALLS = ("z.object(", "Joi.object(", "createEnv(")

# Values Vite defines itself on import.meta.env.
VITE_BUILTINS = frozenset({"MODE", "BASE_URL", "PROD", "DEV", "SSR"})

_NAME_CHAR = r"[\w.$]"  # before a name read as a whole: not part of another
_MEMBER = regex(
    r"(?P<obj>process\.env|import\.meta\.env)(?:\?\.|\.)(?P<name>[A-Za-z_]\w*)\b"
    rf"|(?P<obj2>process\.env|import\.meta\.env)\??\.?\[\s*{NAME_ARG}\s*\]"
)
_AFTER = regex(r"\s*(?P<op>\|\||\?\?|!(?!=)|=(?![=>]))?")
_DESTRUCTURE = regex(r"(?:const|let|var)\s*\{(?P<body>[^{}]*)\}\s*=\s*process\.env\b")
_DENO = regex(rf"Deno\.env\.get\(\s*{NAME_ARG}\s*\)")
_ENV_VAR_GET = regex(rf"(?<![\w$])(?P<var>\w+)\.get\(\s*{NAME_ARG}\s*\)")
_ENV_VAR_IMPORT = regex(
    r"""(?:(?:const|let|var)\s+(?P<a>\w+)\s*=\s*require\(\s*['"]env-var['"]\s*\)"""
    r"""|import\s+(?:\*\s+as\s+)?(?P<b>\w+)\s+from\s+['"]env-var['"])"""
)
_CHAIN_CALL = regex(r"\s*\.\s*(?P<method>\w+)\s*\(")
_CLEAN_ENV = regex(r"cleanEnv\(\s*[\w.]+\s*,\s*\{")
_ENVALID_KEY = regex(r"(?P<name>[A-Za-z_]\w*)\s*:\s*\w+\s*\(")
_ENV_MODULE_IMPORT = regex(
    r"""import\s*\{[^}]*\benv\b[^}]*\}\s*from\s*['"][^'"]*/env(?:\.[cm]?[jt]s)?['"]"""
)
_ENV_MODULE_READ = regex(
    rf"{word_not_after('env', _NAME_CHAR)}\.(?P<name>[A-Z][A-Z0-9_]*)\b"
)
_SCHEMA_CALL = regex(r"\b(?P<lib>z\.object|Joi\.object|createEnv)\(\s*\{")
_SCHEMA_KEY = regex(r"\s*[\"']?(?P<name>[A-Z][A-Z0-9_]*)[\"']?\s*:")
_T3_GROUP = regex(r"\s*(?:server|client|shared)\s*:\s*\{")
_ZOD_DEFAULT = regex(r"\.default\(")
_ZOD_OPTIONAL = regex(r"\.(?:optional|nullish|default)\(")
_WRAPPER = regex(
    r"(?:function\s+(?P<f1>\w+)\s*\(\s*(?P<p1>\w+)"
    r"|(?:const|let|var)\s+(?P<f2>\w+)\s*(?::[^=]+)?=\s*(?:async\s+)?"
    r"(?:\(\s*(?P<p2>\w+)[^)]*\)|(?P<p3>\w+))\s*(?::\s*[\w<>\[\]| ]+)?=>)"
)
_DOTENV_SAFE = regex(
    r"""(?:require\(\s*|from\s+|import\s+)['"]dotenv-safe(?:/config)?['"]"""
)
_EXAMPLE_OPTION = regex(r"""example\s*:[^,}\n]*?['"](?P<path>[^'"]+)['"]""")


def scan(text: str) -> Iterator[EnvRead]:
    """Every variable read of one JavaScript or TypeScript file."""
    if not any(word in text for word in PRECHECK):
        return
    code = blank_comments(text, "c")
    consts = constants(code)
    lines = LineMap(code)

    yield from _scan_members(code, consts, lines)
    if "process.env" in code and "{" in code:
        yield from _scan_destructuring(code, lines)
    if "Deno.env" in code:
        for match in _DENO().finditer(code):
            name = resolve_name(match, consts)
            if name:
                yield EnvRead(
                    name, *lines.span(match.start(), match.end()), "js.deno_env"
                )
    if "env-var" in code:
        yield from _scan_env_var(code, consts, lines)
    if "cleanEnv" in code:
        yield from _scan_envalid(code, lines)
    if "process.env[" in code:
        yield from _scan_wrappers(code, lines)
    if any(call in code for call in SCHEMA_CALLS):
        yield from _scan_schemas(code, lines)
    if "/env" in code:
        yield from _scan_env_module_reads(code, lines)


def _scan_env_module_reads(code: str, lines: LineMap) -> Iterator[EnvRead]:
    """``env.NAME`` after ``import { env } from "~/env"``: a validated env module.

    t3-env and similar modules export the checked variables as ``env``; its
    presets (``extends: [vercel()]``) add names no schema in the repository
    lists, so the reads themselves are the evidence.
    """
    if _ENV_MODULE_IMPORT().search(code) is None:
        return
    for match in _ENV_MODULE_READ().finditer(code):
        yield EnvRead(
            match["name"], *lines.span(match.start(), match.end()), "js.env_module"
        )


def dotenv_safe_example(text: str) -> tuple[int, str] | None:
    """``(line, example file path as written)`` when the file loads dotenv-safe.

    The path is the ``example`` option's literal, or ``.env.example``.
    """
    if "dotenv-safe" not in text:
        return None
    code = blank_comments(text, "c")
    match = _DOTENV_SAFE().search(code)
    if match is None:
        return None
    line = LineMap(code).line(match.start())
    option = _EXAMPLE_OPTION().search(code, match.end(), match.end() + 800)
    return line, option["path"] if option else ".env.example"


def _scan_members(code: str, consts: Constants, lines: LineMap) -> Iterator[EnvRead]:
    for match in _MEMBER().finditer(code):
        is_vite = "meta" in (match.group("obj") or match.group("obj2") or "")
        name = match.group("name") or resolve_name(match, consts)
        if not name or (is_vite and name in VITE_BUILTINS):
            continue
        after = _AFTER().match(code, match.end())
        op = after.group("op") if after else None
        if op == "=":
            continue  # an assignment, not a read
        required: bool | None = None
        default: str | None = None
        end = match.end()
        if op == "!":
            required = True
        elif op in ("||", "??") and after is not None:
            required = False
            found = literal_at(code, after.end())
            if found:
                default, end = found
        rule = "js.import_meta_env" if is_vite else "js.process_env"
        yield EnvRead(name, *lines.span(match.start(), end), rule, required, default)


def _scan_destructuring(code: str, lines: LineMap) -> Iterator[EnvRead]:
    for match in _DESTRUCTURE().finditer(code):
        body = match.group("body")
        offset = match.start("body")
        for part in re.finditer(r"[^,]+", body):
            item = part.group(0)
            found = re.match(r"\s*([A-Za-z_]\w*)\s*(?::\s*\w+\s*)?(=\s*)?", item)
            if found is None:
                continue
            default: str | None = None
            if found.group(2):
                literal = literal_at(item, found.end())
                default = literal[0] if literal else None
            start = offset + part.start() + found.start(1)
            line = lines.line(start)
            yield EnvRead(
                found.group(1),
                line,
                line,
                "js.process_env_destructuring",
                False if found.group(2) else None,
                default,
            )


def _scan_env_var(code: str, consts: Constants, lines: LineMap) -> Iterator[EnvRead]:
    variables = {m.group("a") or m.group("b") for m in _ENV_VAR_IMPORT().finditer(code)}
    for match in _ENV_VAR_GET().finditer(code):
        if match.group("var") not in variables:
            continue
        name = resolve_name(match, consts)
        if not name:
            continue
        required: bool | None = None
        default: str | None = None
        pos = match.end()
        while call := _CHAIN_CALL().match(code, pos):
            close = closing_paren(code, call.end() - 1)
            method = call.group("method")
            argument = code[call.end() : close - 1].strip()
            if method == "required":
                required = argument not in ("false",)
            elif method == "default":
                required = False
                found = literal_at(code, call.end())
                default = found[0] if found else None
            pos = close
        yield EnvRead(
            name, *lines.span(match.start(), pos), "js.env_var", required, default
        )


def _scan_envalid(code: str, lines: LineMap) -> Iterator[EnvRead]:
    for match in _CLEAN_ENV().finditer(code):
        open_pos = match.end() - 1
        close = closing_paren(code, open_pos)
        pos = open_pos + 1
        while pos < close - 1:
            key = _ENVALID_KEY().search(code, pos, close)
            if key is None:
                break
            validator_end = closing_paren(code, key.end() - 1)
            options = code[key.end() : validator_end]
            has_default = re.search(r"\b(?:default|devDefault)\s*:", options)
            default = None
            found = re.search(r"\bdefault\s*:", options)
            if found:
                literal = literal_at(options, found.end())
                default = literal[0] if literal else None
            yield EnvRead(
                key.group("name"),
                *lines.span(key.start(), validator_end),
                "js.envalid",
                not has_default,
                default,
            )
            pos = validator_end


def _scan_wrappers(code: str, lines: LineMap) -> Iterator[EnvRead]:
    """Calls of this file's helpers that return ``process.env[argument]``.

    ``const env = (key, fallback) => process.env[key] ?? fallback`` makes
    ``env('API_URL')`` a read of API_URL; a second argument is a default.
    """
    for match in _WRAPPER().finditer(code):
        func = match["f1"] or match["f2"]
        param = match["p1"] or match["p2"] or match["p3"]
        body = _function_body(code, match.end())
        if not re.search(rf"process\.env\[\s*{re.escape(param)}\s*\]", body):
            continue
        call = re.compile(
            rf"{word_not_after(func, _NAME_CHAR)}\(\s*{NAME_ARG}\s*(?P<more>[,)])"
        )
        for found in call.finditer(code):
            name = found["dq"] or found["sq"]
            if not name or not NAME.match(name):
                continue
            close = closing_paren(code, code.index("(", found.start()))
            default = None
            if found["more"] == ",":
                literal = literal_at(code, found.end())
                default = literal[0] if literal else None
            yield EnvRead(
                name,
                *lines.span(found.start(), close),
                "js.env_helper",
                False if found["more"] == "," else None,
                default,
            )


def _function_body(code: str, pos: int) -> str:
    """The body after a function head: a braced block or one expression line."""
    brace = re.compile(r"[^{\n]*\{").match(code, pos)
    if brace:
        return code[pos : closing_paren(code, brace.end() - 1)]
    end = code.find(";", pos, pos + EXPRESSION_BODY_CHARS)
    return code[pos : end if end != -1 else pos + EXPRESSION_BODY_CHARS]


def _scan_schemas(code: str, lines: LineMap) -> Iterator[EnvRead]:
    """Upper-case keys of zod / Joi schemas and t3-env ``createEnv`` groups.

    Only in files that also read ``process.env`` (the schema validates it) or
    call ``createEnv``; lower-case keys are other data, not variables.
    """
    if "process.env" not in code and "createEnv(" not in code:
        return
    for call in _SCHEMA_CALL().finditer(code):
        open_pos = call.end() - 1
        if call["lib"] == "createEnv":
            for start, end in _entries(code, open_pos):
                group = _T3_GROUP().match(code, start, end)
                if group:
                    yield from _schema_keys(code, group.end() - 1, lines, "zod")
        else:
            lib = "zod" if call["lib"].startswith("z.") else "joi"
            yield from _schema_keys(code, open_pos, lines, lib)


def _schema_keys(
    code: str, open_pos: int, lines: LineMap, lib: str
) -> Iterator[EnvRead]:
    for start, end in _entries(code, open_pos):
        key = _SCHEMA_KEY().match(code, start, end)
        if key is None:
            continue
        value = code[key.end() : end]
        default = None
        found = _ZOD_DEFAULT().search(value)
        if found:
            literal = literal_at(value, found.end())
            default = literal[0] if literal else None
        if lib == "zod":
            required: bool | None = _ZOD_OPTIONAL().search(value) is None
        elif ".required()" in value:
            required = True
        else:
            required = False if found else None
        yield EnvRead(
            key["name"],
            *lines.span(key.start("name"), end),
            f"js.{lib}_schema",
            required,
            default,
        )


def _entries(code: str, open_pos: int) -> Iterator[tuple[int, int]]:
    """``(start, end)`` of each top-level entry of the object at ``open_pos``."""
    close = closing_paren(code, open_pos) - 1
    depth = 0
    quote = ""
    start = open_pos + 1
    pos = start
    while pos < close:
        char = code[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == "," and depth == 0:
            yield start, pos
            start = pos + 1
        pos += 1
    if code[start:close].strip():
        yield start, close
