"""Project-kind hints of a package.json: cli, service, static-site, library.

They are hints, not answers: the assembler weighs them against what other
extractors found (a Dockerfile, a Procfile) before it names the project's kind.
"""

from collections.abc import Iterable, Iterator

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors.node_frameworks import (
    FRONTEND_FRAMEWORKS,
    SERVER_FRAMEWORKS,
)
from pta_analyzer.extractors.node_package import Package
from pta_analyzer.extractors.node_scripts import RUN_KINDS
from pta_analyzer.facts import WEIGHT_CONVENTION, Fact, FactKind, Status


def kind_facts(
    package: Package,
    frameworks: dict[str, tuple[str, Evidence]],
    script_facts: list[Fact],
) -> Iterator[Fact]:
    """PROJECT_KIND hints: cli, service, static-site, library."""
    servers = [e for f, (_v, e) in frameworks.items() if f in SERVER_FRAMEWORKS]
    starts = [f.evidence[0] for f in script_facts if f.kind is FactKind.PROD]
    builds = [f.evidence[0] for f in script_facts if f.kind is FactKind.BUILD]
    runs = [f for f in script_facts if f.kind in RUN_KINDS]
    bin_evidence = package.evidence("bin")

    if bin_evidence is not None:
        yield hint(package, "cli", (bin_evidence,), "package.json bin")
    frontend_only = is_frontend_only(frameworks)
    if frontend_only and builds:
        front = [e for f, (_v, e) in frameworks.items() if f in FRONTEND_FRAMEWORKS]
        note = "front-end framework with a build script and no server"
        yield hint(package, "static-site", (*front[:1], *builds[:1]), note)
        return
    is_desktop = "electron" in frameworks and not servers
    if not frontend_only and not is_desktop and (servers or starts):
        note = "server framework" if servers else "start script"
        cited = unique_evidence((*servers[:1], *starts[:1]))
        yield hint(package, "service", cited, note)
        return

    exported = package.evidence("main") or package.evidence("exports")
    if exported is not None and not runs and bin_evidence is None:
        note = "main/exports and no start or dev script"
        yield hint(package, "library", (exported,), note)


def hint(
    package: Package, kind: str, evidence: tuple[Evidence, ...], note: str
) -> Fact:
    """A PROJECT_KIND hint of ``package``."""
    return Fact(
        FactKind.PROJECT_KIND,
        kind,
        "node.project_kind",
        evidence=evidence,
        status=Status.INFERRED,
        scope=package.scope,
        weight=WEIGHT_CONVENTION,
        cwd=package.directory,
        note=note,
    )


def is_frontend_only(frameworks: dict[str, tuple[str, Evidence]]) -> bool:
    """Whether the frameworks are front-end ones with no server among them."""
    names = set(frameworks)
    return bool(names & FRONTEND_FRAMEWORKS) and not names & SERVER_FRAMEWORKS


def unique_evidence(evidence: Iterable[Evidence]) -> tuple[Evidence, ...]:
    """``evidence`` in order, each cited once."""
    return tuple(dict.fromkeys(evidence))
