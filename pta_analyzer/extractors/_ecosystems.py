"""Helpers shared by the manifest extractors of compiled and scripting ecosystems.

Go, Rust, JVM, Ruby, PHP and .NET extractors all turn one manifest into the
same few kinds of facts; these helpers keep them short and alike. The module's
name starts with an underscore so the extractor registry skips it.
"""

import fnmatch
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import PurePosixPath
from weakref import WeakKeyDictionary

from pta_analyzer.evidence import Evidence
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope

# Sorted paths of each index, so that listing a directory costs a binary
# search instead of a pass over every file (manifests can number hundreds).
_SORTED_PATHS: "WeakKeyDictionary[RepoIndex, list[str]]" = WeakKeyDictionary()
_PATH_END = "\U0010ffff"
_WILDCARDS = frozenset("*?[")


def glob_in(index: RepoIndex, directory: str, *patterns: str) -> list[str]:
    """Sorted paths under ``directory`` whose path relative to it matches.

    Patterns are shell-style and ``*`` spans ``/``, as in ``RepoIndex.glob``.
    Only the paths under a pattern's literal leading directories are looked
    at, so ``tests/*.rs`` costs what the tests directory holds.
    """
    paths = _SORTED_PATHS.get(index)
    if paths is None:
        paths = _SORTED_PATHS[index] = sorted(index.paths())
    found: set[str] = set()
    for pattern in patterns:
        parts = pattern.split("/")
        literal = 0
        while literal < len(parts) - 1 and _WILDCARDS.isdisjoint(parts[literal]):
            literal += 1
        base = "/".join([directory, *parts[:literal]] if directory else parts[:literal])
        rest = "/".join(parts[literal:])
        prefix = f"{base}/" if base else ""
        start = bisect_left(paths, prefix)
        end = bisect_left(paths, prefix + _PATH_END, lo=start)
        found.update(
            path
            for path in paths[start:end]
            if fnmatch.fnmatchcase(path[len(prefix) :], rest)
        )
    return sorted(found)


def directory_of(path: str) -> str:
    """The directory of a repository-relative path ("" for the root)."""
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent


def join(directory: str, name: str) -> str:
    """``directory/name`` for a repository-relative directory ("" = root)."""
    return f"{directory}/{name}" if directory else name


def is_under(path: str, directory: str) -> bool:
    """True when ``path`` lies inside ``directory`` ("" contains everything)."""
    return not directory or path.startswith(directory + "/")


def line_evidence(source: SourceText, pattern: str) -> Evidence:
    """Evidence for the first line matching ``pattern``, else the whole file."""
    number = source.find_line(pattern)
    if number is None:
        return source.file_evidence()
    return source.evidence(number)


def manifests(index: RepoIndex, *names: str) -> list[SourceText]:
    """The non-empty readable files named one of ``names``, sorted by path.

    An empty file states nothing and has no line to cite.
    """
    return [source for source in index.texts(index.named(*names)) if source.lines]


def existing(index: RepoIndex, *paths: str) -> tuple[Evidence, ...]:
    """Existence evidence for each non-empty path of ``paths`` in the tree.

    Empty files are left out: they have no line a citation could point at.
    """
    found: list[Evidence] = []
    for path in paths:
        source = index.read(path)
        if source is not None and not source.lines:
            continue
        evidence = index.existence_evidence(path)
        if evidence is not None:
            found.append(evidence)
    return tuple(found)


def fact(
    kind: FactKind,
    key: str,
    rule: str,
    evidence: Iterable[Evidence],
    scope: Scope,
    *,
    inferred: bool = False,
    cwd: str = "",
    note: str = "",
    attrs: Mapping[str, object] | None = None,
    weight: int | None = None,
) -> Fact:
    """A fact at manifest weight, or at convention weight when inferred.

    ``weight`` overrides either.
    """
    if weight is None:
        weight = WEIGHT_CONVENTION if inferred else WEIGHT_MANIFEST
    return Fact(
        kind=kind,
        key=key,
        source=rule,
        evidence=tuple(evidence),
        status=Status.INFERRED if inferred else Status.EVIDENCED,
        scope=scope,
        weight=weight,
        cwd=cwd,
        note=note,
        attrs=dict(attrs or {}),
    )


def service_facts(
    names: Iterable[str],
    service_of: Callable[[str], str | None],
    cite: Callable[[str], Evidence],
    rule: str,
    scope: Scope,
    note: str,
) -> Iterator[Fact]:
    """One SERVICE fact per service the dependencies ``names`` talk to.

    The first dependency of each service is cited (``cite(name)``); ``note``
    is formatted with ``{name}``.
    """
    seen: set[str] = set()
    for name in names:
        service = service_of(name)
        if service is None or service in seen:
            continue
        seen.add(service)
        yield fact(
            FactKind.SERVICE,
            service,
            rule,
            [cite(name)],
            scope,
            note=note.format(name=name),
        )


def default_port(
    port: int, framework: str, rule: str, evidence: Evidence, scope: Scope
) -> Fact:
    """The INFERRED default port of a framework, citing what names it."""
    return fact(
        FactKind.PORT,
        str(port),
        rule,
        [evidence],
        scope,
        inferred=True,
        note=f"{framework} listens on {port} unless configured otherwise",
        attrs={"role": "default"},
    )


def project_kind(
    key: str, rule: str, evidence: Iterable[Evidence], scope: Scope, cwd: str, note: str
) -> Fact:
    """The INFERRED kind (service, cli, library...) of the project at ``cwd``."""
    return fact(
        FactKind.PROJECT_KIND,
        key,
        rule,
        evidence,
        scope,
        inferred=True,
        cwd=cwd,
        note=note,
    )
