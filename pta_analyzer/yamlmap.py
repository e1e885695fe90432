"""YAML with line numbers, for citing the exact lines a value came from.

Documents are composed with PyYAML's safe loader (no tags that build objects)
and turned into ``YNode`` trees: mappings hold ``dict[str, YNode]``, sequences
``list[YNode]`` and scalars their resolved value, each with its first and last
line. Aliases are converted once and shared, so an alias bomb costs no more
memory than the document itself. Merge keys (``<<``) are applied.

Where PyYAML was built with libyaml, documents are composed by its C parser,
about fifteen times faster, unless the text holds something the two parsers
read differently; the pure-Python parser reads those (``_yamltrees``). Both
give the same trees, line numbers included, so which one ran never shows.
"""

from collections.abc import Iterator
from typing import Any, NamedTuple

from pta_analyzer.index import SourceText


class YNode(NamedTuple):
    """One YAML value and the lines (1-based, inclusive) it spans."""

    value: Any
    line: int
    end_line: int

    def get(self, key: str) -> "YNode | None":
        """The child of a mapping node under ``key``, or None."""
        if isinstance(self.value, dict):
            child = self.value.get(key)
            return child if isinstance(child, YNode) else None
        return None

    def items(self) -> Iterator[tuple[str, "YNode"]]:
        """``(key, child)`` pairs of a mapping node; nothing for other nodes."""
        if isinstance(self.value, dict):
            yield from self.value.items()

    def elements(self) -> Iterator["YNode"]:
        """Children of a sequence node; nothing for other nodes."""
        if isinstance(self.value, list):
            yield from self.value

    def text(self) -> str | None:
        """The scalar's value as text, or None for mappings and sequences."""
        if isinstance(self.value, dict | list) or self.value is None:
            return None
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        return str(self.value)

    def plain(self) -> Any:
        """The node as plain Python values, without line numbers."""
        if isinstance(self.value, dict):
            return {key: child.plain() for key, child in self.value.items()}
        if isinstance(self.value, list):
            return [child.plain() for child in self.value]
        return self.value


def load_yaml(source: SourceText) -> list[YNode]:
    """Every document of a YAML file; an empty list when it does not parse."""
    # Imported here: PyYAML is a tenth of what importing the extractors
    # costs, and a repository without YAML files never needs it.
    from pta_analyzer import _yamltrees

    return _yamltrees.load_documents(source)
