"""YAML with line numbers: libyaml and the pure-Python parser give one tree."""

from typing import Any

import pytest
import yaml

from pta_analyzer import _yamltrees
from pta_analyzer.index import SourceText
from pta_analyzer.yamlmap import YNode, load_yaml

needs_libyaml = pytest.mark.skipif(
    getattr(yaml, "CSafeLoader", None) is None, reason="PyYAML built without libyaml"
)

WORKFLOW = """\
name: CI
on:
  push:
    branches: [main, "release/*"]
jobs:
  test:
    runs-on: ubuntu-latest
    services:
      db: &db
        image: postgres:16
    steps:
      - uses: actions/checkout@v4
      - run: |
          pip install -e .
          pytest -q
      - run: >-
          echo one
          two
  other:
    services:
      db: *db
    steps: [{run: make}]"""

# Text the two parsers read differently, or that ends where libyaml marks
# the line after the last.
TRICKY = [
    WORKFLOW,
    WORKFLOW + "\n",
    "a: 1\n---",
    "---",
    "a: 1\n---\n",
    "? a",
    "? a\n: b",
    "a:\n  - x\n  -",
    "a: &x",
    "a:\tb",
    "a: b\t# c",
    "\ufeffa: 1\n\ufeffb: 2",
    "a: |#c\n  x",
    "a: >-2#c\n    x",
    "a: [x?y, z]",
    "a: [x ?y]",
    "a: {b: c?d}",
    "a: [!!null, b]",
    "a: [!x, b]",
    "a: [!!str x, ? y]",
    "!",
    "a: !\nb: &x !\nc: !!str\nd: ! x",
    "- !\n- [!, b]",
    "a: !x.y!z v\nb: 1",
    "%TAG !e! tag:e.org,2000:\n---\na: !e!x!y v",
    "a: !<tag:x!y> v",
    "a: [b:, c]",
    "<<: {a: 1}\nb: 2",
    "a: &a [*a]",
    '"unterminated',
    "a: b: c",
    "%YAML 1.3\n---\na: 1",
    "a: 1\n...\nb: 2",
    'key: "x\\u00e9\\x41"',
    "a: 2001-12-14t21:59:43.10-05:00\nb: 0o17\nc: 1_000\nd: ~\ne: Yes",
]


def source_of(text: str) -> SourceText:
    return SourceText(path="x.yml", encoding="utf-8", file_sha256="", text=text)


def tree(node: YNode) -> Any:
    """The node with its lines and value types, for comparing parsers."""
    if isinstance(node.value, dict):
        items = [(key, tree(child)) for key, child in node.value.items()]
        return ("map", node.line, node.end_line, items)
    if isinstance(node.value, list):
        return ("seq", node.line, node.end_line, [tree(c) for c in node.value])
    return (type(node.value).__name__, node.line, node.end_line, node.value)


def loaded(text: str) -> Any:
    return [tree(document) for document in load_yaml(source_of(text))]


@needs_libyaml
@pytest.mark.parametrize("text", TRICKY)
def test_libyaml_and_pure_python_give_the_same_tree(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    fast = loaded(text)
    monkeypatch.setattr(_yamltrees, "_FAST_LOADER", None)

    assert fast == loaded(text)


@needs_libyaml
def test_ordinary_text_is_composed_by_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the pure-Python parser was used")

    monkeypatch.setattr(yaml.SafeLoader, "__init__", refuse)

    documents = load_yaml(source_of(WORKFLOW))

    assert documents[0].get("jobs") is not None


def test_lines_are_cited_as_in_the_file() -> None:
    (document,) = load_yaml(source_of(WORKFLOW))
    jobs = document.get("jobs")
    assert jobs is not None
    test = jobs.get("test")
    assert test is not None
    steps = test.get("steps")
    assert steps is not None

    assert (document.line, document.end_line) == (1, 22)
    assert [(step.line, step.end_line) for step in steps.elements()] == [
        (12, 12),
        (13, 15),
        (16, 18),
    ]


def test_not_yaml_gives_no_documents() -> None:
    assert load_yaml(source_of("a: [b\nc: d")) == []


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [*a]",
        "a: &a {b: *a}",
        "- &a\n  - x\n  - *a",
        "a: &a\n  <<: *a",
        "[" * 150 + "]" * 150,
        "a:\n" + "".join(f"{' ' * (2 * i)}- \n" for i in range(1, 400)),
        "[" * 5000 + "]" * 5000,
    ],
    ids=[
        "alias-in-list",
        "alias-in-map",
        "alias-block",
        "merge",
        "deep-150",
        "deep-400",
        "deep-5000",
    ],
)
def test_a_recursive_or_too_deep_document_is_not_read(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_yaml(source_of(text)) == []

    monkeypatch.setattr(_yamltrees, "_FAST_LOADER", None)
    assert load_yaml(source_of(text)) == []


def test_a_document_nested_up_to_the_limit_is_read() -> None:
    depth = _yamltrees.MAX_DEPTH - 1
    (document,) = load_yaml(source_of("[" * depth + "x" + "]" * depth))

    node = document
    for _ in range(depth - 1):
        (node,) = node.elements()
    assert [child.value for child in node.elements()] == ["x"]
