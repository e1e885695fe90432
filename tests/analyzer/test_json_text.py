"""The dossier's JSON text is json.dumps(indent=2, ensure_ascii=False)'s."""

import enum
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pta_analyzer import api
from pta_analyzer.api import analyze_repository, json_text

CHECKOUT = Path(__file__).resolve().parents[2]
DEMO = CHECKOUT / "examples" / "demo-service"


class Colour(enum.Enum):
    RED = "red"


class Level(enum.StrEnum):
    HIGH = "high"


class Rank(enum.IntEnum):
    FIRST = 1


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
)


@pytest.mark.parametrize("source", [DEMO, CHECKOUT], ids=["demo", "checkout"])
def test_written_documents_are_json_dumps_text(
    source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    documents: list[Any] = []

    def recording(document: Any) -> str:
        documents.append(document)
        return json_text(document)

    monkeypatch.setattr(api, "json_text", recording)
    analyze_repository(source, tmp_path / "out")

    assert len(documents) == 4
    for document in documents:
        assert json_text(document) == dumps(document)


@pytest.mark.parametrize(
    "value",
    [
        0.0, -0.0, 1e-4, 0.1234, 1.0, 1e16, 1e22, 1.7976931348623157e308, 5e-324,
        1e-05, 1e-07, 9.99e-05, float("nan"), float("inf"), float("-inf"),
        2**63 - 1, -(2**63), 2**64, -(2**63) - 1, True, None,
        "é日本😀", "\u2028\u2029", "a\x00\x01\x1f\x7fb", "\b\f\n\r\t\"\\/",
        "\udcff", {}, [], {"a": {}, "b": [[]]}, ("tuple", 1), {"b": 1, "a": 2},
        {1: "int key"}, {None: 1}, Level.HIGH, Rank.FIRST, [Level.HIGH, 0.5],
    ],
)  # fmt: skip
def test_json_text_is_json_dumps_text_for_awkward_values(value: Any) -> None:
    assert json_text({"value": value}) == dumps({"value": value})


@given(JSON_VALUES)
def test_json_text_is_json_dumps_text_for_any_json(document: Any) -> None:
    assert json_text(document) == dumps(document)


def test_a_value_json_cannot_write_is_refused_as_json_refuses_it() -> None:
    with pytest.raises(TypeError):
        dumps({"colour": Colour.RED})

    with pytest.raises(TypeError):
        json_text({"colour": Colour.RED})
