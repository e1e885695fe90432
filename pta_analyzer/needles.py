"""Which of the extractors' literal words a text holds, found in one pass.

Most of an extractor's work on a file is asking whether some word is in it
(``"environ" in text``, ``"Flask(" in text``) before running a regex on the
few lines that matter. Asked one at a time, a hundred words are a hundred
passes over every file. Extractors instead declare their words once with
``register``; the first time a ``SourceText`` is asked about one, one
Hyperscan pass over its text finds every registered word it holds, and later
questions are set look-ups.

The answer is exactly ``word in text`` for every word: a word that was not
registered (or registered after the pass) is looked for with ``in``, and
where Hyperscan cannot load (a platform without its wheel, a CPU without the
instructions it needs) every word is.
"""

import logging
import threading
from collections.abc import Collection
from typing import NamedTuple

logger = logging.getLogger(__name__)

_REGISTERED: dict[str, None] = {}  # insertion-ordered, for a stable pattern id
_LOCAL = threading.local()  # a Hyperscan database is not shared by threads


def register(*words: str) -> tuple[str, ...]:
    """Declare ``words`` as asked about often; returns them, for constants.

    Raises ValueError for an empty word (every text holds it).
    """
    for word in words:
        if not word:
            raise ValueError("an empty word cannot be registered")
        _REGISTERED.setdefault(word, None)
    return words


class WordsFound(NamedTuple):
    """The registered words one text holds, and which words were looked for."""

    found: frozenset[str]
    looked_for: frozenset[str]

    def holds(self, text: str, words: Collection[str]) -> bool:
        """True when ``text`` (the text scanned) holds one of ``words``."""
        if not self.found.isdisjoint(words):
            return True
        if self.looked_for.issuperset(words):
            return False
        return any(word not in self.looked_for and word in text for word in words)


def words_in(text: str) -> WordsFound:
    """The registered words that ``text`` holds, found in one pass."""
    scanner = _scanner()
    if scanner is None:
        return WordsFound(frozenset(), frozenset())
    return WordsFound(scanner.scan(text), scanner.word_set)


def registered() -> tuple[str, ...]:
    """Every registered word, in registration order."""
    return tuple(_REGISTERED)


class _Scanner:
    """One compiled Hyperscan database of the words registered so far."""

    def __init__(self, words: tuple[str, ...]) -> None:
        import hyperscan

        self.words = words
        self.word_set = frozenset(words)
        self._database = hyperscan.Database()
        self._database.compile(
            expressions=[word.encode("utf-8") for word in words],
            ids=list(range(len(words))),
            elements=len(words),
            flags=hyperscan.HS_FLAG_SINGLEMATCH,
            literal=True,
        )

    def scan(self, text: str) -> frozenset[str]:
        found: list[int] = []

        def on_match(
            pattern: int, _start: int, _end: int, _flags: int, _c: object
        ) -> None:
            found.append(pattern)

        self._database.scan(text.encode("utf-8", "surrogatepass"), on_match)
        words = self.words
        return frozenset(words[pattern] for pattern in found)


def _scanner() -> "_Scanner | None":
    """This thread's scanner for the current registry, None without Hyperscan."""
    scanner: _Scanner | None = getattr(_LOCAL, "scanner", None)
    if scanner is not None and len(scanner.words) == len(_REGISTERED):
        return scanner
    if getattr(_LOCAL, "unavailable", False) or not _REGISTERED:
        return None

    try:
        scanner = _Scanner(tuple(_REGISTERED))
    except Exception as error:  # ImportError, or hyperscan.error on this CPU
        logger.warning("hyperscan unavailable", extra={"error": str(error)})
        _LOCAL.unavailable = True
        return None
    _LOCAL.scanner = scanner
    return scanner
