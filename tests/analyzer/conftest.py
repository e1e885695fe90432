"""Fixtures shared by the analyzer tests: small repositories built on disk."""

from collections.abc import Callable, Iterable
from pathlib import Path

import pytest

from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex

RepoFiles = dict[str, str | bytes]
MakeRepo = Callable[[RepoFiles], RepoIndex]


def write_tree(root: Path, files: RepoFiles) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


@pytest.fixture
def make_repo(tmp_path: Path) -> MakeRepo:
    """Build a repository (a plain directory, no git) and index it."""

    def build(files: RepoFiles) -> RepoIndex:
        root = write_tree(tmp_path / "repo", files)
        return RepoIndex(root)

    return build


def of_kind(facts: Iterable[Fact], kind: FactKind) -> list[Fact]:
    """The facts of one kind, in the order produced."""
    return [fact for fact in facts if fact.kind is kind]


def keys(facts: Iterable[Fact], kind: FactKind) -> set[str]:
    """The keys of the facts of one kind."""
    return {fact.key for fact in of_kind(facts, kind)}


def extract_verified(
    make_repo: MakeRepo,
    extract: Callable[[RepoIndex], Iterable[Fact]],
    files: RepoFiles,
) -> list[Fact]:
    """The facts ``extract`` finds in a repository of ``files``, evidence checked."""
    index = make_repo(files)
    facts = list(extract(index))
    assert_evidence_verifies(index, facts)
    return facts


def one(facts: Iterable[Fact], kind: FactKind, key: str) -> Fact:
    """The single fact of ``kind`` keyed ``key``; fails when there are 0 or 2+."""
    listed = list(facts)
    found = [f for f in listed if f.kind is kind and f.key == key]
    assert len(found) == 1, [(f.kind, f.key, f.cwd) for f in listed]
    return found[0]


def assert_evidence_verifies(index: RepoIndex, facts: Iterable[Fact]) -> None:
    """Every cited line range exists and its hash matches the file."""
    for fact in facts:
        for item in fact.evidence:
            source = index.read(item.path)
            assert source is not None, item.path
            again = (
                source.file_evidence()
                if item.kind == "file"
                else source.evidence(item.line_start, item.line_end)
            )
            assert again.snippet_hash == item.snippet_hash, item.location
