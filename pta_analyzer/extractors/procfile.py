"""Procfiles: the processes a platform (Heroku, Dokku, foreman) runs.

``web`` is the production start command, stated for that purpose; other
process types (worker, clock...) are production processes too; ``release``
runs before each deploy, usually migrations. A ``web`` line that chains steps
(``migrate && collectstatic && gunicorn``) also yields its parts. Ports named
in the commands are left to the assembler.
"""

from collections.abc import Iterator
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import WEIGHT_DECLARED, WEIGHT_MANIFEST, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText

PART_WEIGHT = WEIGHT_MANIFEST  # one step of a chained Procfile command

_PROCESS_LINE = regex(r"^([A-Za-z0-9_-]+)\s*:\s*(\S.*?)\s*$")
_PROCFILE_NAME = regex(r"^Procfile(\.[\w.-]+)?$")


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Procfile of the repository."""
    paths = [
        p
        for p in index.paths()
        if "Procfile" in p and _PROCFILE_NAME().match(p.rpartition("/")[2])
    ]  # every name _PROCFILE_NAME matches holds "Procfile": the cheap test first
    for source in index.texts(paths):
        yield from _procfile_facts(index, source)


def _procfile_facts(index: RepoIndex, source: SourceText) -> Iterator[Fact]:
    parent = str(PurePosixPath(source.path).parent)
    cwd = "" if parent == "." else parent
    is_dev = "dev" in PurePosixPath(source.path).suffix.lower()
    for number, match in source.find_lines(_PROCESS_LINE()):
        process, command = match.group(1), _runlines.normalize(match.group(2))
        if command.startswith("#"):
            continue
        kind = FactKind.DEV if is_dev else FactKind.PROD
        if process == "release" and _runlines.runs_migrations(command):
            kind = FactKind.MIGRATE
        weight = WEIGHT_DECLARED if process == "web" else WEIGHT_MANIFEST
        evidence = (source.evidence(number),)
        attrs = {"process": process, "via": f"{PurePosixPath(source.path).name}"}
        yield Fact(
            kind=kind,
            key=command,
            source="procfile.process",
            evidence=evidence,
            scope=index.scope(source.path),
            weight=weight,
            cwd=cwd,
            note=f"Procfile process {process}",
            attrs=attrs,
        )
        migrations, main = _runlines.chain_steps(command, cwd)
        steps = [(FactKind.MIGRATE, where, part) for where, part in migrations]
        if main is not None:
            steps.append((kind, *main))
        for part_kind, where, part in steps:
            if part == command:
                continue
            yield Fact(
                kind=part_kind,
                key=part,
                source="procfile.step",
                evidence=evidence,
                scope=index.scope(source.path),
                weight=PART_WEIGHT,
                cwd=where,
                note=f"a step of Procfile process {process}",
                attrs={**attrs, "part_of": command},
            )
