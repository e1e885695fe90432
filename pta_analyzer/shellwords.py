"""Shell words of a command line, as ``shlex.split(text, comments=False)`` gives.

``shlex`` reads one character at a time in Python: on a large repository's
READMEs and CI files that is most of the cost of reading their commands.
``split_words`` gives the same words with a few regex passes, and raises
ValueError where ``shlex`` does (an open quote, a trailing backslash).
"""

import re

_PLAIN = r"[^ \t\r\n'\"\\]+"
_SINGLE = r"'([^']*)'"
_DOUBLE = r'"((?:[^"\\]|\\.)*)"'
_ESCAPE = r"\\(.)"
_PIECE = re.compile(f"{_PLAIN}|{_SINGLE}|{_DOUBLE}|{_ESCAPE}", re.DOTALL)
# A run of shlex's whitespace (other whitespace, such as a no-break space, is
# a word character to it), or a word.
_TOKEN = re.compile(
    f"[ \\t\\r\\n]+|(?P<word>(?:{_PLAIN}|{_SINGLE}|{_DOUBLE}|{_ESCAPE})+)",
    re.DOTALL,
)
# Within double quotes a backslash escapes only a double quote or itself.
_DOUBLE_ESCAPE = re.compile(r'\\([\\"])')
# Text without these splits into the same words as ``str.split`` gives.
_NOT_PLAIN = re.compile(r"['\"\\]|[^\S \t\r\n]")


def split_words(text: str) -> list[str]:
    """The words of ``text`` as POSIX shell quoting reads them.

    Raises ValueError for an unclosed quote or a backslash at the end.
    """
    if _NOT_PLAIN.search(text) is None:
        return text.split()

    words: list[str] = []
    position = 0
    for token in _TOKEN.finditer(text):
        if token.start() != position:  # a quote or escape nothing closes
            break
        position = token.end()
        word = token.group("word")
        if word is not None:
            words.append(_unquoted(word))
    if position != len(text):
        raise ValueError(f"no closing quotation or escaped character: {text!r}")
    return words


def _unquoted(word: str) -> str:
    """One shell word with its quotes and escapes taken out."""
    parts: list[str] = []
    for piece in _PIECE.finditer(word):
        single, double, escaped = piece.groups()
        if single is not None:
            parts.append(single)
        elif double is not None:
            parts.append(_DOUBLE_ESCAPE.sub(r"\1", double))
        elif escaped is not None:
            parts.append(escaped)
        else:
            parts.append(piece.group())
    return "".join(parts)


def path_name(path: str) -> str:
    """``PurePosixPath(path).name``, without building the path object."""
    name = path.rpartition("/")[2]
    if name and name != ".":
        return name
    parts = [part for part in path.split("/") if part and part != "."]
    return parts[-1] if parts else ""


def path_stem(path: str) -> str:
    """``PurePosixPath(path).stem``, without building the path object."""
    name = path_name(path)
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name
