"""Shell text as commands: split it into commands and say what each one does.

READMEs, CI pipelines and scripts hold shell text. ``split_commands`` turns
numbered lines into single commands (prompts stripped, backslash
continuations joined, ``&&`` / ``;`` chains split, ``cd DIR`` followed), and
``classify`` says whether a command installs, builds, runs, tests or migrates
a project, for the common tools of each ecosystem. Both are pure functions of
their text.
"""

import re
from collections.abc import Collection, Iterable, Sequence
from functools import lru_cache
from typing import NamedTuple

from pta_analyzer.facts import FactKind
from pta_analyzer.shelltools import ASSIGNMENT, Role, classify, words_of

__all__ = [
    "Role",
    "ShellCommand",
    "classify",
    "fact_kind",
    "is_command_text",
    "leaves_checkout_at",
    "process_of",
    "split_chain",
    "split_commands",
]

MAX_COMMAND_CHARS = 400  # longer "commands" are scripts or prose, not pasteable
MAX_CWD_DEPTH = 32  # deeper `cd` chains are not a real project's layout


class ShellCommand(NamedTuple):
    """One command of some shell text and the input lines it came from."""

    text: str
    cwd: str  # relative to where the text runs ("" = there)
    first_line: int
    last_line: int


def fact_kind(role: Role, run_default: FactKind = FactKind.DEV) -> FactKind:
    """The fact kind of a role; a bare RUN becomes ``run_default``."""
    if role is Role.RUN:
        return run_default
    return FactKind(str(role))


def split_commands(
    lines: Iterable[tuple[int, str]], cwd: str = ""
) -> list[ShellCommand]:
    """The commands of numbered shell lines, in order.

    ``lines`` are ``(line number, text)`` pairs. Prompts (``$ ``, ``> ``,
    ``(venv)$ ``) are stripped, comments and output-looking lines dropped,
    continuations joined, chains split; ``cd DIR`` changes the ``cwd`` of the
    commands after it and is not itself returned. After a ``cd`` to a place
    outside the tree (absolute, ``~``, a variable) nothing more is returned.
    ``export NAME=value`` and bare assignments are declarations, not commands.
    """
    commands: list[ShellCommand] = []
    current: str | None = cwd
    outer: str | None = None  # the directory to return to after a subshell
    for first, last, logical in _logical_lines(lines):
        for chained in split_chain(logical):
            part, opens, closes = _subshell(chained)
            if opens:
                outer = current
            if current is None:
                return commands
            words = words_of(part) if len(part) <= MAX_COMMAND_CHARS else []
            if words and words[0] == "cd":
                current = _change_directory(current, words[1:])
            elif words and not _is_declaration(words) and is_command_text(part):
                commands.append(ShellCommand(part, current, first, last))
            if closes and outer is not None:
                current, outer = outer, None
    return commands


def leaves_checkout_at(
    lines: Iterable[tuple[int, str]], directories: Collection[str]
) -> int | None:
    """The line where shell text ``cd``s out of the checkout, or None.

    Out means an absolute or home path (``cd /tmp/foo``), or a directory the
    text itself made (``wagtail start mysite && cd mysite``) that is not one
    of ``directories``. After a ``git clone`` the new directory is the
    checkout, so ``cd`` into it stays inside.
    """
    made: set[str] = set()
    cloned = False
    for first, _last, logical in _logical_lines(lines):
        for chained in split_chain(logical):
            words = words_of(_subshell(chained)[0])
            if not words:
                continue
            if words[0] != "cd":
                cloned = cloned or words[:2] == ["git", "clone"]
                made.update(word.rstrip("/") for word in words[1:])
                continue
            target = words[1].rstrip("/") if len(words) > 1 else "~"
            if target.startswith(("/", "~")):
                return first
            if target in made and target not in directories and not cloned:
                return first
    return None


def is_command_text(text: str) -> bool:
    """False for text that cannot be pasted as one command.

    Placeholders (``<your-token>``, ``YOUR_API_KEY``), template expressions
    (``${{ matrix.x }}``), and over-long text are rejected.
    """
    if not text or len(text) > MAX_COMMAND_CHARS:
        return False
    if "${{" in text or "{{" in text:
        return False
    if _PLACEHOLDER.search(text):
        return False
    return not _PROSE_END.search(text)


def process_of(command: str) -> str:
    """``worker`` or ``scheduler`` for background processes, else ``web``."""
    words = set(words_of(command))
    if words & {"beat", "clock"}:
        return "scheduler"
    if words & {"worker", "sidekiq", "rqworker", "dramatiq", "huey_consumer"}:
        return "worker"
    return "web"


# --- splitting -------------------------------------------------------------

_PROMPT = re.compile(r"^(?:\([\w.-]+\)\s*)?(?:[\w.@~:/-]*[$%>]|PS>)\s+")
_OUTPUT_START = re.compile(
    r"^(?:\*|\+|-|\[|INFO|WARNING|ERROR|DEBUG|=+|\d+\s|[A-Z][a-z]+:\s|\w+@\w+)"
)
_PLACEHOLDER = re.compile(
    r"<[A-Za-z][\w .-]*>|\bYOUR[_-]|\byour[_-]|\[your|\s\.\.\.\s*$|\bxxx+\b|"
    r"(?<![$\w])\{[A-Za-z][\w -]*\}",
    re.I,
)
_PROSE_END = re.compile(r"[A-Za-z]\.\s*$|\w[,:]\s*$")
_CHAIN_CHARACTERS = "&|#'\""  # and the separators: what ``split_chain`` reads


def _logical_lines(
    lines: Iterable[tuple[int, str]],
) -> list[tuple[int, int, str]]:
    numbered = list(lines)
    prompted = any(_PROMPT.match(raw.strip()) for _number, raw in numbered)
    result: list[tuple[int, int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in numbered:
        text: str | None = raw.strip()
        if not pending:
            start = number
            text = _strip_prompt(raw.strip(), prompted)
        if text is None:
            continue
        if text.endswith("\\"):
            pending.append(text[:-1].strip())
            continue
        pending.append(text)
        joined = " ".join(part for part in pending if part)
        pending = []
        if joined and not joined.startswith("#"):
            result.append((start, number, joined))
    if pending:
        joined = " ".join(part for part in pending if part)
        if joined and not joined.startswith("#"):
            result.append((start, start + len(pending) - 1, joined))
    return result


def _strip_prompt(text: str, prompted: bool) -> str | None:
    """The command after a prompt; None for a line that is output.

    In text where some lines have prompts, the lines without one are output.
    """
    match = _PROMPT.match(text)
    if match:
        return text[match.end() :].strip()
    if text.startswith("#"):
        return text
    if prompted or _OUTPUT_START.match(text):
        return None
    return text


def split_chain(text: str, separators: str = ";", comments: bool = True) -> list[str]:
    """Split on ``&&``, ``||``, a lone ``&`` and ``separators`` outside quotes.

    With ``comments``, a ``#`` that starts a word ends the text. The parts
    are stripped; empty ones are dropped.
    """
    special = _chain_marks(separators)
    parts: list[str] = []
    current: list[str] = []
    index = 0
    while (match := special.search(text, index)) is not None:
        at = match.start()
        current.append(text[index:at])
        char = text[at]
        index = at + 1
        if char in "'\"":
            close = text.find(char, index)
            index = len(text) if close < 0 else close + 1
            current.append(text[at:index])  # an unclosed quote runs to the end
        elif text.startswith(("&&", "||"), at):
            parts.append("".join(current))
            current = []
            index = at + 2
        elif char in separators or _is_background(text, at):
            parts.append("".join(current))
            current = []
        elif comments and char == "#" and (at == 0 or text[at - 1].isspace()):
            index = len(text)  # the rest is a comment
            break
        else:
            current.append(char)
    current.append(text[index:])
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


@lru_cache(maxsize=8)
def _chain_marks(separators: str) -> "re.Pattern[str]":
    """The characters ``split_chain`` looks at; others are copied in runs."""
    return re.compile("[" + re.escape(_CHAIN_CHARACTERS + separators) + "]")


def _subshell(part: str) -> tuple[str, bool, bool]:
    """The command of a chain part, whether it opens a ``(`` and closes it."""
    opens = part.startswith("(") and not part.startswith("((")
    text = part[1:].strip() if opens else part
    closes = text.endswith(")") and text.count(")") > text.count("(")
    return (text[:-1].strip() if closes else text), opens, closes


def _is_declaration(words: Sequence[str]) -> bool:
    if not words:
        return True
    if words[0] in {"export", "set", "setenv", "unset", "source", "."}:
        return True
    return all(ASSIGNMENT.match(word) for word in words)


def _change_directory(cwd: str, args: Sequence[str]) -> str | None:
    """The directory after ``cd args``; None when it leaves the tree."""
    target = args[0] if args else ""
    if target in {"$GITHUB_WORKSPACE", "${GITHUB_WORKSPACE}", "$CI_PROJECT_DIR"}:
        return ""
    if not target or target.startswith(("/", "~", "$", "-")):
        return None
    parts = [part for part in cwd.split("/") if part not in {".", ""}]
    for part in target.split("/"):
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in {".", ""}:
            parts.append(part)
    return "/".join(parts) if len(parts) <= MAX_CWD_DEPTH else None


def _is_background(text: str, index: int) -> bool:
    """A lone ``&`` that sends a command to the background (not ``2>&1``)."""
    if text[index] != "&":
        return False
    before = text[index - 1] if index else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    return before not in "<>&" and after not in ">&"
