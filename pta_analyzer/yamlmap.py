"""YAML with line numbers, for citing the exact lines a value came from.

Documents are composed with PyYAML's safe loader (no tags that build objects)
and turned into ``YNode`` trees: mappings hold ``dict[str, YNode]``, sequences
``list[YNode]`` and scalars their resolved value, each with its first and last
line. Aliases are converted once and shared, so an alias bomb costs no more
memory than the document itself. Merge keys (``<<``) are applied.
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import yaml

from pta_analyzer.index import SourceText

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class YNode:
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
    try:
        documents = list(yaml.compose_all(source.text, Loader=yaml.SafeLoader))
    except yaml.YAMLError as error:
        logger.debug(
            "yaml not parsed", extra={"path": source.path, "error": str(error)}
        )
        return []
    converter = _Converter()
    return [converter.convert(doc) for doc in documents if doc is not None]


class _Converter:
    def __init__(self) -> None:
        self._done: dict[int, YNode] = {}
        self._scalars = yaml.SafeLoader("")

    def convert(self, node: yaml.Node) -> YNode:
        known = self._done.get(id(node))
        if known is not None:
            return known
        converted = self._convert_new(node)
        self._done[id(node)] = converted
        return converted

    def _convert_new(self, node: yaml.Node) -> YNode:
        line, end_line = _lines_of(node)
        if isinstance(node, yaml.MappingNode):
            mapping = self._mapping(node)
            return YNode(mapping, line, _last_line(line, mapping.values(), end_line))
        if isinstance(node, yaml.SequenceNode):
            children = [self.convert(child) for child in node.value]
            return YNode(children, line, _last_line(line, children, end_line))
        return YNode(self._scalar(node), line, end_line)

    def _mapping(self, node: yaml.MappingNode) -> dict[str, YNode]:
        result: dict[str, YNode] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                result.update(self._merged(value_node))
                continue
            key = self._scalar(key_node)
            if key is not None and not isinstance(key, dict | list):
                result[str(key)] = self.convert(value_node)
        return result

    def _merged(self, node: yaml.Node) -> dict[str, YNode]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, YNode] = {}
        for source in reversed(sources):
            converted = self.convert(source)
            if isinstance(converted.value, dict):
                merged.update(converted.value)
        return merged

    def _scalar(self, node: yaml.Node) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            return None
        try:
            return self._scalars.construct_object(node, deep=False)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value


def _last_line(line: int, children: "Iterable[YNode]", fallback: int) -> int:
    """A collection ends on its last child's last line (flow style: its own)."""
    ends = [child.end_line for child in children]
    return max([line, *ends]) if ends else fallback


def _lines_of(node: yaml.Node) -> tuple[int, int]:
    start = node.start_mark.line + 1
    end_mark = node.end_mark
    end = end_mark.line if end_mark.column == 0 else end_mark.line + 1
    return start, max(start, end)
