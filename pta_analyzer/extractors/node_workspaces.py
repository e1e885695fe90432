"""Which package.json files are members of a JavaScript workspace (monorepo).

Workspaces are declared by ``workspaces`` in a package.json (an array, or an
object with ``packages``), by ``pnpm-workspace.yaml``, by ``lerna.json``
(``packages``, default ``packages/*``), and implied by ``nx.json`` and
``turbo.json`` (every package below them). A member is known by its directory
and carries the evidence of the declaration that makes it one.
"""

import json
import logging
import re
from collections.abc import Iterable, Iterator
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors.node_json import key_spans
from pta_analyzer.extractors.node_package import directory_of
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.yamlmap import load_yaml

logger = logging.getLogger(__name__)

LERNA_DEFAULT_PACKAGES = ("packages/*",)


class Member(NamedTuple):
    """A workspace package: its directory and what declares it a member."""

    directory: str  # relative to the repository root, never ""
    root: str  # the directory of the workspace declaration ("" = repo root)
    tool: str  # npm-workspaces, pnpm, lerna, nx, turbo
    evidence: Evidence


class _Declaration(NamedTuple):
    root: str
    tool: str
    patterns: tuple[tuple[str, Evidence], ...]  # (glob, evidence); "!" negates


def find_members(index: RepoIndex, package_dirs: Iterable[str]) -> dict[str, Member]:
    """Workspace members among ``package_dirs``, by directory.

    A directory declared by several tools keeps the first declaration found
    (package.json, then pnpm, lerna, nx, turbo).
    """
    candidates = sorted(set(package_dirs))
    members: dict[str, Member] = {}
    for declaration in _declarations(index):
        for directory in candidates:
            if directory in members or not _is_below(directory, declaration.root):
                continue
            evidence = _matching_evidence(declaration, directory)
            if evidence is not None:
                members[directory] = Member(
                    directory, declaration.root, declaration.tool, evidence
                )
    return members


def _declarations(index: RepoIndex) -> Iterator[_Declaration]:
    for path in index.named("package.json"):
        yield from _package_json_workspaces(index, path)
    for path in index.named("pnpm-workspace.yaml"):
        yield from _pnpm_workspace(index, path)
    for path in index.named("lerna.json"):
        yield from _lerna(index, path)
    for path in index.named("nx.json", "turbo.json"):
        source = index.read(path)
        if source is not None:
            tool = PurePosixPath(path).stem
            everything = (("**", source.file_evidence()),)
            yield _Declaration(directory_of(path), tool, everything)


def _package_json_workspaces(index: RepoIndex, path: str) -> Iterator[_Declaration]:
    source = index.read(path)
    if source is None or '"workspaces"' not in source.text:
        return
    data = _json_object(source)
    if data is None:
        return
    declared = data.get("workspaces")
    key: tuple[str, ...] = ("workspaces",)
    if isinstance(declared, dict):
        declared = declared.get("packages")
        key = ("workspaces", "packages")
    if not isinstance(declared, list):
        return
    spans = key_spans(source.text)
    patterns = _cited_patterns(source, declared, spans, key)
    yield _Declaration(directory_of(path), "npm-workspaces", patterns)


def _pnpm_workspace(index: RepoIndex, path: str) -> Iterator[_Declaration]:
    source = index.read(path)
    if source is None:
        return
    for document in load_yaml(source)[:1]:
        packages = document.get("packages")
        if packages is None:
            return
        patterns = tuple(
            (text, source.evidence(node.line, node.end_line))
            for node in packages.elements()
            if (text := node.text()) is not None
        )
        yield _Declaration(directory_of(path), "pnpm", patterns)


def _lerna(index: RepoIndex, path: str) -> Iterator[_Declaration]:
    source = index.read(path)
    if source is None:
        return
    data = _json_object(source)
    if data is None:
        return
    declared = data.get("packages")
    if isinstance(declared, list):
        spans = key_spans(source.text)
        patterns = _cited_patterns(source, declared, spans, ("packages",))
    else:
        evidence = source.file_evidence()
        patterns = tuple((p, evidence) for p in LERNA_DEFAULT_PACKAGES)
    yield _Declaration(directory_of(path), "lerna", patterns)


def _cited_patterns(
    source: SourceText,
    declared: list[object],
    spans: dict[tuple[str, ...], tuple[int, int]],
    key: tuple[str, ...],
) -> tuple[tuple[str, Evidence], ...]:
    cited: list[tuple[str, Evidence]] = []
    for position, pattern in enumerate(declared):
        span = spans.get((*key, str(position))) or spans.get(key)
        if isinstance(pattern, str) and span is not None:
            cited.append((pattern, source.evidence(*span)))
    return tuple(cited)


def _matching_evidence(declaration: _Declaration, directory: str) -> Evidence | None:
    relative = _relative(directory, declaration.root)
    found: Evidence | None = None
    for pattern, evidence in declaration.patterns:
        negated = pattern.startswith("!")
        if _glob_matches(pattern.lstrip("!"), relative):
            found = None if negated else evidence
    return found


def _glob_matches(pattern: str, relative: str) -> bool:
    """Whether a workspace glob (``*`` within a part, ``**`` across) matches."""
    cleaned = pattern.strip().removeprefix("./").rstrip("/")
    if not cleaned or not relative:
        return False
    return _glob_regex(cleaned).fullmatch(relative) is not None


def _glob_regex(pattern: str) -> "re.Pattern[str]":
    parts: list[str] = []
    for piece in re.split(r"(\*\*/?|\*|\?)", pattern):
        if piece in ("**", "**/"):
            parts.append("(?:.*/)?" if piece == "**/" else ".*")
        elif piece == "*":
            parts.append("[^/]*")
        elif piece == "?":
            parts.append("[^/]")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def _json_object(source: SourceText) -> dict[str, object] | None:
    try:
        data = json.loads(source.text)
    except (ValueError, RecursionError):
        logger.debug("json not parsed", extra={"path": source.path})
        return None
    return data if isinstance(data, dict) else None


def _is_below(directory: str, root: str) -> bool:
    return directory != root and (not root or directory.startswith(root + "/"))


def _relative(directory: str, root: str) -> str:
    return directory[len(root) + 1 :] if root else directory
