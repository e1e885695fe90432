"""Registered words: one pass per text answers exactly as ``word in text``."""

import ast
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pta_analyzer.extractors
from pta_analyzer import needles
from pta_analyzer.extractors import all_extractors
from pta_analyzer.index import RepoIndex
from tests.analyzer.conftest import MakeRepo

EXTRACTORS_DIR = Path(pta_analyzer.extractors.__file__).parent
WORDS = needles.register("environ", "Flask(", "é-ü", "a\nb", "key", "keys", "ey")


def test_words_in_finds_overlapping_and_non_ascii_words() -> None:
    found = needles.words_in("api_keys = environ['X'] # é-ü")

    assert {"environ", "key", "keys", "ey", "é-ü"} <= found.found
    assert "Flask(" not in found.found
    assert found.holds("", ("Flask(", "keys"))


def test_an_unregistered_word_is_searched_for() -> None:
    text = "something unusual here"
    found = needles.words_in(text)

    assert found.holds(text, ("unusual",))
    assert not found.holds(text, ("absent-word-xyz",))


def test_empty_word_cannot_be_registered() -> None:
    with pytest.raises(ValueError, match="empty word"):
        needles.register("ok", "")


@given(st.text(alphabet="abeky\nFlask(environé-ü\u2028", max_size=60))
def test_holds_agrees_with_in_for_every_registered_word(text: str) -> None:
    found = needles.words_in(text)

    for word in needles.registered():
        assert found.holds(text, (word,)) == (word in text), word


def test_source_holds_answers_from_its_text(make_repo: MakeRepo) -> None:
    index = make_repo({"app.py": "from flask import Flask\napp = Flask(__name__)\n"})
    source = index.read("app.py")
    assert source is not None

    assert source.holds("Flask(")
    assert source.holds("nothing-like-this", "from flask")
    assert not source.holds("environ", "FastAPI(")


def test_without_hyperscan_every_word_is_searched_for(
    make_repo: MakeRepo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(needles, "_scanner", lambda: None)
    index: RepoIndex = make_repo({"a.py": "x = environ['A']\n"})
    source = index.read("a.py")
    assert source is not None

    assert source.holds("environ")
    assert not source.holds("Flask(")


def _holds_arguments() -> list[tuple[str, str]]:
    """``(module, word)`` for every literal word passed to ``.holds(...)``."""
    found: list[tuple[str, str]] = []
    for path in sorted(EXTRACTORS_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "holds"
            ):
                continue
            for argument in node.args:
                if isinstance(argument, ast.Constant) and isinstance(
                    argument.value, str
                ):
                    found.append((path.name, argument.value))
    return found


def test_every_word_an_extractor_asks_about_is_registered() -> None:
    list(all_extractors())  # imports every extractor module, which registers
    registered = set(needles.registered())

    missing = [f"{module}: {word!r}" for module, word in _holds_arguments()
               if word not in registered]  # fmt: skip

    assert not missing, "register these words (else each is a pass of its own)"


def test_hyperscan_loads_here() -> None:
    assert needles._scanner() is not None  # else every word is a pass of its own
