"""The lines of a text where a committed credential may be, found in one pass.

``secrets`` matches its rules only on the lines ``candidate_lines`` returns.
Each search here is a necessary condition, on the line it matches, of one or
more of those rules (the search for unquoted values counts only outside
program code, as that rule does), so the lines found hold every finding; none
matches a newline, so any byte of a match gives its line.

The searches run over a text's UTF-8 bytes, case-insensitive for ASCII letters
only (as ``bytes.lower``): in one Hyperscan pass, or with ``re`` where
Hyperscan cannot load, finding the same lines. A text holding one of
``FOLDS_TO_ASCII`` is searched ``folded_to_ascii``.
"""

import logging
import re
import threading
from collections.abc import Callable
from functools import cache

from pta_analyzer.index import SourceText
from pta_analyzer.needles import register

logger = logging.getLogger(__name__)

# Stems of secret-looking names ("passw" covers password and passwd, "key"
# api_key, private_key, access_key...).
SECRET_WORDS = ("secret", "passw", "pwd", "token", "key", "credential")
# Characters that a case-insensitive match or ``str.lower`` equates with ASCII
# letters (dotted and dotless i, long s, Kelvin sign), and those letters: the
# byte searches below would miss what the rules find in a text holding them.
FOLDS_TO_ASCII = ("\u0130", "\u0131", "\u017f", "\u212a")
_ASCII_LETTERS = tuple(zip(FOLDS_TO_ASCII, "iisk", strict=True))

# Written in the syntax that ``re`` and Hyperscan read alike.
_SPACE = rb" \t\n\r\f\x0b"  # what ``\s`` matches in a bytes regex, spelled out
# What ``\s*`` matches in a line of text, in UTF-8 (or more): any byte of a
# character outside ASCII, for the Unicode spaces.
_GAP = rb"[\t\x0b\x0c\r\x1c-\x1f \x80-\xff]*"
# A secret-looking name, ``=`` or ``:`` (or ``=>``, ``:=``) and the space
# around them: the generic rule up to its value.
_ASSIGNED = rb"(?:%s)[a-z0-9_.-]*[\"']?%s[=:][=>]?%s" % (
    b"|".join(word.encode() for word in SECRET_WORDS),
    _GAP,
    _GAP,
)
# 16 characters of the generic rule's value: 16 bytes or more, none of them a
# quote, a space or one of ``,;)`` (a character outside ASCII is bytes that
# none of these are). Unquoted, it is reported only outside program code, and
# only without brackets.
_QUOTED_VALUE = rb"[^\"'`%s,;)]{16}" % _SPACE
_UNQUOTED_CHAR = rb"[^\"'`%s,;)(\[\]<>{}]" % _SPACE
_UNQUOTED_VALUE = _UNQUOTED_CHAR + rb"{16}"
# Searches whose every match puts its line among the candidates.
_LINE_SEARCHES = (
    rb"key-----",  # a private key's BEGIN line
    # A URL with a password (no letter in it: the case does not matter).
    rb"://[^/%s:@'\"]+:[^@%s/'\"]+@[^%s/'\"]" % (_SPACE, _SPACE, _SPACE),
)
# Searches in two parts, ``(head, tail)``: the tail is matched where the head
# ends. Hyperscan finds every end of the heads, and ``re`` matches the tails
# there: counted repeats such as the tails' would make Hyperscan's compilation
# several times slower.
_SPLIT_SEARCHES = (
    # The generic rule with a quoted value.
    (_ASSIGNED + rb"[\"'`]", _QUOTED_VALUE),
    # The AWS secret key: up to 6 characters between the name and ``=`` or
    # ``:`` (4 bytes at most each), then 40 characters.
    (rb"aws_?secret_?(?:access_?)?key", rb"[^\n]{0,24}[=:][^\n]{40}"),
)
# The generic rule with an unquoted value: the value may start at the last
# byte of a match, where ``_UNQUOTED_VALUE`` is matched (only for the texts
# outside program code).
_UNQUOTED_HEAD = _ASSIGNED + _UNQUOTED_CHAR
# The other token rules (all case-sensitive): ``(word, regex)``, the regex a
# necessary condition of the rules named beside it, holding ``word``. Most
# files hold none of the words (asked of ``needles``), and go no further.
_TOKEN_SEARCHES = (
    ("AKIA", rb"AKIA[0-9A-Z]{16}"), ("ASIA", rb"ASIA[0-9A-Z]{16}"),  # AWS key id
    ("AIza", rb"AIza[0-9A-Za-z_-]{35}"),  # Google API key
    *((f"gh{c}_", rb"gh%s_[A-Za-z0-9]{36}" % c.encode()) for c in "pousr"),  # GitHub
    ("github_pat_", rb"github_pat_[A-Za-z0-9_]{22}"),
    ("xox", rb"xox[baprs]-[A-Za-z0-9-]{10}"),  # Slack token
    ("hooks.slack.com", rb"hooks\.slack\.com/services/T"),  # Slack webhook
    ("_live_", rb"_live_[A-Za-z0-9]{16}"),  # Stripe
    ("eyJ", rb"eyJ[A-Za-z0-9_-]{10,}\.eyJ"),  # JWT
)  # fmt: skip
TOKEN_WORDS = register(*(word for word, _ in _TOKEN_SEARCHES))
_LOCAL = threading.local()  # a Hyperscan database is not shared by threads


def candidate_lines(
    source: SourceText, data: bytes, holds_tokens: bool, quoted_only: Callable[[], bool]
) -> list[tuple[int, str]]:
    """``(offset, line)`` of the lines of ``source`` where a rule may match.

    In line order; ``data`` is the text in UTF-8, ``offset`` where the line
    starts in it; ``holds_tokens`` when the text holds one of
    ``TOKEN_WORDS``. ``quoted_only()`` is True when the text is program code,
    where the generic rule takes quoted values only (asked only when a
    secret-looking name is assigned something unquoted). A text holding one
    of ``FOLDS_TO_ASCII`` is searched ``folded_to_ascii``: its lines are then
    the folded ones.
    """
    offsets, unquoted = _search_offsets(data)
    if unquoted and not quoted_only():
        value = _tail_regexes()[-1]
        offsets.extend([at for at in unquoted if value.match(data, at) is not None])
    if holds_tokens:
        for word, regex in _token_regexes():
            if source.holds(word):
                offsets.extend([match.start() for match in regex.finditer(data)])
    return _lines_at(data, offsets) if offsets else []


def folded_to_ascii(text: str) -> str:
    """``text`` with each of ``FOLDS_TO_ASCII`` replaced by its ASCII letter.

    A case-insensitive match of a rule on a line of ``text`` is then a match
    of the searches on the same line of the result (as many newlines).
    """
    for char, letter in _ASCII_LETTERS:
        text = text.replace(char, letter)
    return text


class LineCounter:
    """Numbers of the lines at offsets of ``data``, asked in increasing order.

    Only lines with a finding need a number: most candidate lines have none,
    and counting the newlines before each costs as much as the scan.
    """

    def __init__(self, data: bytes) -> None:
        self._data = data
        self._counted = 0
        self._number = 1

    def number_at(self, offset: int) -> int:
        """The 1-based number of the line holding ``offset``."""
        self._number += self._data.count(b"\n", self._counted, offset)
        self._counted = offset
        return self._number


def _search_offsets(data: bytes) -> tuple[list[int], list[int]]:
    """Offsets in the lines of ``data`` where the searches match, and where an
    unquoted value may start (there if ``_UNQUOTED_VALUE`` matches)."""
    scanner = _search_scanner()
    if scanner is None:
        return _regex_offsets(data)
    return scanner.offsets(data)


def _regex_offsets(data: bytes) -> tuple[list[int], list[int]]:
    """Offsets in ``data`` of the start of each match of the searches, and of
    each unquoted value of the generic rule."""
    lowered = data.lower()
    searches, unquoted_search = _search_regexes()
    offsets: list[int] = []
    for regex in searches:
        offsets.extend([match.start() for match in regex.finditer(lowered)])
    unquoted = [match.start(1) for match in unquoted_search.finditer(lowered)]
    return offsets, unquoted


@cache
def _search_regexes() -> tuple[tuple["re.Pattern[bytes]", ...], "re.Pattern[bytes]"]:
    """The searches for ``re``, on lower-cased bytes (compiled when first asked):
    the unquoted value is the unquoted search's group."""
    searches = (*_LINE_SEARCHES, *(head + tail for head, tail in _SPLIT_SEARCHES))
    unquoted = re.compile(b"%s(%s)" % (_ASSIGNED, _UNQUOTED_VALUE))
    return tuple(re.compile(search) for search in searches), unquoted


@cache
def _tail_regexes() -> tuple["re.Pattern[bytes]", ...]:
    """The tails of ``_SPLIT_SEARCHES``, then ``_UNQUOTED_VALUE`` (no letter
    in them: the case does not matter)."""
    tails = (*(tail for _head, tail in _SPLIT_SEARCHES), _UNQUOTED_VALUE)
    return tuple(re.compile(tail) for tail in tails)


@cache
def _token_regexes() -> tuple[tuple[str, "re.Pattern[bytes]"], ...]:
    """``_TOKEN_SEARCHES`` compiled, when a text first holds one of the words."""
    return tuple((word, re.compile(regex)) for word, regex in _TOKEN_SEARCHES)


class _SearchScanner:
    """The searches compiled for Hyperscan.

    ``_LINE_SEARCHES`` are one pattern reported at the end of its line, so a
    line costs one report however many of them it holds; one pattern of
    several searches compiles faster than one per search. The heads of
    ``_SPLIT_SEARCHES`` and ``_UNQUOTED_HEAD`` are reported at each of their
    ends, where the tails are matched: few lines hold them (in a large Python
    project, one in 150).
    """

    def __init__(self) -> None:
        import hyperscan

        expressions = (
            b"(?:%s)[^\n]*$" % b"|".join(_LINE_SEARCHES),
            *(head for head, _tail in _SPLIT_SEARCHES),
            _UNQUOTED_HEAD,
        )
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=list(expressions),
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_MULTILINE,
        )

    def offsets(self, data: bytes) -> tuple[list[int], list[int]]:
        """Offsets in the lines of ``data`` where the searches match, and
        where an unquoted value may start."""
        offsets: list[int] = []
        unquoted: list[int] = []
        tails = _tail_regexes()
        last = len(tails)  # the id of the unquoted head

        def record(search: int, _start: int, end: int, _f: int, _c: object) -> None:
            if search == 0:
                offsets.append(end - 1)  # the line's last byte: no match is empty
            elif search == last:
                unquoted.append(end - 1)  # the head's last character
            elif tails[search - 1].match(data, end) is not None:
                offsets.append(end)  # the tail's first byte

        self._database.scan(data, record)
        return offsets, unquoted


def _search_scanner() -> _SearchScanner | None:
    """This thread's scanner of the searches, None without Hyperscan."""
    scanner: _SearchScanner | None = getattr(_LOCAL, "scanner", None)
    if scanner is not None or getattr(_LOCAL, "unavailable", False):
        return scanner

    try:
        scanner = _SearchScanner()
    except Exception as error:  # ImportError, or hyperscan.error on this CPU
        logger.warning("hyperscan unavailable", extra={"error": str(error)})
        _LOCAL.unavailable = True
        return None
    _LOCAL.scanner = scanner
    return scanner


def _lines_at(data: bytes, offsets: list[int]) -> list[tuple[int, str]]:
    """``(start, line)`` of each line of ``data`` holding one of ``offsets``.

    The line is decoded from its own bytes: the same string as the text's
    line, without splitting the whole text into lines.
    """
    lines: list[tuple[int, str]] = []
    line_end = -1
    for offset in sorted(offsets):
        if offset <= line_end:
            continue  # on the line just taken
        start = data.rfind(b"\n", 0, offset) + 1
        line_end = data.find(b"\n", offset)
        if line_end == -1:
            line_end = len(data)
        lines.append((start, data[start:line_end].decode("utf-8", "surrogatepass")))
    return lines
