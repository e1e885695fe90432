"""Find the few lines of a text worth reading, without a loop over every line.

Scanners run their per-line regexes only on the lines these helpers return,
so a file with no candidate costs a few substring searches in C. ``text`` is
always ``SourceText.text``: its lines joined by ``"\\n"``, so the number of
newlines before an offset gives its line.
"""

import re


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


def candidate_lines(
    text: str, rules: "tuple[tuple[str, re.Pattern[str]], ...]"
) -> list[int]:
    """Sorted 1-based numbers of the lines matching any rule's pattern.

    A rule is ``(word, pattern)``: its pattern is only run when ``word`` is
    in the text. Patterns that begin with a literal are searched fast, which
    one alternation of them all is not.
    """
    found: set[int] = set()
    for word, pattern in rules:
        if word in text:
            found.update(match_lines(text, pattern))
    return sorted(found)
