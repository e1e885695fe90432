"""Shell-looking snippets of a Markdown or reStructuredText document.

Fenced and indented blocks, ``.. code-block::`` literals and inline code in
prose, each with the headings it sits under, for ``readme`` to judge.
"""

import re
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from pta_analyzer.deferred import regex

FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*\{?\.?([\w+-]*)")
ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
SETEXT = re.compile(r"^\s{0,3}(={2,}|-{2,})\s*$")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_QUOTE = re.compile(r"^\s*(?:>\s?)+")
_LIST_START = re.compile(r"^\s*(?:(?:[-*+]|\d+[.)])\s+)?(?:\*\*|__)?$")
_RUN_VERB = re.compile(
    r"(?i)\b(?:run|running|execute|type|use|using|start|launch|invoke|call|"
    r"with|via|do|enter|try|then|and|or)\b[^`]{0,40}$"
)
# A match of _RUN_VERB starts fewer characters than this before the end (the
# longest verb, 40 and a newline ``$`` may stand before); searched from
# there, ``\b`` still sees the character before.
_RUN_VERB_REACH = 50
_INLINE_CODE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
# Prose that says to run the path after it ("run `./setup.sh`").
_RUN_PATH = re.compile(
    r"(?i)\b(?:run|running|execute|executing|invoke|launch|type)\s+"
    r"(?:(?:the|this)\s+)?(?:(?:script|file|program|command)\s+)?$"
)
_RUN_WORD = re.compile(r"(?i)\b(?:use|enter|then|and|or|with)\s+$")
_FILE_NAME = re.compile(
    r"\.(?:py|sh|bash|js|mjs|ts|rb|go|rs|php|md|rst|txt|json|ya?ml|toml|cfg|ini|"
    r"env|lock)$",
    re.I,
)
RST_ADORNMENT = re.compile(r"^([=\-~^*#\"'`:.+_])\1{2,}\s*$")
_RST_CODE = regex(r"^\s*\.\.\s+(?:code-block|code|sourcecode)::\s*(\w*)")


class Snippet(NamedTuple):
    """Shell-looking text of a document and the headings it is under."""

    lines: tuple[tuple[int, str], ...]
    headings: tuple[str, ...]
    language: str | None  # None: inline code in prose
    rule: str


def md_snippets(lines: Sequence[str]) -> Iterator[Snippet]:
    """Fenced and indented code blocks and inline code of Markdown text.

    Block quotes are read as their content, so a fence inside one counts.
    """
    lines = [_QUOTE.sub("", line) if ">" in line else line for line in lines]
    headings: list[tuple[int, str]] = []
    index = 0
    previous_blank = True
    in_list = False
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line) if "```" in line or "~~~" in line else None
        if fence:
            block, index = _fenced(lines, index, fence)
            yield Snippet(
                block, _titles(headings), fence.group(3).lower(), "code_block"
            )
            previous_blank = False
            continue
        heading = heading_at(lines, index)
        if heading is not None:
            level, text, used = heading
            headings = [h for h in headings if h[0] < level] + [(level, text)]
            # "### `npm start`" headings name the command they describe.
            if "`" in text:
                yield from _inline(index + 1, text, headings[:-1], anywhere=True)
            index += used
            previous_blank, in_list = True, False
            continue
        if previous_blank and not in_list and _is_indented(line):
            block, index = _indented(lines, index)
            yield Snippet(block, _titles(headings), "", "indented_block")
            continue
        if line.strip():
            in_list = bool(LIST_ITEM.match(line)) or (in_list and line[:1].isspace())
            if "`" in line:
                yield from _inline(index + 1, line, headings)
        previous_blank = not line.strip()
        index += 1


def _fenced(
    lines: Sequence[str], start: int, fence: "re.Match[str]"
) -> tuple[tuple[tuple[int, str], ...], int]:
    indent = len(fence.group(1))
    marker = fence.group(2)
    block: list[tuple[int, str]] = []
    index = start + 1
    while index < len(lines):
        line = lines[index]
        if line.strip().startswith(marker[0] * len(marker)) and not line.strip(
            marker[0] + " \t"
        ):
            return tuple(block), index + 1
        block.append((index + 1, line[indent:] if line[:indent].isspace() else line))
        index += 1
    return tuple(block), index


def heading_at(lines: Sequence[str], index: int) -> tuple[int, str, int] | None:
    """``(level, text, lines used)`` when a heading starts at ``index``.

    The patterns run only on lines holding the characters they need.
    """
    line = lines[index]
    atx = ATX.match(line) if "#" in line else None
    if atx:
        return len(atx.group(1)), atx.group(2), 1
    following = lines[index + 1] if index + 1 < len(lines) else ""
    if "==" not in following and "--" not in following:
        return None  # no underline
    if line.strip() and not LIST_ITEM.match(line):
        underline = SETEXT.match(following)
        if underline and not line.startswith((" ", "\t", "|")):
            return (1 if underline.group(1)[0] == "=" else 2), line.strip(), 2
    return None


def _is_indented(line: str, minimum: int = 4) -> bool:
    return (line.startswith(" " * minimum) or line.startswith("\t")) and bool(
        line.strip()
    )


def _indented(
    lines: Sequence[str], start: int, minimum: int = 4
) -> tuple[tuple[tuple[int, str], ...], int]:
    block: list[tuple[int, str]] = []
    index = start
    while index < len(lines) and (
        _is_indented(lines[index], minimum) or not lines[index].strip()
    ):
        if lines[index].strip():
            block.append((index + 1, lines[index].strip()))
        index += 1
    return tuple(block), index


def _inline(
    number: int, line: str, headings: list[tuple[int, str]], anywhere: bool = False
) -> Iterator[Snippet]:
    """Inline code that the line tells the reader to run.

    In prose, a span counts when it starts a list item or a table cell, or
    follows a verb such as "run" or "type"; "edit `setup.py`" names a file.
    """
    for match in _INLINE_CODE.finditer(line):
        before = line[: match.start()]
        starts = _LIST_START.match(before) or before.rstrip().endswith("|")
        if not anywhere and not (starts or _follows_run_verb(before)):
            continue
        text = match.group(1).strip()
        if _is_bare_path(text) and not _RUN_PATH.search(before):
            continue  # "models in `app/models.py`" names a file
        if not anywhere and " " not in text and not _says_run(before, starts):
            continue  # "a server using `nodemon`" names a tool
        yield Snippet(((number, text),), _titles(headings), None, "inline_code")


def _follows_run_verb(before: str) -> bool:
    start = max(0, len(before) - _RUN_VERB_REACH)
    return _RUN_VERB.search(before, start) is not None


def _says_run(before: str, starts: object) -> bool:
    """Whether prose right before a one-word span tells the reader to run it."""
    return bool(starts) or bool(_RUN_WORD.search(before) or _RUN_PATH.search(before))


def _is_bare_path(text: str) -> bool:
    """A lone file or directory name (``app/db.py``, ``./tests/``, ``VCR.py``)."""
    if any(char.isspace() for char in text):
        return False
    return "/" in text or bool(_FILE_NAME.search(text))


def _titles(headings: list[tuple[int, str]]) -> tuple[str, ...]:
    return tuple(text for _level, text in headings)


def rst_snippets(lines: Sequence[str]) -> Iterator[Snippet]:
    """``::`` literal blocks, code directives and inline literals of reST."""
    headings: list[tuple[str, str]] = []
    index = 0
    expect_literal = False
    language: str = ""
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() and RST_ADORNMENT.match(following) and not line[:1].isspace():
            style = following.strip()[0]
            levels = [h[0] for h in headings]
            if style in levels:
                headings = headings[: levels.index(style)]
            headings.append((style, line.strip()))
            index += 2
            continue
        directive = _RST_CODE().match(line)
        if directive or line.rstrip().endswith("::"):
            expect_literal = True
            language = directive.group(1).lower() if directive else ""
            index += 1
            continue
        if expect_literal and _is_indented(line, 1):
            block, index = _indented(lines, index, 1)
            titles = tuple(text for _style, text in headings)
            yield Snippet(block, titles, language, "literal_block")
            expect_literal = False
            continue
        if line.strip():
            expect_literal = False
            for match in re.finditer(r"``([^`]+)``", line):
                text = match.group(1).strip()
                before = line[: match.start()]
                if _is_bare_path(text) and not _RUN_PATH.search(before):
                    continue
                titles = tuple(text for _style, text in headings)
                yield Snippet(((index + 1, text),), titles, None, "inline_code")
        index += 1
