"""Tests of the candidate-line helpers the source scanners share."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.extractors import _textlines
from pta_analyzer.extractors._textlines import (
    caseless_lines,
    line_at,
    lines_at,
    lines_with,
    match_lines,
    numbered_lines_with,
    starts_at,
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


def test_numbered_lines_with_cut_the_lines_out_of_the_text() -> None:
    assert numbered_lines_with(TEXT, (".get(",)) == [
        (1, "app.get('/a')"),
        (3, "x.get(1); y.get(2)"),
    ]
    assert numbered_lines_with(TEXT, ("listen",)) == [(5, "app.listen(80)")]
    assert numbered_lines_with("", ("x",)) == []


def test_line_at_is_the_line_of_an_offset() -> None:
    assert line_at(TEXT, 0) == "app.get('/a')"
    assert line_at(TEXT, TEXT.index("y.get")) == "x.get(1); y.get(2)"
    assert line_at(TEXT, TEXT.index("\n\n") + 1) == ""
    assert line_at(TEXT, len(TEXT) - 1) == "app.listen(80)"


def test_lines_at_numbers_each_line_of_the_offsets_once() -> None:
    offsets = [0, 4, TEXT.index("y.get"), TEXT.index("listen")]

    assert lines_at(TEXT, offsets) == [
        (1, "app.get('/a')"),
        (3, "x.get(1); y.get(2)"),
        (5, "app.listen(80)"),
    ]


CASES_TEXT = "AUTHORIZATION: x\nnone\né Authorization é\r\nauthorİzation\nx_API-key"


@pytest.mark.parametrize("hyperscan", [True, False])
def test_caseless_lines_fold_ascii_letters_only(
    hyperscan: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not hyperscan:
        monkeypatch.setattr(_textlines, "_caseless_database", lambda _words: None)

    assert caseless_lines(CASES_TEXT, ("authorization",)) == [
        (1, "AUTHORIZATION: x"),
        (3, "é Authorization é\r"),
    ]
    assert caseless_lines(CASES_TEXT, ("x-api-key", "x_api-key")) == [(5, "x_API-key")]
    assert caseless_lines("", ("authorization",)) == []
    assert caseless_lines(CASES_TEXT, ("authorization",), keep=str.isascii) == [
        (1, "AUTHORIZATION: x")
    ]
    assert caseless_lines(CASES_TEXT, ("authorization",), keep=lambda x: "é" in x) == [
        (3, "é Authorization é\r")
    ]


@given(st.text(alphabet="AaBb\n\u0130\u0131\u212aé\ud800", max_size=40))
def test_caseless_lines_agree_with_an_ascii_ignorecase_regex(text: str) -> None:
    pattern = re.compile("ab|ba", re.IGNORECASE | re.ASCII)
    lines = text.split("\n")

    expected = [(number, lines[number - 1]) for number in match_lines(text, pattern)]

    assert caseless_lines(text, ("ab", "ba")) == expected


@given(st.text(alphabet="@ab.(\n é", max_size=40))
def test_starts_at_finds_the_matches_finditer_finds(text: str) -> None:
    pattern = re.compile(r"@\w+\.(?:a|b)\(")  # holds its "@" only where it starts

    expected = [match.start() for match in pattern.finditer(text)]

    assert starts_at(text, "@", pattern) == expected
