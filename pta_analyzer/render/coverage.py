"""``coverage.json``: what was read, what was skipped and why, what ran."""

from typing import Any

from pta_analyzer.index import RepoIndex
from pta_analyzer.inventory import coverage_of
from pta_analyzer.render.common import Header, LanguageShare, header_json
from pta_analyzer.walk import WalkLimits

MAX_SKIPPED_LISTED = 1000  # the rest are counted, not listed


def build_coverage(
    header: Header,
    index: RepoIndex,
    limits: WalkLimits,
    languages: list[LanguageShare],
    extractor_runs: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``coverage.json`` document as plain data."""
    coverage = coverage_of(index)
    skipped = index.skipped
    return {
        **header_json(header),
        "listing": coverage.listing,
        "limits": {
            "max_file_bytes": limits.max_file_bytes,
            "max_files": limits.max_files,
        },
        "files_listed": coverage.files_listed,
        "files_read": coverage.files_read,
        "files_skipped": len(skipped),
        "bytes_listed": coverage.bytes_listed,
        "skipped_by_reason": coverage.skipped_by_reason,
        "skipped": [
            {"path": e.path, "reason": str(e.reason), "size": e.size, "files": e.files}
            for e in skipped[:MAX_SKIPPED_LISTED]
        ],
        "skipped_not_listed": max(0, len(skipped) - MAX_SKIPPED_LISTED),
        "languages": [language.to_json() for language in languages],
        "extractors": extractor_runs,
    }
