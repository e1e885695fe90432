"""Environment variables read by Python code.

``os.environ[...]``, ``os.environ.get``, ``os.getenv``, ``"X" in os.environ``,
``os.environ.setdefault`` (a default the program sets for itself, e.g.
``DJANGO_SETTINGS_MODULE``), django-environ ``env("X")`` / ``env.str(...)``,
python-decouple ``config("X")``, pydantic ``BaseSettings`` fields, Flask's
``config.from_envvar("X")``, and calls of same-file helpers that read the
variable their first argument names (``env_bool("DEBUG")``). Docstrings and
comments are blanked first, so their examples are not reads.
"""

import ast
import logging
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

logger = logging.getLogger(__name__)

# Every rule of ``scan`` needs one of these words in the file.
PRECHECK = register("environ", "getenv", "decouple", "BaseSettings", "from_envvar")

_NAME_CHAR = r"[\w.]"  # before a name read as a whole: not part of another
# The words of ``PRECHECK`` but environ, and django-environ's Env(.
_OTHER_READ_WORDS = ("getenv", "decouple", "BaseSettings", "from_envvar", "Env(")
_ENVIRON = r"(?<![\w.])(?:os\.)?environ"
# The same names, matched from the name itself (a literal start is searched
# for fast) with the ``os.`` before it checked behind: a match starts at the
# name rather than at ``os.``, on the same line.
_ENVIRON_AT = r"environ(?:(?<![\w.]environ)|(?<=(?<![\w.])os\.environ))"
_GETENV_AT = r"getenv(?:(?<![\w.]getenv)|(?<=(?<![\w.])os\.getenv))"
_SUBSCRIPT = regex(rf"{_ENVIRON_AT}\[\s*{NAME_ARG}\s*\](?!\s*=[^=])")
_GET = regex(rf"{_ENVIRON_AT}\.get\(\s*{NAME_ARG}\s*(?P<more>[,)])")
_GETENV = regex(rf"{_GETENV_AT}\(\s*{NAME_ARG}\s*(?P<more>[,)])")
_SETDEFAULT = regex(rf"{_ENVIRON_AT}\.setdefault\(\s*{NAME_ARG}\s*,")
_DEF = regex(r"(?m)^(?P<indent>[ \t]*)def\s+(?P<func>\w+)\(\s*(?P<param>\w+)")
# Names that ``_reads_parameter`` may find read, each pattern starting with a
# literal: the names are look-aheads, consumed by no match, so no read hides
# inside another's match.
_PARAM_READS = (
    regex(r"environ(?:\.get|\.setdefault)\(\s*(?=(?P<name>\w+)\b)"),
    regex(r"environ\[\s*(?=(?P<name>\w+)\s*\])"),
    regex(r"getenv\(\s*(?=(?P<name>\w+)\b)"),
)
_INDENTED_LINE = regex(r"(?m)^([ \t]*)\S")
_FROM_ENVVAR = regex(rf"\.from_envvar\(\s*{NAME_ARG}\s*(?P<more>[,)])")
# ``NAME_ARG`` whose name starts no later than the first letter of a word: a
# match from a later letter reads the same rest of the word as its name and
# the same text after it, so it matches only where the first letter did (and
# finditer, going left to right, took that one). Skipping those letters
# spares a pass over the rest of the word from every one of them.
_NAME_ARG_AT_WORD = NAME_ARG.replace("(?P<ident>", "(?<![A-Za-z_])(?P<ident>")
_MEMBERSHIP = regex(rf"{_NAME_ARG_AT_WORD}\s+(?:not\s+)?in\s+{_ENVIRON}\b(?!\.)")
# ``[^\S\n]*`` rather than ``\s*`` after ``^``: from a blank line ``\s*`` would
# run on to the next line's name, the same match with an earlier start (not
# used), after a pass over every blank line that follows.
_DJANGO_ENV_VAR = regex(r"(?m)^[^\S\n]*(\w+)\s*=\s*(?:environ\.)?Env\(")
_DJANGO_SCHEME = regex(r"(?P<name>[A-Za-z_]\w*)\s*=\s*\(\s*\w+\s*,")
_DECOUPLE = regex(
    rf"{word_not_after('config', _NAME_CHAR)}\(\s*{NAME_ARG}\s*(?P<more>[,)])"
)
# A settings class names BaseSettings as a whole identifier among its bases:
# ``BaseSettingsPanel`` alone is no reason to parse the file.
_BASE_SETTINGS = regex(r"\bBaseSettings\b")
_DEFAULT_KW = regex(r"\bdefault\s*=")
_NONE = regex(r"\s*None\s*[,)]")
_KEYWORD_ARGUMENT = regex(r"\s*\w+\s*=")
# django-environ's url helpers read a fixed name when given none.
_DJANGO_URL_DEFAULTS = {
    "db": "DATABASE_URL",
    "db_url": "DATABASE_URL",
    "cache": "CACHE_URL",
    "cache_url": "CACHE_URL",
    "email": "EMAIL_URL",
    "email_url": "EMAIL_URL",
    "search_url": "SEARCH_URL",
}


def scan(text: str) -> Iterator[EnvRead]:
    """Every variable read of one Python file."""
    if not _may_read(text):
        return
    code = blank_comments(text, "hash")
    consts = constants(code)
    lines = LineMap(code)

    if "environ" in code or "getenv" in code:
        yield from _scan_os(code, consts, lines)
    if "Env(" in code and "environ" in code:
        yield from _scan_django_environ(code, consts, lines)
    if "decouple" in code:
        yield from _scan_decouple(code, consts, lines)
    if "def " in code:
        yield from _scan_wrappers(code, lines)
    if "from_envvar" in code:
        yield from _scan_flask(code, consts, lines)
    if "BaseSettings" in code and _BASE_SETTINGS().search(code):
        yield from _scan_pydantic(text)


def _may_read(text: str) -> bool:
    """False when no rule of ``scan`` can find a read in ``text``.

    Every rule needs one of these words, or ``environ`` as a whole word
    (``environ[``, ``environ.get``, ``in environ``): ``environment`` alone,
    common in prose and names, is no reason to blank and search the file.
    The django-environ rule asks for ``Env(`` and ``environ`` anywhere.
    """
    if any(word in text for word in _OTHER_READ_WORDS):
        return True
    at = text.find("environ")
    while at != -1:
        after = text[at + len("environ") : at + len("environ") + 1]
        if not (after.isalnum() or after == "_"):  # \b: no word character
            return True
        at = text.find("environ", at + 1)
    return False


def loads_dotenv(text: str) -> bool:
    """True when the file loads a ``.env`` file with python-dotenv."""
    return "load_dotenv(" in text or "dotenv_values(" in text


def _scan_os(code: str, consts: Constants, lines: LineMap) -> Iterator[EnvRead]:
    for match in _SUBSCRIPT().finditer(code):
        name = resolve_name(match, consts)
        if name:
            yield _read(name, lines, match, "python.os_environ", True)

    for pattern, rule in ((_GET, "python.environ_get"), (_GETENV, "python.getenv")):
        for match in pattern().finditer(code):
            name = resolve_name(match, consts)
            if name:
                yield _call_read(code, name, lines, match, rule)

    for match in _SETDEFAULT().finditer(code):
        name = resolve_name(match, consts)
        if name:
            end = closing_paren(code, code.index("(", match.start()))
            found = literal_at(code, match.end())
            yield EnvRead(
                name,
                *lines.span(match.start(), end),
                "python.environ_setdefault",
                False,
                found[0] if found else None,
                "the program sets this default itself",
            )

    if "in os.environ" not in code and "in environ" not in code:
        return
    for match in _memberships(code):
        name = resolve_name(match, consts)
        if name:
            yield _read(name, lines, match, "python.environ_check", False)


def _memberships(code: str) -> Iterator["re.Match[str]"]:
    """The matches of ``_MEMBERSHIP`` in ``code``, searched near each environ.

    A match ends with ``environ`` and the character after it; between that
    and the name before it stand only blanks, ``not``, ``in`` and ``os.``; the
    name is on one line. So every match lies in a window from the start of
    that line to the character after ``environ``, found by stepping back over
    those characters; windows that overlap are joined. A search confined to
    the windows finds the matches a search of the whole text finds.
    """
    windows: list[tuple[int, int]] = []
    word = code.find("environ")
    while word != -1:
        back = word
        while back > 0 and (code[back - 1].isspace() or code[back - 1] in "notis."):
            back -= 1
        start = code.rfind("\n", 0, back) + 1
        end = min(len(code), word + len("environ") + 1)
        if windows and start < windows[-1][1]:
            start = windows.pop()[0]
        windows.append((start, end))
        word = code.find("environ", word + 1)

    membership = _MEMBERSHIP()
    for start, end in windows:
        yield from membership.finditer(code, start, end)


def _scan_wrappers(code: str, lines: LineMap) -> Iterator[EnvRead]:
    """Calls of this file's helpers that read the variable named by their argument.

    ``def env_bool(name, default=False): return os.environ.get(name) ...`` makes
    ``env_bool("DEBUG")`` a read of DEBUG; a call with a second argument or a
    ``default=`` gives a default.
    """
    # A helper reads its parameter with one of the calls of ``_PARAM_READS``:
    # a function whose parameter no such call names anywhere in the file is
    # not one, and its body is not cut out and searched.
    named = {m["name"] for pattern in _PARAM_READS for m in pattern().finditer(code)}
    if not named - {"self", "cls"}:
        return  # no function here can be one (the usual case)
    wrappers = [
        match["func"]
        for match in _DEF().finditer(code)
        if match["param"] in named
        and match["param"] not in ("self", "cls")
        and _reads_parameter(_body(code, match), match["param"])
    ]
    for func in wrappers:
        call = re.compile(
            rf"{word_not_after(func, _NAME_CHAR)}\(\s*{NAME_ARG}\s*(?P<more>[,)])"
        )
        for match in call.finditer(code):
            name = match["dq"] or match["sq"]
            if name and NAME.match(name):
                read = _call_read(code, name, lines, match, "python.env_helper")
                yield read


def _body(code: str, match: "re.Match[str]") -> str:
    """The text of the function defined at ``match``, up to its dedent."""
    indent = len(match["indent"])
    start = code.find("\n", match.end())
    if start == -1:
        return ""
    end = len(code)
    for line in _INDENTED_LINE().finditer(code, start + 1):
        if len(line.group(1)) <= indent:
            end = line.start()
            break
    return code[match.end() : end]


def _reads_parameter(body: str, param: str) -> bool:
    escaped = re.escape(param)
    return (
        re.search(
            rf"(?:environ\.get|getenv|environ\.setdefault)\(\s*{escaped}\b"
            rf"|environ\[\s*{escaped}\s*\]",
            body,
        )
        is not None
    )


def _scan_flask(code: str, consts: Constants, lines: LineMap) -> Iterator[EnvRead]:
    """``app.config.from_envvar("X")``: X names a configuration file."""
    for match in _FROM_ENVVAR().finditer(code):
        name = resolve_name(match, consts)
        if not name:
            continue
        end = closing_paren(code, code.index("(", match.start()))
        silent = re.search(r"\bsilent\s*=\s*True", code[match.end() : end])
        yield EnvRead(
            name,
            *lines.span(match.start(), end),
            "python.flask_from_envvar",
            required=silent is None,
            note="names a configuration file to load",
        )


def _scan_django_environ(
    code: str, consts: Constants, lines: LineMap
) -> Iterator[EnvRead]:
    variables = {m.group(1) for m in _DJANGO_ENV_VAR().finditer(code)}
    defaults: set[str] = set()
    for match in _DJANGO_ENV_VAR().finditer(code):
        open_pos = match.end() - 1
        scheme = code[open_pos : closing_paren(code, open_pos)]
        defaults.update(m["name"] for m in _DJANGO_SCHEME().finditer(scheme))

    for variable in sorted(variables):
        call = re.compile(
            rf"{word_not_after(variable, _NAME_CHAR)}(?:\.(?P<cast>\w+))?\(\s*"
            rf"(?:{NAME_ARG}\s*)?(?P<more>[,)])"
        )
        for match in call.finditer(code):
            name = resolve_name(match, consts)
            if name is None:
                name = _DJANGO_URL_DEFAULTS.get(match.group("cast") or "")
                if name is None or match.group("more") != ")":
                    continue
            read = _call_read(code, name, lines, match, "python.django_environ")
            if read.required is None:
                read = _with(read, required=name not in defaults)
            yield read


def _scan_decouple(code: str, consts: Constants, lines: LineMap) -> Iterator[EnvRead]:
    for match in _DECOUPLE().finditer(code):
        name = resolve_name(match, consts)
        if name:
            read = _call_read(code, name, lines, match, "python.decouple")
            if read.required is None:
                read = _with(read, required=True)
            yield read


def _scan_pydantic(text: str) -> Iterator[EnvRead]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        logger.debug("pydantic settings: file does not parse")
        return
    settings: set[str] = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = {_dotted_tail(base) for base in node.bases}
        if "BaseSettings" in bases or bases & settings:
            settings.add(node.name)
            yield from _settings_fields(node)


def _settings_fields(node: ast.ClassDef) -> Iterator[EnvRead]:
    prefix = _env_prefix(node)
    for item in node.body:
        if not isinstance(item, ast.AnnAssign):
            continue
        if not isinstance(item.target, ast.Name) or item.target.id.startswith("_"):
            continue
        if _dotted_tail(item.annotation) == "ClassVar":
            continue
        name = prefix + item.target.id
        required: bool = item.value is None
        default: str | None = None
        if (
            isinstance(item.value, ast.Call)
            and _dotted_tail(item.value.func) == "Field"
        ):
            explicit = _field_env_name(item.value)
            if explicit:
                name = explicit
            required, default = _field_default(item.value)
        elif isinstance(item.value, ast.Constant) and item.value.value is not None:
            default = str(item.value.value)
        end = item.end_lineno or item.lineno
        yield EnvRead(
            name.upper(),
            item.lineno,
            end,
            "python.pydantic_settings",
            required,
            default,
        )


def _env_prefix(node: ast.ClassDef) -> str:
    for item in node.body:
        if isinstance(item, ast.ClassDef) and item.name == "Config":
            for inner in item.body:
                if (
                    isinstance(inner, ast.Assign)
                    and any(
                        isinstance(t, ast.Name) and t.id == "env_prefix"
                        for t in inner.targets
                    )
                    and isinstance(inner.value, ast.Constant)
                    and isinstance(inner.value.value, str)
                ):
                    return inner.value.value
        value = _assigned_value(item, "model_config")
        if isinstance(value, ast.Call):
            for keyword in value.keywords:
                if (
                    keyword.arg == "env_prefix"
                    and isinstance(keyword.value, ast.Constant)
                    and isinstance(keyword.value.value, str)
                ):
                    return keyword.value.value
    return ""


def _assigned_value(item: ast.stmt, target: str) -> ast.expr | None:
    if isinstance(item, ast.Assign) and any(
        isinstance(t, ast.Name) and t.id == target for t in item.targets
    ):
        return item.value
    if (
        isinstance(item, ast.AnnAssign)
        and isinstance(item.target, ast.Name)
        and item.target.id == target
    ):
        return item.value
    return None


def _field_env_name(call: ast.Call) -> str | None:
    for keyword in call.keywords:
        if keyword.arg in ("env", "alias", "validation_alias") and isinstance(
            keyword.value, ast.Constant
        ):
            value = keyword.value.value
            if isinstance(value, str):
                return value
    return None


def _field_default(call: ast.Call) -> tuple[bool, str | None]:
    """``(required, literal default)`` of a ``Field(...)`` call."""
    default: ast.expr | None = call.args[0] if call.args else None
    for keyword in call.keywords:
        if keyword.arg == "default":
            default = keyword.value
        elif keyword.arg == "default_factory":
            return False, None
    if default is None:
        return True, None
    if isinstance(default, ast.Constant) and default.value is Ellipsis:
        return True, None
    if isinstance(default, ast.Constant) and default.value is not None:
        return False, str(default.value)
    return False, None


def _dotted_tail(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript):
        return _dotted_tail(node.value)
    return ""


def _read(
    name: str, lines: LineMap, match: "re.Match[str]", rule: str, required: bool | None
) -> EnvRead:
    return EnvRead(name, *lines.span(match.start(), match.end()), rule, required)


def _call_read(
    code: str, name: str, lines: LineMap, match: "re.Match[str]", rule: str
) -> EnvRead:
    """A read through a call ``f(NAME[, default | default=...])``."""
    open_pos = code.index("(", match.start())
    end = closing_paren(code, open_pos)
    required: bool | None = None
    default: str | None = None
    if match.group("more") == ",":
        rest = code[match.end() : end]
        keyword = _DEFAULT_KW().search(rest)
        positional = _KEYWORD_ARGUMENT().match(rest) is None
        if keyword or positional:
            start = match.end() + (keyword.end() if keyword else 0)
            if not _NONE().match(code, start):
                required = False
                found = literal_at(code, start)
                default = found[0] if found else None
    return EnvRead(name, *lines.span(match.start(), end), rule, required, default)


def _with(read: EnvRead, required: bool | None) -> EnvRead:
    return EnvRead(
        read.name, read.line_start, read.line_end, read.rule, required,
        read.default, read.note,
    )  # fmt: skip
