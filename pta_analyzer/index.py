"""The repository index that every extractor reads through.

``RepoIndex`` knows which files exist (from the walk), reads and decodes them
on demand (never more than once while they stay in a bounded cache), detects
binary content, and turns line ranges into ``Evidence`` with their hashes.
Extractors never open files themselves, so the walk's safety rules hold for
all of them.
"""

import fnmatch
import hashlib
import logging
import os
import re
import stat
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pta_analyzer.evidence import (
    Evidence,
    EvidenceKind,
    hash_snippet,
    make_display,
    split_lines,
)
from pta_analyzer.languages import language_of
from pta_analyzer.needles import WordsFound, words_in
from pta_analyzer.scope import Scope, classify_scope
from pta_analyzer.walk import (
    FileEntry,
    SkippedEntry,
    SkipReason,
    WalkLimits,
    walk_repository,
)

logger = logging.getLogger(__name__)

BINARY_SNIFF_BYTES = 8192
CACHE_MAX_CHARS = (
    96_000_000  # decoded text (lines + joined copy) kept across extractors
)
HASH_CHUNK_BYTES = 1_048_576
READ_CHUNK_BYTES = 16 * HASH_CHUNK_BYTES  # largest single read of a file

# What ``str.splitlines`` splits at besides "\n" (and "\r\n").
_OTHER_LINE_BREAKS = ("\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e")
_UNICODE_LINE_BREAKS = ("\x85", "\u2028", "\u2029")
_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


@dataclass(frozen=True)
class SourceText:
    """A decoded text file with its lines, ready to be cited.

    ``lines`` are for matching: the first one has no byte-order mark. Hashes
    are computed on the lines exactly as decoded (the mark included), which is
    what a reader re-checking the file with Python gets.
    """

    path: str
    encoding: str
    # None until asked for when the file's bytes are ``text`` in UTF-8 (with
    # the final newline that ``text`` drops when ``newline_ended``): most files
    # are never cited whole, and hashing every one costs as much as decoding.
    file_sha256: str | None
    bom: str = ""
    newline_ended: bool = False
    chars: int = 0  # size of the decoded text, for the cache's budget
    text: str = ""  # the lines joined by newlines, so offsets map to lines
    # None until asked for when ``text`` splits into them at its newlines
    # (most files are only searched, never cited, by most extractors).
    cached_lines: tuple[str, ...] | None = field(
        default=None, repr=False, compare=False
    )
    # The registered words of ``needles`` the text holds, found on first ask.
    cached_words: WordsFound | None = field(default=None, repr=False, compare=False)

    @property
    def lines(self) -> tuple[str, ...]:
        """The decoded lines, split as ``str.splitlines`` splits them."""
        lines = self.cached_lines
        if lines is None:
            lines = tuple(self.text.split("\n"))
            object.__setattr__(self, "cached_lines", lines)
        return lines

    def holds(self, *words: str) -> bool:
        """True when ``text`` holds one of ``words`` (as ``word in text``).

        Words registered with ``needles.register`` are answered from one pass
        over the text for all of them; others are searched for.
        """
        found = self.cached_words
        if found is None:
            found = words_in(self.text)
            object.__setattr__(self, "cached_words", found)
        return found.holds(self.text, words)

    def evidence(self, line_start: int, line_end: int | None = None) -> Evidence:
        """Evidence for lines ``line_start..line_end`` (1-based, inclusive).

        Raises ValueError when the range is outside the file.
        """
        end = line_start if line_end is None else line_end
        if line_start < 1 or end < line_start or end > len(self.lines):
            raise ValueError(f"{self.path}: no lines {line_start}-{end}")
        if end == line_start:  # most evidence: the same result, found sooner
            line = self.lines[line_start - 1]
            raw = self.bom + line if line_start == 1 else line
            snippet_hash = _sha256_text(raw)
            display = make_display((line,))
        else:
            snippet_hash = hash_snippet(self._raw_lines(line_start, end))
            display = make_display(self.lines[line_start - 1 : end])
        return Evidence(
            path=self.path,
            line_start=line_start,
            line_end=end,
            snippet_hash=snippet_hash,
            display=display,
        )

    def file_evidence(self) -> Evidence:
        """Evidence for the whole file: its first line and its bytes' hash."""
        file_sha256 = self.file_sha256
        if file_sha256 is None:
            file_sha256 = _text_bytes_sha256(self.text, self.newline_ended)
            object.__setattr__(self, "file_sha256", file_sha256)
        return _whole_file_evidence(self.path, self.lines, file_sha256, self.bom)

    def find_line(
        self, pattern: "str | re.Pattern[str]", start: int = 1, end: int | None = None
    ) -> int | None:
        """First 1-based line in ``start..end`` matching the regex, or None."""
        for number, _match in self.find_lines(pattern, start, end):
            return number
        return None

    def find_lines(
        self, pattern: "str | re.Pattern[str]", start: int = 1, end: int | None = None
    ) -> Iterator[tuple[int, "re.Match[str]"]]:
        """``(line number, match)`` for each line in ``start..end`` matching."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        last = len(self.lines) if end is None else min(end, len(self.lines))
        for number in range(max(start, 1), last + 1):
            match = regex.search(self.lines[number - 1])
            if match is not None:
                yield number, match

    def line_of_offset(self, offset: int) -> int:
        """1-based line number of a character offset into ``text``."""
        return self.text.count("\n", 0, offset) + 1

    def _raw_lines(self, start: int, end: int) -> list[str]:
        raw = list(self.lines[start - 1 : end])
        if start == 1 and self.bom:
            raw[0] = self.bom + raw[0]
        return raw


class RepoIndex:
    """The files of one repository, their scopes, and cached decoded text."""

    def __init__(self, root: Path, limits: WalkLimits | None = None) -> None:
        self.root = root.resolve()
        self._root_text = str(self.root)
        walked = walk_repository(self.root, limits)
        self.listing_source = walked.source
        self._files: dict[str, FileEntry] = {e.path: e for e in walked.files}
        self._skipped: dict[str, SkippedEntry] = {e.path: e for e in walked.skipped}
        self._read_skips: dict[str, SkippedEntry] = {}
        self._cache: OrderedDict[str, SourceText] = OrderedDict()
        self._cached_chars = 0
        self._read: set[str] = set()
        self._reads_sent = (0, 0)  # how much of _read/_read_skips was sent
        self._read_order: list[str] = []
        self._skip_order: list[str] = []
        self._names: dict[str, list[str]] = {}
        for path in self._files:
            self._names.setdefault(path.rpartition("/")[2], []).append(path)

    @property
    def files(self) -> list[FileEntry]:
        """Readable files, sorted by path."""
        return list(self._files.values())

    @property
    def skipped(self) -> list[SkippedEntry]:
        """Files (and vendored directories) not read, with reasons, sorted."""
        merged = {**self._skipped, **self._read_skips}
        return sorted(merged.values())

    def exists(self, path: str) -> bool:
        """True when ``path`` is a file of the tree (read or not)."""
        return path in self._files or (
            path in self._skipped
            and self._skipped[path].reason
            in (SkipReason.TOO_LARGE, SkipReason.GENERATED)
        )

    def paths(self) -> Iterator[str]:
        """Every readable path, sorted."""
        return iter(self._files)

    def named(self, *names: str) -> list[str]:
        """Readable paths whose file name is one of ``names``, sorted."""
        found: list[str] = []
        for name in names:
            found.extend(self._names.get(name, ()))
        return sorted(found)

    def glob(self, *patterns: str) -> list[str]:
        """Readable paths matching any shell-style pattern (``*`` spans ``/``)."""
        regex = _glob_regex(patterns)
        return [p for p in self._files if regex.match(p)]

    def scope(self, path: str) -> Scope:
        """The scope (app, test, example, docs, ci) of ``path``."""
        return classify_scope(path)

    def language(self, path: str) -> str | None:
        """The programming language of ``path``, from its name."""
        return language_of(path)

    def read(self, path: str) -> SourceText | None:
        """Decoded text of ``path``, or None when it is absent or binary."""
        cached = self._cache.get(path)
        if cached is not None:
            self._cache.move_to_end(path)
            return cached
        if path not in self._files or path in self._read_skips:
            return None

        source = self._load(path)
        if source is not None:
            self._remember(source)
        return source

    def texts(self, paths: Iterable[str]) -> Iterator[SourceText]:
        """Decoded text of each readable, non-binary path, in the given order."""
        for path in paths:
            source = self.read(path)
            if source is not None:
                yield source

    def _path(self, path: str) -> str:
        return f"{self._root_text}/{path}"

    def was_read(self, path: str) -> bool:
        """True when some extractor read ``path``."""
        return path in self._read

    def sniff_unread(self) -> None:
        """Classify files no extractor read: binary ones are recorded as skipped.

        Reads at most the first 8 KiB of each, so coverage can tell binary
        files from text files that no rule needed.
        """
        for path in self._files:
            if path in self._read or path in self._read_skips:
                continue
            try:
                with _RegularFile(self._path(path)) as handle:
                    head = handle.read(BINARY_SNIFF_BYTES)
            except OSError:
                self._note_skip(SkippedEntry(path, SkipReason.UNREADABLE))
                continue
            if decode_bytes(head) is None:
                size = self._files[path].size
                self._note_skip(SkippedEntry(path, SkipReason.BINARY, size))

    def take_new_reads(self) -> tuple[list[str], list[SkippedEntry]]:
        """Paths read, and files found unreadable, since the last call."""
        read_from, skips_from = self._reads_sent
        self._reads_sent = (len(self._read_order), len(self._skip_order))
        skips = [self._read_skips[path] for path in self._skip_order[skips_from:]]
        return self._read_order[read_from:], skips

    def merge_reads(self, read: list[str], skips: list[SkippedEntry]) -> None:
        """Record reads made by another process on a copy of this index."""
        for path in read:
            self._note_read(path)
        for entry in skips:
            self._note_skip(entry)

    def existence_evidence(self, path: str) -> Evidence | None:
        """Evidence that ``path`` exists, also for files too large to read."""
        source = self.read(path)
        if source is not None:
            return source.file_evidence()
        if not self.exists(path):
            return None
        return self._streamed_file_evidence(path)

    def _load(self, path: str) -> SourceText | None:
        try:
            data = _read_regular_file(self._path(path))
        except OSError:
            self._note_skip(SkippedEntry(path, SkipReason.UNREADABLE))
            return None

        self._note_read(path)
        decoded = decode_bytes(data)
        if decoded is None:
            self._note_skip(SkippedEntry(path, SkipReason.BINARY, len(data)))
            return None
        text, encoding, bom = decoded
        lines: tuple[str, ...] | None = None
        newline_ended = text.endswith("\n")
        file_sha256: str | None = None
        if text and _breaks_only_at_newlines(text):
            joined = text[:-1] if newline_ended else text
        else:
            lines = tuple(split_lines(text))
            joined = "\n".join(lines)
        if encoding != "utf-8" or lines is not None:
            file_sha256 = hashlib.sha256(data).hexdigest()  # text is not its bytes
        return SourceText(
            path=path,
            encoding=encoding,
            file_sha256=file_sha256,
            bom=bom,
            newline_ended=newline_ended,
            chars=2 * len(joined),  # the lines and their joined copy
            text=joined,
            cached_lines=lines,
        )

    def _note_read(self, path: str) -> None:
        if path not in self._read:
            self._read.add(path)
            self._read_order.append(path)

    def _note_skip(self, entry: SkippedEntry) -> None:
        if entry.path not in self._read_skips:
            self._read_skips[entry.path] = entry
            self._skip_order.append(entry.path)

    def _remember(self, source: SourceText) -> None:
        self._cache[source.path] = source
        self._cached_chars += source.chars
        while self._cached_chars > CACHE_MAX_CHARS and len(self._cache) > 1:
            _, dropped = self._cache.popitem(last=False)
            self._cached_chars -= dropped.chars

    def _streamed_file_evidence(self, path: str) -> Evidence | None:
        digest = hashlib.sha256()
        first = b""
        try:
            with _RegularFile(self._path(path)) as handle:
                while chunk := handle.read(HASH_CHUNK_BYTES):
                    if not first:
                        first = chunk[:4096]
                    digest.update(chunk)
        except OSError:
            return None
        decoded = decode_bytes(first)
        first_line = split_lines(decoded[0])[:1] if decoded else []
        return _whole_file_evidence(path, first_line, digest.hexdigest(), "")


@lru_cache(maxsize=256)
def _glob_regex(patterns: tuple[str, ...]) -> "re.Pattern[str]":
    """One compiled regex for shell-style patterns, as ``fnmatchcase`` reads them."""
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


def _breaks_only_at_newlines(text: str) -> bool:
    """True when ``str.splitlines`` would split ``text`` at ``"\\n"`` alone."""
    # A plain loop: asked of every file read, a generator costs more than the
    # searches of a short file.
    for mark in _OTHER_LINE_BREAKS:
        if mark in text:
            return False
    return text.isascii() or not any(mark in text for mark in _UNICODE_LINE_BREAKS)


def decode_bytes(data: bytes) -> tuple[str, str, str] | None:
    """Decode file bytes as text: ``(text, encoding, bom)``, None for binary.

    UTF-16/32 with a byte-order mark are decoded as such; otherwise a NUL byte
    in the first 8 KiB means binary; UTF-8 is tried strictly, then with
    replacement characters (so any other encoding still yields its ASCII).
    """
    for mark, encoding in _BOMS:
        if data.startswith(mark):
            return data[len(mark) :].decode(encoding, errors="replace"), encoding, ""
    if b"\0" in data[:BINARY_SNIFF_BYTES]:
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig", "\ufeff"
    try:
        return data.decode("utf-8"), "utf-8", ""
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), "utf-8-replaced", ""


def _whole_file_evidence(
    path: str, lines: Iterable[str], file_sha256: str, bom: str
) -> Evidence:
    first = list(lines)[:1]
    if not first:
        first = [""]
    raw_first = [bom + first[0]]
    return Evidence(
        path=path,
        line_start=1,
        line_end=1,
        snippet_hash=hash_snippet(raw_first),
        display=make_display(first) or "(empty file)",
        kind=EvidenceKind.FILE,
        file_sha256=file_sha256,
    )


def _text_bytes_sha256(text: str, newline_ended: bool) -> str:
    """SHA-256 of the bytes that ``text`` was strictly decoded from as UTF-8.

    Strict UTF-8 decoding is one-to-one, so encoding gives the bytes back.
    """
    digest = hashlib.sha256(text.encode("utf-8"))
    if newline_ended:
        digest.update(b"\n")
    return digest.hexdigest()


def _sha256_text(text: str) -> str:
    """``hash_snippet`` of one line."""
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def _read_regular_file(path: str) -> bytes:
    with _RegularFile(path) as handle:
        return handle.read()


class _RegularFile:
    """Opens a path only if it is a regular file, never through a symlink."""

    def __init__(self, path: str) -> None:
        flags = (
            os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        )
        self._fd = os.open(path, flags)
        info = os.fstat(self._fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(self._fd)
            raise OSError(f"not a regular file: {path}")
        self._size = info.st_size

    def __enter__(self) -> "_RegularFile":
        return self

    def __exit__(self, *_exc: object) -> None:
        os.close(self._fd)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all of the file when negative)."""
        if size < 0:
            return self._read_all()

        chunks = []
        while size > 0:
            chunk = os.read(self._fd, min(size, READ_CHUNK_BYTES))
            if not chunk:
                break
            chunks.append(chunk)
            size -= len(chunk)
        return b"".join(chunks)

    def _read_all(self) -> bytes:
        # Asked for a byte more than its size, a file that gives back its size
        # has ended: no second read (a system call per file) to learn it.
        first = os.read(self._fd, min(self._size + 1, READ_CHUNK_BYTES))
        if len(first) == self._size:
            return first

        chunks = [first]
        while chunk := os.read(self._fd, READ_CHUNK_BYTES):
            chunks.append(chunk)
        return b"".join(chunks)
