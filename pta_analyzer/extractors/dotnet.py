""".NET projects: solutions, project files, ASP.NET Core, tests, EF Core.

Projects (``*.csproj``, ``*.fsproj``, ``*.vbproj``) are grouped under the
nearest directory holding a solution (``*.sln``, ``*.slnx``); restore, build and
test run there, and runnable projects are started with
``dotnet run --project <path>``. A project with no solution above it is its
own group and runs with plain ``dotnet run`` in its directory.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    directory_of,
    existing,
    fact,
    glob_in,
    is_under,
    line_evidence,
    project_kind,
    service_facts,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

PROJECT_SUFFIXES = (".csproj", ".fsproj", ".vbproj")
SOLUTION_SUFFIXES = (".sln", ".slnx")
TEST_SDK_PACKAGES = frozenset({"microsoft.net.test.sdk"})
# NuGet ids (lowercased) too plain for the shared table: elsewhere "sentry" is
# the Sentry server itself and "nest" a web framework.
PACKAGE_SERVICES: dict[str, str] = {"sentry": "sentry", "nest": "elasticsearch"}
EF_TOOL_PACKAGES = frozenset(
    {"microsoft.entityframeworkcore.design", "microsoft.entityframeworkcore.tools"}
)


@dataclass
class DotnetProject:
    """One project file and what it declares."""

    source: SourceText
    sdk: str = ""
    output_type: str = ""
    target: str = ""
    packages: list[str] = field(default_factory=list)
    is_test: bool = False

    @property
    def directory(self) -> str:
        return directory_of(self.source.path)

    @property
    def is_web(self) -> bool:
        return self.sdk.lower().startswith("microsoft.net.sdk.web")

    @property
    def is_worker(self) -> bool:
        return self.sdk.lower() == "microsoft.net.sdk.worker"

    @property
    def is_runnable(self) -> bool:
        if self.is_test:
            return False
        return (
            self.is_web
            or self.is_worker
            or self.output_type.lower() in ("exe", "winexe")
        )


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every .NET project and solution of the repository."""
    paths = [p for p in index.paths() if p.endswith(PROJECT_SUFFIXES)]
    projects = [p for s in index.texts(paths) if (p := _parse_project(s))]
    if not projects:
        return
    solutions = sorted(p for p in index.paths() if p.endswith(SOLUTION_SUFFIXES))

    # A project belongs to the solution in the nearest directory above it.
    groups: dict[str, list[DotnetProject]] = {}
    for project in projects:
        owners = [s for s in solutions if _contains(directory_of(s), project.directory)]
        anchor = max(owners, key=lambda s: len(directory_of(s))) if owners else ""
        groups.setdefault(anchor or project.source.path, []).append(project)

    for anchor, members in sorted(groups.items()):
        solution = anchor if anchor.endswith(SOLUTION_SUFFIXES) else None
        yield from _group_facts(index, solution, members)
    yield from _global_json_facts(index)


def _contains(directory: str, path: str) -> bool:
    return directory == path or is_under(path, directory)


def _parse_project(source: SourceText) -> DotnetProject | None:
    # Imported here: ElementTree compiles its path patterns when imported,
    # and most trees hold no such file.
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(source.text.lstrip("\ufeff"))  # noqa: S314
    except ET.ParseError as error:
        logger.debug(
            "unreadable project file", extra={"path": source.path, "error": str(error)}
        )
        return None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.split("}", 1)[1]
    project = DotnetProject(source=source, sdk=root.get("Sdk", "").strip())
    if not project.sdk:
        sdk = root.find("Sdk")
        project.sdk = sdk.get("Name", "") if sdk is not None else ""
    project.output_type = root.findtext("PropertyGroup/OutputType", "").strip()
    project.target = (
        root.findtext("PropertyGroup/TargetFramework", "")
        or root.findtext("PropertyGroup/TargetFrameworks", "")
    ).strip()
    project.packages = [
        r.get("Include", "").strip()
        for r in root.iterfind("ItemGroup/PackageReference")
        if r.get("Include")
    ]
    declared_test = root.findtext("PropertyGroup/IsTestProject", "").strip().lower()
    project.is_test = declared_test == "true" or any(
        p.lower() in TEST_SDK_PACKAGES for p in project.packages
    )
    return project


def _group_facts(
    index: RepoIndex, solution: str | None, members: list[DotnetProject]
) -> Iterator[Fact]:
    anchor = solution or members[0].source.path
    cwd = directory_of(anchor)
    scope = index.scope(anchor)
    manifest = existing(index, anchor)
    rule = "dotnet.solution" if solution else "dotnet.project"

    yield fact(FactKind.PACKAGE_MANAGER, "nuget", rule, manifest, scope)
    yield fact(
        FactKind.INSTALL,
        "dotnet restore",
        rule,
        manifest,
        scope,
        inferred=True,
        cwd=cwd,
        note="restores the NuGet packages of the projects",
    )
    yield fact(
        FactKind.BUILD,
        "dotnet build",
        rule,
        manifest,
        scope,
        inferred=True,
        cwd=cwd,
        note="builds the projects",
    )
    test_projects = [p for p in members if p.is_test]
    if test_projects:
        cited = _package_line(test_projects[0], "Microsoft.NET.Test.Sdk")
        yield fact(
            FactKind.TEST,
            "dotnet test",
            rule,
            [*manifest, cited],
            scope,
            inferred=True,
            cwd=cwd,
            note="runs the application's own test projects",
        )

    for project in members:
        yield from _project_facts(index, project, solution, cwd)
    kinds = [_kind_of(p) for p in members if p.is_runnable]
    kind = "service" if "service" in kinds else (kinds[0] if kinds else "library")
    note = "from the SDKs and output types of the projects"
    yield project_kind(kind, rule, manifest, scope, cwd, note)


def _project_facts(
    index: RepoIndex, project: DotnetProject, solution: str | None, cwd: str
) -> Iterator[Fact]:
    source, scope = project.source, index.scope(project.source.path)
    sdk_line = line_evidence(source, r"Sdk\s*=|<Sdk\b")
    if project.target:
        yield fact(
            FactKind.RUNTIME,
            f"dotnet {project.target}",
            "dotnet.project",
            [line_evidence(source, r"<TargetFrameworks?>")],
            scope,
        )
    if project.is_web:
        yield fact(
            FactKind.FRAMEWORK, "aspnetcore", "dotnet.project", [sdk_line], scope
        )

    if project.is_runnable:
        if solution is None:
            command, run_cwd = "dotnet run", project.directory
        else:
            relative = source.path[len(cwd) + 1 :] if cwd else source.path
            command, run_cwd = f"dotnet run --project {relative}", cwd
        process = "worker" if project.is_worker else "web" if project.is_web else ""
        yield fact(
            FactKind.DEV,
            command,
            "dotnet.project",
            [sdk_line],
            scope,
            inferred=True,
            cwd=run_cwd,
            note=f"runs {PurePosixPath(source.path).stem}",
            attrs={"process": process} if process else None,
        )

    packages = {p.lower(): p for p in project.packages}
    migrations = glob_in(index, project.directory, "Migrations/*.cs")
    if EF_TOOL_PACKAGES & set(packages) and migrations:
        tool = next(packages[p] for p in sorted(EF_TOOL_PACKAGES & set(packages)))
        yield fact(
            FactKind.MIGRATE,
            "dotnet ef database update",
            "dotnet.ef",
            [_package_line(project, tool), *existing(index, sorted(migrations)[0])],
            scope,
            inferred=True,
            cwd=project.directory,
            note="applies the EF Core migrations (needs the dotnet-ef tool)",
        )
    if not project.is_test:
        yield from _service_facts(project, scope)


def _service_facts(project: DotnetProject, scope: Scope) -> Iterator[Fact]:
    def service_of(package: str) -> str | None:
        lowered = package.lower()
        return PACKAGE_SERVICES.get(lowered) or service_of_dependency(lowered)

    return service_facts(
        project.packages,
        service_of,
        lambda package: _package_line(project, package),
        "dotnet.project",
        scope,
        "the project references {name}",
    )


def _kind_of(project: DotnetProject) -> str:
    if project.is_web:
        return "service"
    return "worker" if project.is_worker else "cli"


def _package_line(project: DotnetProject, package: str) -> Evidence:
    quoted = re.escape(package)
    return line_evidence(
        project.source, rf"(?i)PackageReference\s+Include\s*=\s*[\"']{quoted}[\"']"
    )


def _global_json_facts(index: RepoIndex) -> Iterator[Fact]:
    for source in index.texts(index.named("global.json")):
        number = source.find_line(r'^\s*"version"\s*:\s*"([^"]+)"')
        if number is None:
            continue
        match = re.search(r'"version"\s*:\s*"([^"]+)"', source.lines[number - 1])
        if match is not None:
            yield fact(
                FactKind.RUNTIME,
                f"dotnet-sdk {match[1]}",
                "dotnet.global_json",
                [source.evidence(number)],
                index.scope(source.path),
                note="the .NET SDK version global.json pins",
            )
