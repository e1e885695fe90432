"""Shell words and path names, exactly as shlex and PurePosixPath give them."""

import shlex
from pathlib import PurePosixPath

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer.shellwords import path_name, path_stem, split_words

SHELL_TEXT = st.text(
    alphabet=st.sampled_from(
        list("ab =-/.$&|;#(){}<>*\t\r\n\x0b\x0c\x85\xa0\u3000é\x00'\"\\")
    ),
    max_size=24,
)
PATHS = st.lists(st.sampled_from(["/", ".", "..", "a", "b.py", ".x", "x."])).map(
    "".join
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            "pip install -r requirements.txt",
            ["pip", "install", "-r", "requirements.txt"],
        ),
        ('echo "a \\$b \\" c"', ["echo", 'a \\$b " c']),
        ("git commit -m 'it''s'", ["git", "commit", "-m", "its"]),
        ("a\\ b 'c d'e \"\"", ["a b", "c de", ""]),
        ("x\u00a0y\x0bz", ["x\u00a0y\x0bz"]),
    ],
)
def test_split_words_reads_quotes_and_escapes(text: str, words: list[str]) -> None:
    assert split_words(text) == words


@pytest.mark.parametrize("text", ["echo 'open", 'say "open', "trailing \\"])
def test_split_words_refuses_what_shlex_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        split_words(text)


@given(SHELL_TEXT)
def test_split_words_agrees_with_shlex(text: str) -> None:
    try:
        expected: list[str] | None = shlex.split(text, comments=False)
    except ValueError:
        expected = None

    if expected is None:
        with pytest.raises(ValueError):
            split_words(text)
    else:
        assert split_words(text) == expected


@given(PATHS)
def test_path_name_and_stem_agree_with_pure_posix_path(path: str) -> None:
    assert path_name(path) == PurePosixPath(path).name
    assert path_stem(path) == PurePosixPath(path).stem
