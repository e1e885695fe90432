"""A parsed package.json that knows the lines of its keys.

``Package`` wraps the decoded JSON with the source, its scope and the line
span of every key, so that each fact can cite exactly the entry it comes from.
"""

import json
import logging
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors.node_json import Span, key_spans
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope

logger = logging.getLogger(__name__)

PACKAGE_JSON_MAX_CHARS = 2_000_000  # larger files are generated, not manifests


class Package(NamedTuple):
    """One parsed package.json with the lines of its keys."""

    path: str
    directory: str  # "" = the repository root
    source: SourceText
    data: dict[str, Any]
    spans: dict[tuple[str, ...], Span]
    scope: Scope

    def evidence(self, *key: str) -> Evidence | None:
        """The lines of the entry at key path ``key``, or None when absent."""
        span = self.spans.get(key)
        return None if span is None else self.source.evidence(*span)

    def strings(self, section: str) -> dict[str, str]:
        """The text-valued entries of object ``section`` (scripts, deps...)."""
        value = self.data.get(section)
        if not isinstance(value, dict):
            return {}
        return {k: v for k, v in value.items() if isinstance(v, str)}

    def dependencies(self, sections: tuple[str, ...]) -> Iterator[tuple[str, str, str]]:
        """``(name, version, section)`` of each dependency, in file order."""
        for section in sections:
            for name, version in self.strings(section).items():
                yield name, version, section


def load_package(index: RepoIndex, path: str) -> Package | None:
    """The parsed package.json at ``path``, or None when it is not one."""
    source = index.read(path)
    if source is None or len(source.text) > PACKAGE_JSON_MAX_CHARS:
        return None
    try:
        data = json.loads(source.text)
    except (ValueError, RecursionError):
        logger.debug("package.json not parsed", extra={"path": path})
        return None
    if not isinstance(data, dict):
        return None
    return Package(
        path=path,
        directory=directory_of(path),
        source=source,
        data=data,
        spans=key_spans(source.text),
        scope=index.scope(path),
    )


def directory_of(path: str) -> str:
    """The directory of a file ("" for the root)."""
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


def join_path(directory: str, name: str) -> str:
    """``name`` inside ``directory`` ("" = the root)."""
    return f"{directory}/{name}" if directory else name
