"""Inventory of the tree: language shares and what was read or skipped."""

from collections import Counter
from dataclasses import dataclass, field

from pta_analyzer.index import RepoIndex
from pta_analyzer.render.common import LanguageShare
from pta_analyzer.walk import SkipReason

SHARE_DIGITS = 4
MIN_SHARE = 0.001  # languages below 0.1% of the bytes are left out


@dataclass
class Coverage:
    """Counts of the files listed, read, not needed and skipped."""

    listing: str
    files_listed: int
    files_read: int
    bytes_listed: int
    skipped_by_reason: dict[str, int] = field(default_factory=dict)


def language_shares(index: RepoIndex) -> list[LanguageShare]:
    """Languages by their share of source bytes, largest first."""
    files: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    binary = {e.path for e in index.skipped if e.reason is SkipReason.BINARY}
    for entry in index.files:
        language = index.language(entry.path)
        if language is not None and entry.path not in binary:
            files[language] += 1
            sizes[language] += entry.size

    total = sum(sizes.values())
    shares = [
        LanguageShare(name, files[name], size, round(size / total, SHARE_DIGITS))
        for name, size in sizes.items()
        if total and size / total >= MIN_SHARE
    ]
    return sorted(shares, key=lambda s: (-s.bytes, s.name))


def coverage_of(index: RepoIndex) -> Coverage:
    """What the analysis read and skipped, by reason."""
    reasons = Counter(str(entry.reason) for entry in index.skipped)
    listed = index.files
    return Coverage(
        listing=index.listing_source,
        files_listed=len(listed),
        files_read=sum(1 for e in listed if index.was_read(e.path)),
        bytes_listed=sum(e.size for e in listed),
        skipped_by_reason=dict(sorted(reasons.items())),
    )
