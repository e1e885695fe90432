"""YAML documents composed by libyaml or PyYAML, as ``yamlmap.YNode`` trees.

``yamlmap`` imports this module on its first YAML file: PyYAML's import is
costly, and many repositories hold no YAML. Where PyYAML was built with
libyaml, documents are composed by its C parser unless the text holds
something the two parsers read differently (see ``_composed``).
"""

import logging
import re
from collections.abc import Iterable
from typing import Any

import yaml
from yaml.constructor import SafeConstructor

from pta_analyzer.index import SourceText
from pta_analyzer.yamlmap import YNode

logger = logging.getLogger(__name__)

# libyaml's parser, when this PyYAML has it.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)
# Where libyaml reads a text differently: tabs (it lets them separate tokens
# where PyYAML refuses them), byte-order marks (it skips one at the start of
# any line), and a comment right after a block scalar's header (``|#``).
_LIBYAML_DIFFERS = ("\t", "\ufeff")
_BLOCK_HEADER_COMMENT = re.compile(
    r"#(?:(?<=[|>]#)|(?<=[|>][-+0-9]#)|(?<=[|>][-+0-9]{2}#))"
)
# Inside a flow collection it also reads ``?`` in a plain scalar (PyYAML ends
# the scalar there) and a tag followed by ``,`` (PyYAML's tag takes the comma);
# and it reads an empty node tagged ``!`` as a string, where PyYAML resolves it.
_FLOW_DIFFERS = ("?", "!")
_STR_TAG = "tag:yaml.org,2002:str"
# Deeper than this, a document is not read: no configuration file nests so
# far, and the trees are walked recursively. PyYAML's own parser recurses
# too, and fails with RecursionError a few hundred levels down.
MAX_DEPTH = 100


class _Unreadable(Exception):
    """A composed document that cannot become a tree (with the reason)."""


def load_documents(source: SourceText) -> list[YNode]:
    """Every document of a YAML file; an empty list when it does not parse."""
    try:
        documents = _composed(source.text)
        converter = _Converter(last_line=source.text.count("\n"))
        return [converter.convert(doc) for doc in documents if doc is not None]
    except (yaml.YAMLError, _Unreadable) as error:
        reason = str(error)
    except RecursionError:  # raised by PyYAML's parser, before MAX_DEPTH
        reason = "nested too deeply"
    logger.debug("yaml not parsed", extra={"path": source.path, "error": reason})
    return []


def _composed(text: str) -> list[yaml.Node]:
    """The documents of ``text`` as PyYAML's pure-Python safe loader composes them.

    libyaml composes them where it reads ``text`` alike; where it fails, the
    pure-Python parser decides, and words the error. Raises yaml.YAMLError
    when ``text`` is not YAML.
    """
    if _FAST_LOADER is not None and _libyaml_reads_alike(text):
        try:
            documents = list(yaml.compose_all(text, Loader=_FAST_LOADER))
        except (yaml.YAMLError, UnicodeEncodeError):
            documents = None
        if documents is not None and not _tree_differs(text, documents):
            return documents
    return list(yaml.compose_all(text, Loader=yaml.SafeLoader))


def _libyaml_reads_alike(text: str) -> bool:
    """False where libyaml could read ``text`` differently from PyYAML."""
    if any(character in text for character in _LIBYAML_DIFFERS):
        return False
    return _BLOCK_HEADER_COMMENT.search(text) is None


def _tree_differs(text: str, documents: list[yaml.Node]) -> bool:
    """True where libyaml's tree of ``text`` may not be PyYAML's.

    Both parsers read alike up to where they first differ. Inside a flow
    collection they differ only on ``?`` or ``!``, which then lie within the
    span of a flow collection of libyaml's tree. An empty node tagged ``!``
    is null to PyYAML and an empty string to libyaml, which a plain empty
    string node of libyaml's tree (otherwise only ``!!str``) shows. A tag
    holding a second ``!`` that does not end a handle (``!a.b!c``) is an
    error to PyYAML; libyaml keeps it whole, so its tag holds that ``!``.
    """
    if not any(character in text for character in _FLOW_DIFFERS):
        return False
    seen: set[int] = set()
    pending = list(documents)
    while pending:
        node = pending.pop()
        if node.tag.find("!", 1) >= 0:
            return True  # a tag PyYAML may have refused: "!a.b!c"
        if isinstance(node, yaml.ScalarNode):
            if node.tag == _STR_TAG and node.value == "" and node.style == "":
                return True
            continue
        if not isinstance(node, yaml.CollectionNode) or id(node) in seen:
            continue
        seen.add(id(node))
        if node.flow_style:
            start, end = node.start_mark.index, node.end_mark.index
            if any(text.find(c, start, end) >= 0 for c in _FLOW_DIFFERS):
                return True
            continue  # nothing within it holds either character
        if isinstance(node, yaml.MappingNode):
            pending.extend(part for pair in node.value for part in pair)
        else:
            pending.extend(node.value)
    return False


class _Converter:
    def __init__(self, last_line: int) -> None:
        self._last_line = last_line  # 0-based, as marks count lines
        self._done: dict[int, YNode] = {}
        self._open: set[int] = set()  # nodes whose children are being converted
        self._scalars = SafeConstructor()

    def convert(self, node: yaml.Node) -> YNode:
        """The tree of ``node``; raises _Unreadable for a cycle or MAX_DEPTH."""
        known = self._done.get(id(node))
        if known is not None:
            return known
        if id(node) in self._open:
            raise _Unreadable("an alias refers to a node that holds it")
        if len(self._open) >= MAX_DEPTH:
            raise _Unreadable(f"nested deeper than {MAX_DEPTH} levels")

        self._open.add(id(node))
        try:
            converted = self._convert_new(node)
        finally:
            self._open.discard(id(node))
        self._done[id(node)] = converted
        return converted

    def _convert_new(self, node: yaml.Node) -> YNode:
        line, end_line = _lines_of(node, self._last_line)
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
        if node.tag == _STR_TAG:  # what the safe constructor gives, sooner
            return node.value
        try:
            return self._scalars.construct_object(node, deep=False)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value


def _last_line(line: int, children: "Iterable[YNode]", fallback: int) -> int:
    """A collection ends on its last child's last line (flow style: its own)."""
    ends = [child.end_line for child in children]
    return max([line, *ends]) if ends else fallback


def _lines_of(node: yaml.Node, last_line: int) -> tuple[int, int]:
    """The 1-based lines a node spans.

    At the end of a text without a final newline libyaml marks the line after
    the last (where PyYAML marks the end of the last line): a node starting
    there, an empty value, starts on the last line.
    """
    start = min(node.start_mark.line, last_line) + 1
    end_mark = node.end_mark
    end = end_mark.line if end_mark.column == 0 else end_mark.line + 1
    return start, max(start, end)
