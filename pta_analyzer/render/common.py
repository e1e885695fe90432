"""Pieces every output file shares: the header, evidence, unknown items."""

from collections.abc import Iterable
from typing import Any, NamedTuple

from pta_analyzer.evidence import Evidence

SCHEMA_VERSION = "1.0.0"


class Target(NamedTuple):
    """What was analyzed: a name, and where it came from when known."""

    name: str
    url: str | None = None
    ref: str | None = None
    commit: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The ``target`` object of every output file."""
        return {
            "name": self.name,
            "url": self.url,
            "ref": self.ref,
            "commit": self.commit,
        }


class Header(NamedTuple):
    """The fields at the top of every JSON output."""

    tool_version: str
    generated_at: str
    run_id: str
    target: Target


class LanguageShare(NamedTuple):
    """One language's share of the project's source bytes."""

    name: str
    files: int
    bytes: int
    share: float

    def to_json(self) -> dict[str, Any]:
        """The language object of ``snapshot.languages``."""
        return {
            "name": self.name,
            "share": self.share,
            "files": self.files,
            "bytes": self.bytes,
        }


def header_json(header: Header) -> dict[str, Any]:
    """The leading fields of a JSON output, in a fixed order."""
    return {
        "tool_version": header.tool_version,
        "schema_version": SCHEMA_VERSION,
        "generated_at": header.generated_at,
        "run_id": header.run_id,
        "target": header.target.to_json(),
    }


def evidence_json(evidence: Iterable[Evidence]) -> list[dict[str, object]]:
    """Evidence objects as written into the outputs."""
    return [item.to_json() for item in evidence]


def unknown_item(item_id: str, reason: str) -> dict[str, Any]:
    """An item that says a question stayed open, and why."""
    return {
        "id": item_id,
        "status": "UNKNOWN",
        "evidence": [],
        "sources": [],
        "unknown_reason": reason,
    }
