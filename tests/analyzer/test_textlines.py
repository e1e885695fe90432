"""Tests of the candidate-line helpers the source scanners share."""

import re

from pta_analyzer.extractors._textlines import (
    candidate_lines,
    lines_with,
    match_lines,
)

TEXT = "app.get('/a')\nnothing\nx.get(1); y.get(2)\n\napp.listen(80)"


def test_lines_with_numbers_each_line_once_from_first_to_last() -> None:
    assert lines_with(TEXT, (".get(",)) == [1, 3]
    assert lines_with(TEXT, ("listen", "app.")) == [1, 5]
    assert lines_with(TEXT, ("absent",)) == []
    assert lines_with("", ("x",)) == []


def test_match_lines_numbers_the_line_a_match_starts_on() -> None:
    assert match_lines(TEXT, re.compile(r"\w\.get\(")) == [1, 3]
    assert match_lines("a\nb(\nc)", re.compile(r"b\(\s*c")) == [2]


def test_candidate_lines_run_only_patterns_whose_word_is_present() -> None:
    rules = (
        ("listen", re.compile(r"listen\(")),
        ("post", re.compile(r".")),  # would match every line, but no "post"
    )
    assert candidate_lines(TEXT, rules) == [5]
