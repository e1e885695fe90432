"""READMEs and contributor docs: the commands they tell people to run.

Markdown and reStructuredText files are cut into headings, code blocks and
inline code. Under headings about installing, running, testing or deploying
(and in any block marked as shell), each command is classified with
``shellcmd``; the heading decides whether a plain run command is for
development or production. ``localhost:PORT`` URLs become documented ports,
and the first real paragraph of the root README becomes the description.
"""

import logging
import re
from collections.abc import Iterator, Sequence
from pathlib import PurePosixPath

from pta_analyzer.extractors._library_package import library_names
from pta_analyzer.extractors._readme_snippets import (
    ATX,
    FENCE,
    LIST_ITEM,
    RST_ADORNMENT,
    SETEXT,
    Snippet,
    heading_at,
    md_snippets,
    rst_snippets,
)
from pta_analyzer.facts import WEIGHT_DOCUMENTED, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.installs import named_packages
from pta_analyzer.scope import Scope
from pta_analyzer.shellcmd import (
    Role,
    ShellCommand,
    classify,
    fact_kind,
    leaves_checkout_at,
    process_of,
    split_commands,
)

logger = logging.getLogger(__name__)

DESCRIPTION_MAX_CHARS = 300
DESCRIPTION_MIN_CHARS = 30
TITLE_MIN_WORDS = 4  # a shorter title is a name, not a description
PARAGRAPH_LINE_MAX_CHARS = 2000  # of one line, read for the description
MAX_DOC_FILES = 40  # docs/*.md files read; large doc sites add little here
DOC_SUFFIXES = frozenset({"", ".md", ".markdown", ".mdown", ".rst", ".txt"})

SHELL_LANGUAGES = frozenset(
    {
        "bash", "sh", "shell", "console", "zsh", "shell-session", "sh-session",
        "shellsession", "terminal", "cli", "command", "commandline",
    }
)  # fmt: skip
PLAIN_LANGUAGES = frozenset({"", "text", "txt", "plain", "plaintext", "none"})
RELEVANT_HEADING = re.compile(
    r"(?i)\b(?:install\w*|setup|set[ -]up|getting started|get started|"
    r"quick ?start|usage|use|using|run|running|develop\w*|dev|tests?|testing|"
    r"docker\w*|deploy\w*|build\w*|local\w*|start\w*|migrat\w*|database|"
    r"contribut\w*|how to|requirements|prerequisites|production|serve|server|"
    r"compil\w*|scripts|commands)\b"
)
PROD_HEADING = re.compile(r"(?i)\b(?:production|prod|deploy\w*)\b")
LOCAL_HOSTS = ("localhost", "127.0.0.1", "0.0.0.0")  # noqa: S104 (text, not a bind)
LOCAL_PORT = re.compile(
    r"\b(?:https?://)?(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\s*:\s*(\d{2,5})\b"
)

# Default ports of backing services: a bare host:port on one of them is the
# service the application talks to, not the application.
SERVICE_PORTS = frozenset(
    {5432, 3306, 6379, 27017, 5672, 15672, 9200, 11211, 2181, 9092, 1433, 1521}
)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Commands, ports and the description from READMEs and docs."""
    directories = _directories(index)
    paths = _documents(index)
    root_readme = _root_readme(paths)
    # A library's docs start its users' programs, not the repository.
    own_names = library_names(index)
    library = bool(own_names)
    for source in index.texts(paths):
        scope = _scope_of(index, source.path)
        base = _base_directory(source.path)
        for fact in _commands(source, scope, base, directories):
            if not (library and _is_users_step(fact, own_names)):
                yield fact
        name = PurePosixPath(source.path).name.upper()
        if not library and not name.startswith("CONTRIBUTING"):
            yield from _ports(source, scope)
        if source.path == root_readme:
            description = _description(source)
            if description is not None:
                yield description


def _is_users_step(fact: Fact, own_names: list[str]) -> bool:
    """A step of a library's user: starting a program, installing others'."""
    if fact.kind in (FactKind.DEV, FactKind.PROD):
        return True
    names = named_packages(fact.key) if fact.kind is FactKind.INSTALL else []
    return any(name not in own_names for name in names)


# --- which files ------------------------------------------------------------


def _documents(index: RepoIndex) -> list[str]:
    readmes: list[str] = []
    guides: list[str] = []
    docs: list[str] = []
    for path in index.paths():
        parent, _, name = path.rpartition("/")
        upper = name.upper()
        if not upper.startswith(
            ("README", "CONTRIBUTING", "INSTALL")
        ) and parent not in {
            "docs",
            "doc",
        }:
            continue  # the cheap test first: most paths are none of these
        suffix = PurePosixPath(name).suffix.lower()
        if suffix not in DOC_SUFFIXES:
            continue
        if upper.startswith("README"):
            if not parent or index.scope(path) is Scope.APP:
                readmes.append(path)
        elif upper.startswith(("CONTRIBUTING", "INSTALL")):
            if parent in {"", ".github", "docs", "doc"}:
                guides.append(path)
        elif suffix in {".md", ".rst"}:
            docs.append(path)
    return readmes + guides + docs[:MAX_DOC_FILES]


def _root_readme(paths: Sequence[str]) -> str | None:
    roots = [p for p in paths if "/" not in p and p.upper().startswith("README")]
    preferred = sorted(roots, key=lambda p: (PurePosixPath(p).suffix != ".md", p))
    return preferred[0] if preferred else None


def _base_directory(path: str) -> str:
    """Where a document's commands run: a README's own directory, else the root.

    Contributor guides and docs pages describe commands run from the root.
    """
    pure = PurePosixPath(path)
    if not pure.name.upper().startswith("README") or str(pure.parent) == ".":
        return ""
    return str(pure.parent)


def _scope_of(index: RepoIndex, path: str) -> Scope:
    # A contributor guide kept in .github/ is documentation, not CI.
    scope = index.scope(path)
    return Scope.DOCS if scope is Scope.CI else scope


def _directories(index: RepoIndex) -> set[str]:
    found: set[str] = {""}
    for path in index.paths():
        parent = path.rpartition("/")[0]
        while parent and parent not in found:
            found.add(parent)
            parent = parent.rpartition("/")[0]
    return found


# --- commands ---------------------------------------------------------------


def _commands(
    source: SourceText, scope: Scope, base: str, directories: set[str]
) -> Iterator[Fact]:
    snippets = rst_snippets if source.path.lower().endswith(".rst") else md_snippets
    seen: set[tuple[str, str]] = set()
    outside: tuple[str, ...] | None = None  # the section that left the checkout
    for snippet in snippets(source.lines):
        if snippet.headings == outside:
            continue  # later steps in a directory the reader made elsewhere
        outside = None
        if not _is_relevant(snippet):
            continue
        left = leaves_checkout_at(snippet.lines, directories)
        if left is not None:
            outside = snippet.headings
        for command in split_commands(snippet.lines, base):
            if left is not None and command.first_line >= left:
                break
            fact = _command_fact(source, scope, snippet, command, base, directories)
            if fact is not None and (fact.key, fact.cwd) not in seen:
                seen.add((fact.key, fact.cwd))
                yield fact


def _is_relevant(snippet: Snippet) -> bool:
    if snippet.language in SHELL_LANGUAGES:
        return True
    if snippet.language is not None and snippet.language not in PLAIN_LANGUAGES:
        return False
    return any(RELEVANT_HEADING.search(heading) for heading in snippet.headings)


def _command_fact(
    source: SourceText,
    scope: Scope,
    snippet: Snippet,
    command: ShellCommand,
    base: str,
    directories: set[str],
) -> Fact | None:
    role = classify(command.text)
    if role is None:
        return None
    prod = any(PROD_HEADING.search(heading) for heading in snippet.headings)
    kind = fact_kind(role, FactKind.PROD if prod else FactKind.DEV)
    # `cd my-clone` after `git clone` names the checkout, not a directory in it.
    cwd = command.cwd if command.cwd in directories else base
    heading = snippet.headings[-1] if snippet.headings else ""
    attrs: dict[str, object] = {"heading": heading}
    if role in {Role.RUN, Role.DEV, Role.PROD}:
        attrs["process"] = process_of(command.text)
    return Fact(
        kind=kind,
        key=command.text,
        source=f"readme.{snippet.rule}",
        evidence=(source.evidence(command.first_line, command.last_line),),
        scope=scope,
        weight=WEIGHT_DOCUMENTED,
        cwd=cwd,
        note=f"documented under '{heading}'" if heading else "documented",
        attrs=attrs,
    )


# --- ports and description ----------------------------------------------------


def _ports(source: SourceText, scope: Scope) -> Iterator[Fact]:
    cited: dict[int, list[int]] = {}
    for number, line in enumerate(source.lines, start=1):
        if not any(host in line for host in LOCAL_HOSTS):
            continue
        for found in LOCAL_PORT.finditer(line):
            port = int(found.group(1))
            if not _is_app_url(line, found, port):
                continue
            if number not in cited.setdefault(port, []):
                cited[port].append(number)
    for port, numbers in cited.items():
        yield Fact(
            kind=FactKind.PORT,
            key=str(port),
            source="readme.local_url",
            evidence=tuple(source.evidence(n) for n in numbers),
            scope=scope,
            weight=WEIGHT_DOCUMENTED,
            note="the docs point a browser or client at it",
            attrs={"role": "documented"},
        )


def _is_app_url(line: str, found: "re.Match[str]", port: int) -> bool:
    """False for a database URL or a bare address on a backing service's port."""
    if not 0 < port < 65536:
        return False
    before = line[: found.start()]
    if before.endswith("@") or re.search(r"[A-Za-z+]+://[^\s/]*$", before):
        return False
    return found.group(0).startswith("http") or port not in SERVICE_PORTS


def _description(source: SourceText) -> Fact | None:
    """The first real paragraph, or else a descriptive title."""
    rule, note = "first_paragraph", "first paragraph of the README"
    span = _first_paragraph(source.lines, source.path.lower().endswith(".rst"))
    if span is None:
        rule, note = "title", "title of the README (it has no descriptive paragraph)"
        span = _descriptive_title(source.lines)
    if span is None:
        return None
    start, end, text = span
    if len(text) > DESCRIPTION_MAX_CHARS:
        text = text[: DESCRIPTION_MAX_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return Fact(
        kind=FactKind.DESCRIPTION,
        key=text,
        source=f"readme.{rule}",
        evidence=(source.evidence(start, end),),
        scope=Scope.APP,
        weight=WEIGHT_DOCUMENTED,
        note=note,
    )


def _descriptive_title(lines: Sequence[str]) -> tuple[int, int, str] | None:
    """The first top-level heading when it is a phrase, not just a name."""
    for index in range(len(lines)):
        heading = heading_at(lines, index)
        if heading is None or heading[0] != 1:
            continue
        text = _plain_text(heading[1])
        if len(text.split()) >= TITLE_MIN_WORDS:
            return index + 1, index + 1, text
        return None
    return None


def _first_paragraph(lines: Sequence[str], rst: bool) -> tuple[int, int, str] | None:
    """``(first line, last line, cleaned text)`` of the first prose paragraph.

    A short paragraph that ends with a colon introduces something else (a
    command, a list) and is not a description.
    """
    index = 0
    in_fence = False
    while index < len(lines):
        line = lines[index]
        if FENCE.match(line):
            in_fence = not in_fence
        if line.lstrip().startswith("<"):
            index = _after_html(lines, index)
            continue
        if in_fence or _skipped_line(lines, index, rst):
            index += 1
            continue
        start = index
        parts: list[str] = []
        while index < len(lines) and lines[index].strip():
            if _skipped_line(lines, index, rst) or LIST_ITEM.match(lines[index]):
                break
            parts.append(_plain_text(lines[index]))
            index += 1
        text = " ".join(part for part in parts if part).strip()
        if _is_description(text):
            return start + 1, index, text
        index = max(index, start + 1)
    return None


def _is_description(text: str) -> bool:
    if len(text) < DESCRIPTION_MIN_CHARS or " " not in text:
        return False
    return not text.endswith(":") or len(text) > 2 * DESCRIPTION_MIN_CHARS


def _after_html(lines: Sequence[str], index: int) -> int:
    """The index after an HTML block or comment starting at ``index``."""
    comment = lines[index].lstrip().startswith("<!--")
    while index < len(lines):
        line = lines[index]
        index += 1
        if (comment and "-->" in line) or (not comment and not line.strip()):
            break
    return index


def _skipped_line(lines: Sequence[str], index: int, rst: bool) -> bool:
    """Blank lines, headings, badges, HTML, tables, lists and directives."""
    line = lines[index].strip()
    following = lines[index + 1] if index + 1 < len(lines) else ""
    quoted = line.lstrip("> ").strip()
    if not line or (ATX.match(line) and not line.startswith(">")):
        return True
    if lines[index][:2].isspace():
        return True  # list continuations and code, not prose
    if SETEXT.match(following) or SETEXT.match(line) or RST_ADORNMENT.match(line):
        return True
    if rst and (RST_ADORNMENT.match(following) or line.startswith(("..", ":"))):
        return True
    if quoted.startswith(("<", "[![", "![", "|", "[!", "```", "~~~")):
        return True
    return LIST_ITEM.match(lines[index]) is not None or not _plain_text(line)


def _plain_text(line: str) -> str:
    text = (
        line[:PARAGRAPH_LINE_MAX_CHARS].strip().lstrip(">").strip().lstrip("#").strip()
    )
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"<[^>]+>", "", text)
    text = re.sub(r"`+([^`]*)`+", r"\1", text)
    text = re.sub(r"(\*\*|__|\*|_)(\S(?:.*?\S)?)\1", r"\2", text)
    return " ".join(text.split())
