"""Shared pieces of the environment-variable scanners (``envvars_*.py``).

A scanner turns the text of one file into ``EnvRead``s: a variable name, the
lines that read it, whether the program fails without it and the literal
default it states. ``envvars.extract`` turns the reads into facts. Scanners
only see one file: a name is read when it is a literal string, or a constant
assigned a literal string in the same file; computed names are skipped.
"""

import bisect
import functools
import operator
import re
from collections.abc import Callable, Iterable
from itertools import accumulate, repeat
from typing import NamedTuple

from pta_analyzer.deferred import regex

# Names every process sees, set by the operating system, the shell or a CI
# runner: reading them says nothing about how to configure the application.
AMBIENT_NAMES = frozenset(
    {
        # POSIX shell and login session
        "PATH", "HOME", "PWD", "OLDPWD", "TERM", "SHELL", "USER", "USERNAME",
        "LOGNAME", "LANG", "LANGUAGE", "TMPDIR", "TMP", "TEMP", "HOSTNAME",
        "EDITOR", "VISUAL", "PAGER", "DISPLAY", "TZ", "SHLVL", "COLUMNS",
        "LINES", "MAIL", "PS1", "PS2", "PROMPT_COMMAND", "IFS", "OSTYPE",
        "HOSTTYPE", "MACHTYPE", "UID", "EUID", "PPID", "RANDOM", "SECONDS",
        "BASH_VERSION", "BASH_VERSINFO", "ZSH_VERSION", "KSH_VERSION",
        "SHELLOPTS", "SSH_AUTH_SOCK", "COLORTERM", "TERM_PROGRAM", "NO_COLOR",
        "FORCE_COLOR", "CLICOLOR", "CLICOLOR_FORCE", "WAYLAND_DISPLAY",
        # bash's own variables, set in every script
        "BASH", "BASH_SOURCE", "BASH_LINENO", "BASH_REMATCH", "BASH_ARGV",
        "BASH_ARGC", "BASH_COMMAND", "BASH_SUBSHELL", "BASHPID", "FUNCNAME",
        "LINENO", "PIPESTATUS", "OPTARG", "OPTIND", "REPLY", "HISTFILE",
        # Windows session
        "APPDATA", "LOCALAPPDATA", "USERPROFILE", "PROGRAMFILES",
        "PROGRAMDATA", "SYSTEMROOT", "WINDIR", "COMSPEC", "PATHEXT",
        "HOMEDRIVE", "HOMEPATH", "COMPUTERNAME",
        # CI runners announcing themselves
        "CI", "GITHUB_ACTIONS", "GITLAB_CI", "TRAVIS", "CIRCLECI", "BUILDKITE",
        "JENKINS_URL", "TF_BUILD",
    }
)  # fmt: skip
AMBIENT_PREFIXES = ("LC_", "XDG_")

# Switches of an interpreter, a package manager or a build tool: they change
# how the tool runs, not what the application needs.
TOOL_SWITCHES = frozenset(
    {
        "PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PYTHONPATH",
        "PYTHONHASHSEED", "PYTHONIOENCODING", "PYTHONWARNINGS",
        "PYTHONOPTIMIZE", "PYTHONBREAKPOINT", "PYTHONSTARTUP", "PYTHONHOME",
        "PYTHONUTF8", "VIRTUAL_ENV", "CONDA_PREFIX", "PIP_NO_CACHE_DIR",
        "NODE_OPTIONS", "NODE_PATH", "NODE_NO_WARNINGS", "GOPATH", "GOROOT",
        "GOOS", "GOARCH", "GOFLAGS", "GO111MODULE", "CGO_ENABLED", "GOPROXY",
        "RUST_BACKTRACE", "RUSTFLAGS", "OUT_DIR", "JAVA_HOME",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "MAVEN_OPTS", "GRADLE_OPTS",
        "RUBYOPT", "RUBYLIB", "GEM_HOME", "GEM_PATH", "BUNDLE_GEMFILE",
        "BUNDLE_PATH", "BUNDLE_WITHOUT", "PERL5LIB", "COMPOSER_HOME",
        "DEBIAN_FRONTEND", "LD_LIBRARY_PATH", "LD_PRELOAD",
    }
)  # fmt: skip
TOOL_PREFIXES = ("CARGO_", "NPM_CONFIG_", "DYLD_")

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

# A name argument: a quoted literal or an identifier (a same-file constant).
NAME_ARG = r"""(?:"(?P<dq>[^"\\\n]*)"|'(?P<sq>[^'\\\n]*)'|(?P<ident>[A-Za-z_][\w.]*))"""

_LITERAL = re.compile(
    r"""\s*(?:"(?P<dq>[^"\\\n]*)"|'(?P<sq>[^'\\\n]*)'|`(?P<bq>[^`\\$\n]*)`"""
    r"""|(?P<num>-?\d+(?:\.\d+)?)\b|(?P<word>true|false|True|False)\b)"""
)
# ``NAME: Type = "VALUE"`` at the start of a line, with a declaring keyword or
# two. Written so that no stretch of blanks can be split in more than one way
# (blanked comments leave long ones): ``^[^\S\n]*`` (from a blank line ``\s*``
# reached the next line's name: the same match, started earlier), and the
# annotation ``:\s*[\w&'<> ]+`` with the blanks around it as one blank run,
# then either a run of ``[\w&'<>]`` (spaces inside) or only blanks
# holding a space. The same names and values, ending at the same places.
_ANNOTATION = r"(?::(?:\s*[\w&'<>](?: *[\w&'<>])*\s*|[^\S ]* \s*))?"
_CONSTANT = regex(
    r"""(?m)^[^\S\n]*(?:export\s+)?(?:(?:pub|public|private|protected|static"""
    r"""|final|const|let|var|val|readonly)\s+)*(?:String\s+)?"""
    rf"""(?P<ident>[A-Za-z_]\w*)\s*{_ANNOTATION}:?="""
    r"""\s*["'](?P<value>[A-Za-z_][A-Za-z0-9_]*)["']\s*;?\s*$"""
)
# Strings are written unrolled (``"[^"\\\n]*(?:\\.[^"\\\n]*)*"``): the same
# matches as ``"(?:\\.|[^"\\\n])*"``, with one step per run of plain characters.
_DOUBLE_QUOTED = r'"[^"\\\n]*(?:\\.[^"\\\n]*)*"'
_SINGLE_QUOTED = r"'[^'\\\n]*(?:\\.[^'\\\n]*)*'"
_BACK_QUOTED = r"`[^`\\]*(?:\\.[^`\\]*)*`"
_RUST_STRING = r'"[^"\\]*(?:\\.[^"\\]*)*"'
_RUST_CHAR = r"'(?:\\.|[^'\\])'"
# Triple-quoted strings count as comments: in Python they are docstrings,
# whose examples (``os.environ['X']``) are not reads.
_TRIPLE_DOUBLE = r'"""[\s\S]*?"""'
_TRIPLE_SINGLE = r"'''[\s\S]*?'''"
_BLOCK_COMMENT = r"/\*[\s\S]*?\*/"
_NOT_A_COMMENT = rf"(?!//|{_BLOCK_COMMENT})/"


def _to_next_comment(
    plain: str, steps: str, comments: str
) -> Callable[[], "re.Pattern[str]"]:
    """A pattern from where one comment ends to the end of the next (``c``).

    It steps as a left-to-right search for strings and comments does: over
    a run of ``plain`` characters (none starts either), over a whole string,
    over a character that starts neither; so one match per comment, not one
    per string. Possessive: nothing is given back, so the last match fails in
    one pass. Used with ``match`` from the previous end, never a search.
    """
    return regex(rf"(?:[^{plain}]++|{steps})*+(?P<c>{comments})")


_NOISE = {
    "c": _to_next_comment(
        "\"'`/",
        rf"""{_DOUBLE_QUOTED}|"|{_SINGLE_QUOTED}|'|{_BACK_QUOTED}|`"""
        rf"|{_NOT_A_COMMENT}",
        rf"//[^\n]*|{_BLOCK_COMMENT}",
    ),
    "hash": _to_next_comment(
        "\"'#",
        rf"""(?!{_TRIPLE_DOUBLE})(?:{_DOUBLE_QUOTED}|")"""
        rf"""|(?!{_TRIPLE_SINGLE})(?:{_SINGLE_QUOTED}|')""",
        rf"{_TRIPLE_DOUBLE}|{_TRIPLE_SINGLE}|#[^\n]*",
    ),
    "rust": _to_next_comment(
        "\"'/",
        rf"""{_RUST_STRING}|"|{_RUST_CHAR}|'|{_NOT_A_COMMENT}""",
        rf"//[^\n]*|{_BLOCK_COMMENT}",
    ),
    "php": _to_next_comment(
        "\"'/#",
        rf"""{_DOUBLE_QUOTED}|"|{_SINGLE_QUOTED}|'|{_NOT_A_COMMENT}""",
        rf"//[^\n]*|\#[^\n]*|{_BLOCK_COMMENT}",
    ),
}
_BRACKET_EVENT = regex(r"""[()\[\]{}"'`\\]""")
# A bracketed span holding no bracket, backslash or open quote outside its
# quoted strings, and no backslash inside them: where ``closing_paren`` finds
# its end in one match. (Possessive: a run is never split on the way back.)
_UNNESTED_BODY = r"""(?:[^()\[\]{}"'`\\]++|"[^"\\]*+"|'[^'\\]*+'|`[^`\\]*+`)*+"""
_UNNESTED = {
    "(": regex(rf"\({_UNNESTED_BODY}\)"),
    "[": regex(rf"\[{_UNNESTED_BODY}\]"),
    "{": regex(rf"\{{{_UNNESTED_BODY}\}}"),
}


class EnvRead(NamedTuple):
    """One place where a file reads (or sets a default for) a variable.

    A named tuple: scanners make one per read, hundreds of thousands in a
    large tree, and a tuple is built several times faster than a frozen
    dataclass.
    """

    name: str
    line_start: int
    line_end: int
    rule: str  # e.g. "python.os_environ"
    required: bool | None = None
    default: str | None = None
    note: str = ""


class LineMap:
    """Turns character offsets of a text into 1-based line numbers.

    The offsets of line starts are found on the first lookup only: most texts
    a scanner maps hold no read at all.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._starts: list[int] | None = None

    def line(self, offset: int) -> int:
        """The 1-based line holding ``offset``."""
        if self._starts is None:
            # Each line's length plus its newline, summed in C: a line starts
            # where the ones before it end (the last sum is past the text).
            lengths = map(operator.add, map(len, self._text.split("\n")), repeat(1))
            self._starts = [0, *accumulate(lengths)]
            self._starts.pop()
        return bisect.bisect_right(self._starts, offset)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """First and last line of the characters ``start..end`` (exclusive)."""
        return self.line(start), self.line(max(start, end - 1))


def word_not_after(word: str, before: str) -> str:
    """A regex for ``word`` where the character before it is not in ``before``.

    The same matches as ``(?<!before)word``, written word first so that the
    search skips to the word instead of trying every position.
    """
    escaped = re.escape(word)
    return rf"{escaped}(?<!{before}{escaped})"


def is_ambient(name: str) -> bool:
    """True for names set by the system or a tool switch, not the app's."""
    upper = name.upper()
    return (
        upper in AMBIENT_NAMES
        or upper in TOOL_SWITCHES
        or upper.startswith(AMBIENT_PREFIXES)
        or upper.startswith(TOOL_PREFIXES)
    )


def blank_comments(text: str, style: str) -> str:
    """``text`` with its comments replaced by spaces (line breaks kept).

    Offsets and line numbers are unchanged, so a read found in the result is
    cited at the right place; a commented-out read is no longer found.
    ``style`` is ``"c"`` (// and /* */), ``"hash"`` (#), ``"rust"`` or ``"php"``.
    """
    pattern = _NOISE[style]()
    parts: list[str] = []  # the text between comments is copied in slices
    kept = 0
    while (match := pattern.match(text, kept)) is not None:
        start, end = match.span("c")
        parts.append(text[kept:start])
        parts.append(_blank(text[start:end]))
        kept = end
    if not parts:
        return text
    parts.append(text[kept:])
    return "".join(parts)


class Constants:
    """Names bound to a literal, variable-shaped string in one file.

    Found on first use only: most files read variables by literal names.
    """

    def __init__(self, text: str) -> None:
        self._text = text
        self._found: dict[str, str] | None = None

    def get(self, name: str) -> str | None:
        """The string constant ``name`` is bound to, or None."""
        if self._found is None:
            if _binding(name).search(self._text) is None:
                return None  # no constant of that name: the rest can wait
            self._found = {
                m["ident"]: m["value"] for m in _CONSTANT().finditer(self._text)
            }
        return self._found.get(name)


NO_CONSTANTS = Constants("")


def constants(text: str) -> Constants:
    """The string constants of ``text``, looked up lazily."""
    return Constants(text)


def resolve_name(match: "re.Match[str]", consts: Constants) -> str | None:
    """The variable name of a ``NAME_ARG`` match, or None when computed."""
    for group in ("dq", "sq"):
        value = match.group(group)
        if value is not None:
            return value if NAME.match(value) else None
    ident = match.group("ident")
    if ident is None:
        return None
    return consts.get(ident.rsplit(".", 1)[-1])


def literal_at(text: str, pos: int) -> tuple[str, int] | None:
    """The literal value starting at ``pos`` (after blanks) and its end offset."""
    match = _LITERAL.match(text, pos)
    if match is None:
        return None
    for group in ("dq", "sq", "bq", "num", "word"):
        value = match.group(group)
        if value is not None:
            return value, match.end()
    return None


def closing_paren(text: str, open_pos: int, limit: int = 4000) -> int:
    """Offset just after the bracket matching the one at ``open_pos``.

    Quotes are skipped. Returns ``open_pos + 1`` when unbalanced within
    ``limit`` characters, so a caller never runs away on odd input.
    """
    unnested = _UNNESTED[text[open_pos]]().match(text, open_pos, open_pos + limit)
    if unnested is not None:
        return unnested.end()
    return _closing_bracket_by_events(text, open_pos, limit)


def _closing_bracket_by_events(text: str, open_pos: int, limit: int) -> int:
    """``closing_paren`` stepping from one bracket, quote or backslash to the next."""
    pairs = {"(": ")", "[": "]", "{": "}"}
    stack = [pairs[text[open_pos]]]
    quote = ""
    end = min(len(text), open_pos + limit)
    pos = open_pos + 1
    bracket_event = _BRACKET_EVENT()
    while pos < end:
        # Jump to the next bracket, quote or backslash: nothing else counts.
        event = bracket_event.search(text, pos, end)
        if event is None:
            break
        pos = event.start()
        char = text[pos]
        if quote:
            if char == "\\":
                pos += 1
            elif char == quote:
                quote = ""
        elif char in "\"'`":
            quote = char
        elif char in pairs:
            stack.append(pairs[char])
        elif char == stack[-1]:
            stack.pop()
            if not stack:
                return pos + 1
        pos += 1
    return open_pos + 1


def keep_app_names(reads: Iterable[EnvRead]) -> list[EnvRead]:
    """The reads of valid, non-ambient names."""
    return [r for r in reads if _is_app_name(r.name)]


@functools.lru_cache(maxsize=256)
def _binding(name: str) -> "re.Pattern[str]":
    """What every ``_CONSTANT`` match binding ``name`` holds from the name on.

    Every character between a constant's name and its ``=`` is blank, ``:`` or
    one of ``[\\w&'<> ]``: one class, searched from the literal name, where
    ``_CONSTANT`` tries every line and, after a ``name:``, every way of
    sharing blank lines between its blanks and its annotation.
    """
    return re.compile(
        rf"{re.escape(name)}[\s:\w&'<> ]*=\s*[\"'][A-Za-z_][A-Za-z0-9_]*[\"']"
    )


@functools.lru_cache(maxsize=4096)
def _is_app_name(name: str) -> bool:
    """A valid, non-ambient name (a tree reads the same few names again)."""
    return NAME.match(name) is not None and not is_ambient(name)


def _blank(comment: str) -> str:
    """``comment`` with every character but its line breaks made a space."""
    if "\n" not in comment:
        return " " * len(comment)
    return "\n".join(" " * len(line) for line in comment.split("\n"))
