"""Line numbers for the keys of a JSON document, which ``json`` does not give.

``key_spans`` scans the text once and maps every key path to the lines its
entry spans, from the key to the end of its value: ``("scripts", "dev")`` ->
``(17, 17)``. Array elements are keyed by their index as text. The scanner is
lenient: on text that is not JSON it returns what it saw, never raises.
"""

import json
from dataclasses import dataclass, field

Path = tuple[str, ...]
Span = tuple[int, int]


@dataclass
class _Frame:
    is_object: bool
    path: Path
    key: str | None = None  # objects: the key whose value comes next
    index: int = 0  # arrays: the element being read
    has_value: bool = False  # arrays: the current element has started
    starts: dict[Path, int] = field(default_factory=dict)

    def child(self) -> Path | None:
        if self.is_object:
            return None if self.key is None else (*self.path, self.key)
        return (*self.path, str(self.index))


def key_spans(text: str) -> dict[Path, Span]:
    """``{key path: (first line, last line)}`` for every entry of ``text``."""
    scanner = _Scanner(text)
    scanner.run()
    return scanner.spans


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.line = 1
        self.stack: list[_Frame] = []
        self.spans: dict[Path, Span] = {}

    def run(self) -> None:
        text = self.text
        position = 0
        while position < len(text):
            char = text[position]
            if char == "\n":
                self.line += 1
            elif char == '"':
                position = self._string(position)
                continue
            elif char in "{[":
                self._value_starts()
                self.stack.append(_Frame(char == "{", self._child_path() or ()))
            elif char in "}]":
                self._close()
            elif char == ",":
                self._next_entry()
            elif not char.isspace() and char != ":":
                self._value_starts()
                self._value_ends()
            position += 1

    def _string(self, position: int) -> int:
        end = _string_end(self.text, position)
        raw = self.text[position:end]
        first_line = self.line
        self.line += raw.count("\n")
        frame = self.stack[-1] if self.stack else None
        if frame is not None and frame.is_object and frame.key is None:
            frame.key = _decode(raw)
            path = frame.child()
            if path is not None:
                frame.starts[path] = first_line
        else:
            self._value_starts(first_line)
            self._value_ends()
        return end

    def _child_path(self) -> Path | None:
        return self.stack[-1].child() if self.stack else ()

    def _value_starts(self, line: int | None = None) -> None:
        if not self.stack:
            return
        frame = self.stack[-1]
        if frame.is_object or frame.has_value:
            return
        frame.has_value = True
        path = frame.child()
        if path is not None:
            frame.starts[path] = self.line if line is None else line

    def _value_ends(self) -> None:
        if not self.stack:
            return
        path = self.stack[-1].child()
        start = self.stack[-1].starts.get(path) if path is not None else None
        if path is not None and start is not None:
            self.spans[path] = (start, self.line)

    def _close(self) -> None:
        if self.stack:
            self.stack.pop()
        self._value_ends()

    def _next_entry(self) -> None:
        if not self.stack:
            return
        frame = self.stack[-1]
        if frame.is_object:
            frame.key = None
        else:
            frame.index += 1
            frame.has_value = False


def _string_end(text: str, start: int) -> int:
    """Index just after the string opening at ``start`` (or the text's end)."""
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
            continue
        if char == '"' or char == "\n":
            return position + 1
        position += 1
    return len(text)


def _decode(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return raw.strip('"')
    return value if isinstance(value, str) else raw.strip('"')
