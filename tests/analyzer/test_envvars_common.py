"""Faster forms of the scanners' patterns find what their plain forms find.

Each plain form below is the pattern as first written, easiest to read; the
module's form is written for speed (unrolled strings, no ambiguous blanks,
searches confined to where a match can be). Hypothesis compares them on
texts made of the characters that matter.
"""

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pta_analyzer.extractors import envvars_common, envvars_python
from pta_analyzer.extractors.envvars_common import (
    NAME_ARG,
    blank_comments,
    word_not_after,
)

_PLAIN_NOISE = {
    "c": re.compile(
        r"""(?P<s>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`)"""
        r"""|(?P<c>//[^\n]*|/\*[\s\S]*?\*/)"""
    ),
    "hash": re.compile(
        r"""(?P<c>\"\"\"[\s\S]*?\"\"\"|'''[\s\S]*?'''|#[^\n]*)"""
        r"""|(?P<s>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
    ),
    "rust": re.compile(
        r"""(?P<s>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])')"""
        r"""|(?P<c>//[^\n]*|/\*[\s\S]*?\*/)"""
    ),
    "php": re.compile(
        r"""(?P<s>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')"""
        r"""|(?P<c>//[^\n]*|\#[^\n]*|/\*[\s\S]*?\*/)"""
    ),
}
_PLAIN_CONSTANT = re.compile(
    r"""(?m)^\s*(?:export\s+)?(?:(?:pub|public|private|protected|static|final"""
    r"""|const|let|var|val|readonly)\s+)*(?:String\s+)?(?P<ident>[A-Za-z_]\w*)"""
    r"""\s*(?::\s*[\w&'<> ]+)?\s*:?=\s*["'](?P<value>[A-Za-z_][A-Za-z0-9_]*)["']"""
    r"""\s*;?\s*$"""
)
_PLAIN_MEMBERSHIP = re.compile(
    rf"{NAME_ARG}\s+(?:not\s+)?in\s+(?<![\w.])(?:os\.)?environ\b(?!\.)"
)

_NOISE_WORDS = ('"', "'", "`", "\\", "\n", "#", "/", "*", "a", " ", '"' * 3, "'" * 3)
_CONSTANT_WORDS = (
    "X", "a", " ", "  ", "\n", "\t", "\xa0", ":", "=", "'", '"', "<", "&", ";",
    "const ", "let ", "String ", "'v'", '"Val"', ": T ", "\n  \n", ".",
)  # fmt: skip
_MEMBERSHIP_WORDS = (
    "x", "X1", "_", "3", ".", " ", "\n", "\xa0", " in ", "not ", "os.", "environ",
    "'K'", '"K"', "'", "é", "ab.cd", "environs", "s", "o",
)  # fmt: skip
_NOISE_TEXT = st.lists(st.sampled_from(_NOISE_WORDS), max_size=30).map("".join)
_CONSTANT_TEXT = st.lists(st.sampled_from(_CONSTANT_WORDS), max_size=24).map("".join)
_MEMBERSHIP_TEXT = st.lists(st.sampled_from(_MEMBERSHIP_WORDS), max_size=16).map(
    "".join
)


def _plain_blank(text: str, style: str) -> str:
    def blank(match: "re.Match[str]") -> str:
        if match.group("c") is None:
            return match.group(0)
        return re.sub(r"[^\n]", " ", match.group(0))

    return _PLAIN_NOISE[style].sub(blank, text)


@settings(max_examples=200)
@given(_NOISE_TEXT, st.sampled_from(["c", "hash", "rust", "php"]))
def test_blank_comments_blanks_what_the_plain_patterns_blank(
    text: str, style: str
) -> None:
    assert blank_comments(text, style) == _plain_blank(text, style)


def test_blank_comments_keeps_strings_and_line_breaks() -> None:
    text = 'a = "# no" # yes\n"""doc\nx"""\nb = 1\n'

    assert blank_comments(text, "hash") == 'a = "# no"      \n      \n    \nb = 1\n'


@settings(max_examples=200)
@given(_CONSTANT_TEXT)
def test_constants_are_the_plain_patterns_names_and_values(text: str) -> None:
    def found(pattern: "re.Pattern[str]") -> list[tuple[str, str, int]]:
        return [(m["ident"], m["value"], m.end()) for m in pattern.finditer(text)]

    assert found(envvars_common._CONSTANT()) == found(_PLAIN_CONSTANT)


def test_a_constant_is_found_past_a_blanked_docstring() -> None:
    code = "else:\n" + (" " * 60 + "\n") * 40 + "KEY: str = 'DB_URL'\n"

    assert envvars_common.constants(code).get("KEY") == "DB_URL"
    assert envvars_common.constants(code).get("OTHER") is None


@settings(max_examples=200)
@given(_MEMBERSHIP_TEXT)
def test_memberships_are_the_plain_patterns_matches(text: str) -> None:
    def found(matches: "list[re.Match[str]]") -> list[object]:
        return [(m.span(), m.groupdict()) for m in matches]

    plain = list(_PLAIN_MEMBERSHIP.finditer(text))
    assert found(list(envvars_python._memberships(text))) == found(plain)


@given(st.text(alphabet="ab.c_( \n", max_size=12))
def test_word_not_after_is_the_look_behind(text: str) -> None:
    fast = re.compile(word_not_after("ab", r"[\w.]"))
    plain = re.compile(r"(?<![\w.])ab")

    assert [m.span() for m in fast.finditer(text)] == [
        m.span() for m in plain.finditer(text)
    ]


_BRACKET_TEXT = st.lists(
    st.sampled_from(["(", ")", "[", "]", "{", "}", '"', "'", "`", "\\", "a", "\n"]),
    max_size=16,
).map("".join)


@settings(max_examples=200)
@given(st.sampled_from("([{"), _BRACKET_TEXT, st.sampled_from([4000, 3, 8]))
def test_closing_paren_in_one_match_ends_where_stepping_ends(
    opener: str, rest: str, limit: int
) -> None:
    text = "x = " + opener + rest
    stepped = envvars_common._closing_bracket_by_events(text, 4, limit)

    assert envvars_common.closing_paren(text, 4, limit) == stepped
