"""Find the few lines of a text worth reading, without a loop over every line.

Scanners run their per-line regexes only on the lines these helpers return,
so a file with no candidate costs a few substring searches in C. ``text`` is
always ``SourceText.text``: its lines joined by ``"\\n"``, so the number of
newlines before an offset gives its line.
"""

import logging
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import hyperscan

logger = logging.getLogger(__name__)

_LOCAL = threading.local()  # a Hyperscan database is not shared by threads


def lines_with(text: str, words: tuple[str, ...]) -> list[int]:
    """Sorted distinct 1-based numbers of the lines holding one of ``words``."""
    found: set[int] = set()
    for word in words:
        number = 1
        last = 0
        at = text.find(word)
        while at >= 0:
            number += text.count("\n", last, at)
            last = at
            found.add(number)
            line_end = text.find("\n", at)
            if line_end < 0:
                break
            at = text.find(word, line_end)
    return sorted(found)


def match_lines(text: str, pattern: "re.Pattern[str]") -> list[int]:
    """Sorted distinct 1-based numbers of the lines where ``pattern`` matches.

    A match spanning lines counts for the line it starts on.
    """
    numbers: list[int] = []
    number = 1
    last = 0
    for match in pattern.finditer(text):
        start = match.start()
        number += text.count("\n", last, start)
        last = start
        if not numbers or numbers[-1] != number:
            numbers.append(number)
    return numbers


def numbered_lines_with(text: str, words: tuple[str, ...]) -> list[tuple[int, str]]:
    """``(number, line)`` of the lines ``lines_with`` numbers, in order.

    The lines are cut out of ``text`` around the words found, so a file is
    never split into all of its lines to read a few.
    """
    starts: set[int] = set()
    for word in words:
        at = text.find(word)
        while at >= 0:
            starts.add(text.rfind("\n", 0, at) + 1)
            line_end = text.find("\n", at)
            if line_end < 0:
                break
            at = text.find(word, line_end)
    return lines_at(text, sorted(starts))


def caseless_lines(
    text: str, words: tuple[str, ...], keep: "Callable[[str], object] | None" = None
) -> list[tuple[int, str]]:
    """``(number, line)`` of the lines holding one of ``words`` in any ASCII case.

    ``words`` are ASCII without newlines. Only ASCII letters are folded, as
    ``re.IGNORECASE | re.ASCII`` folds them (``re.IGNORECASE`` alone also
    folds the dotted and the dotless I onto ``i``, and the Kelvin sign onto
    ``k``). One Hyperscan pass finds them, or that regex where Hyperscan
    cannot load. With ``keep``, only the lines it accepts, and only those
    are numbered (a count of the newlines before them).
    """
    database = _caseless_database(words)
    if database is None:
        pattern = re.compile(
            "|".join(re.escape(word) for word in words), re.IGNORECASE | re.ASCII
        )
        found = lines_at(text, [match.start() for match in pattern.finditer(text)])
        return [(number, line) for number, line in found if keep is None or keep(line)]

    ends: list[int] = []

    def on_match(_id: int, _start: int, end: int, _flags: int, _c: object) -> None:
        ends.append(end)

    data = text.encode("utf-8", "surrogatepass")
    database.scan(data, on_match)
    return _numbered_bytes(data, sorted(ends), keep)


def lines_at(text: str, offsets: list[int]) -> list[tuple[int, str]]:
    """``(number, line)`` of the lines of the sorted ``offsets``, each once."""
    numbered: list[tuple[int, str]] = []
    number = 1
    last = 0
    for offset in offsets:
        number += text.count("\n", last, offset)
        last = offset
        if not numbered or numbered[-1][0] != number:
            numbered.append((number, line_at(text, offset)))
    return numbered


def line_at(text: str, offset: int) -> str:
    """The line of ``text`` that character ``offset`` is on."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    return text[start:end] if end >= 0 else text[start:]


def _numbered_bytes(
    data: bytes, ends: list[int], keep: "Callable[[str], object] | None"
) -> list[tuple[int, str]]:
    """``lines_at`` of a text's UTF-8 bytes at the sorted ends of matches, kept."""
    numbered: list[tuple[int, str]] = []
    number = 1
    counted = 0  # the newlines before this offset are in ``number``
    previous = -1
    for end in ends:
        start = data.rfind(b"\n", 0, end - 1) + 1  # a match is on its last line
        if start == previous:
            continue
        previous = start
        stop = data.find(b"\n", start)
        line = (data[start:stop] if stop >= 0 else data[start:]).decode(
            "utf-8", "surrogatepass"
        )
        if keep is None or keep(line):
            number += data.count(b"\n", counted, start)
            counted = start
            numbered.append((number, line))
    return numbered


def _caseless_database(words: tuple[str, ...]) -> "hyperscan.Database | None":
    """This thread's compiled Hyperscan database of ``words``; None without it."""
    databases: dict[tuple[str, ...], hyperscan.Database] | None = getattr(
        _LOCAL, "caseless", None
    )
    if databases is None:
        databases = {}
        _LOCAL.caseless = databases
    database = databases.get(words)
    if database is not None or getattr(_LOCAL, "unavailable", False):
        return database

    expressions = [word.encode("ascii") for word in words]
    try:
        database = _compile_caseless(expressions)
    except Exception as error:  # ImportError, or hyperscan.error on this CPU
        logger.warning("hyperscan unavailable", extra={"error": str(error)})
        _LOCAL.unavailable = True
        return None
    databases[words] = database
    return database


def _compile_caseless(expressions: list[bytes]) -> "hyperscan.Database":
    import hyperscan

    database = hyperscan.Database()
    database.compile(
        expressions=expressions,
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=hyperscan.HS_FLAG_CASELESS,
        literal=True,
    )
    return database


def starts_at(text: str, first: str, pattern: "re.Pattern[str]") -> list[int]:
    """The offsets ``pattern.finditer`` starts its matches at, sooner.

    ``first`` is a character every match starts with and holds only there,
    so no match starts inside another: trying the pattern at each ``first``
    (a fast search) finds the same matches as the regex's own scan, which
    steps through every character.
    """
    starts: list[int] = []
    at = text.find(first)
    while at >= 0:
        if pattern.match(text, at):
            starts.append(at)
        at = text.find(first, at + 1)
    return starts
