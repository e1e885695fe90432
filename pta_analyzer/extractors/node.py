"""Node/JavaScript: package.json files, lockfiles, workspaces, version pins.

Every package.json that is not vendored is read (the root and any nested or
workspace package); its commands run in its own directory (``cwd``). What it
yields: the package manager and install command (from lockfiles and the
``packageManager`` field), one command per meaningful script (each citing its
own line), ``node <main>`` when there is no start script, frameworks and their
default ports, services from dependencies, the Node version, the package's
description, project-kind hints, and workspace components.
"""

import logging
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import Any, NamedTuple

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors.node_config import config_ports
from pta_analyzer.extractors.node_frameworks import (
    SERVER_FRAMEWORKS,
    default_port,
    framework_of,
    script_ports,
)
from pta_analyzer.extractors.node_kinds import (
    is_frontend_only,
    kind_facts,
    unique_evidence,
)
from pta_analyzer.extractors.node_package import (
    Package,
    directory_of,
    join_path,
    load_package,
)
from pta_analyzer.extractors.node_scripts import (
    RUN_KINDS,
    classify_script,
    install_command,
    is_compile_only,
    script_command,
)
from pta_analyzer.extractors.node_workspaces import Member, find_members
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_DECLARED,
    WEIGHT_GUESS,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

# Lockfiles in the order their manager wins when several are present.
LOCKFILES: tuple[tuple[str, str], ...] = (
    ("pnpm-lock.yaml", "pnpm"),
    ("yarn.lock", "yarn"),
    ("bun.lockb", "bun"),
    ("bun.lock", "bun"),
    ("package-lock.json", "npm"),
    ("npm-shrinkwrap.json", "npm"),
)
KNOWN_MANAGERS = frozenset({"npm", "yarn", "pnpm", "bun"})
ENTRY_FILES = ("server.js", "app.js", "index.js")  # tried when there is no main
DEPENDENCY_SECTIONS = ("dependencies", "devDependencies")
VERSION_MAX_CHARS = 40  # a longer first line of .nvmrc is not a version


class _Manager(NamedTuple):
    """The package manager that runs a package's scripts."""

    name: str
    has_lockfile: bool
    declared: bool  # named by the packageManager field
    evidence: dict[str, tuple[Evidence, ...]]  # manager -> what shows it


class _Summary(NamedTuple):
    """What the component and monorepo facts need to know of a package."""

    package: Package
    member: Member | None
    run_evidence: tuple[Evidence, ...]  # the package's run scripts

    @property
    def deployable(self) -> bool:
        return bool(self.run_evidence)


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every non-vendored package.json and the Node version files."""
    packages = [
        p for p in (load_package(index, x) for x in index.named("package.json")) if p
    ]
    members = find_members(index, (p.directory for p in packages if p.directory))
    by_directory = {p.directory: p for p in packages}
    own_managers = {p.directory: _own_manager(index, p) for p in packages}
    summaries: list[_Summary] = []

    for package in packages:
        member = members.get(package.directory)
        manager = own_managers[package.directory]
        root = by_directory.get(member.root) if member is not None else None
        if root is not None and not manager.evidence:
            inherited = own_managers[root.directory]
            manager = _Manager(inherited.name, False, inherited.declared, {})
        elif member is None or manager.has_lockfile:
            yield from _manager_facts(package, manager)
        facts = list(_package_facts(index, package, manager.name))
        run_evidence = tuple(f.evidence[0] for f in facts if _serves(f))
        summaries.append(_Summary(package, member, run_evidence))
        yield from facts

    yield from _component_facts(summaries)
    yield from _version_file_facts(index)


def _own_manager(index: RepoIndex, package: Package) -> _Manager:
    """The manager that the package's own directory and fields name."""
    found: dict[str, list[Evidence]] = {}
    for name, manager in LOCKFILES:
        evidence = index.existence_evidence(join_path(package.directory, name))
        if evidence is not None:
            found.setdefault(manager, []).append(evidence)
    has_lockfile = bool(found)

    declared = _declared_manager(package)
    if declared is not None:
        name, evidence = declared
        found.setdefault(name, []).insert(0, evidence)
        primary = name
    else:
        primary = next(iter(found), "npm")
    evidence_of = {name: tuple(items) for name, items in found.items()}
    return _Manager(primary, has_lockfile, declared is not None, evidence_of)


def _declared_manager(package: Package) -> tuple[str, Evidence] | None:
    field = package.data.get("packageManager")
    evidence = package.evidence("packageManager")
    if not isinstance(field, str) or evidence is None:
        return None
    name = field.split("@", 1)[0].strip().lower()
    return (name, evidence) if name in KNOWN_MANAGERS else None


def _manager_facts(package: Package, manager: _Manager) -> Iterator[Fact]:
    if not manager.evidence:
        if _has_dependencies_or_scripts(package):
            yield from _default_npm_facts(package)
        return
    for name, evidence in manager.evidence.items():
        if name != manager.name:
            weight, note = WEIGHT_CONVENTION, f"{manager.name} is preferred"
        elif manager.declared:
            weight, note = WEIGHT_DECLARED, "the packageManager field names it"
        else:
            weight, note = WEIGHT_MANIFEST, ""
        common: dict[str, Any] = {
            "evidence": evidence,
            "scope": package.scope,
            "cwd": package.directory,
            "weight": weight,
            "note": note,
        }
        yield Fact(FactKind.PACKAGE_MANAGER, name, "node.package_manager", **common)
        has_lockfile = any(e.path != package.path for e in evidence)
        command = install_command(name, has_lockfile)
        yield Fact(FactKind.INSTALL, command, "node.install", **common)


def _default_npm_facts(package: Package) -> Iterator[Fact]:
    """No lockfile and no packageManager field: npm, by convention."""
    common: dict[str, Any] = {
        "evidence": (package.source.file_evidence(),),
        "status": Status.INFERRED,
        "scope": package.scope,
        "cwd": package.directory,
        "weight": WEIGHT_CONVENTION,
        "note": "no lockfile; npm is the default package manager",
    }
    yield Fact(FactKind.PACKAGE_MANAGER, "npm", "node.package_manager", **common)
    yield Fact(FactKind.INSTALL, "npm install", "node.install", **common)


def _package_facts(index: RepoIndex, package: Package, manager: str) -> Iterator[Fact]:
    script_facts = list(_script_facts(package, manager))
    frameworks = dict(_frameworks(package))
    has_start = any(f.attrs.get("script") == "start" for f in script_facts)

    yield from script_facts
    configured = list(config_ports(index, package.directory, package.scope))
    yield from configured
    ports_stated = bool(configured) or _every_run_sets_a_port(package)
    yield from _framework_facts(package, frameworks, ports_stated)
    yield from _service_facts(package)
    if not has_start:
        yield from _entry_facts(index, package, frameworks, script_facts)
    yield from _runtime_and_description(package)
    yield from kind_facts(package, frameworks, script_facts)


def _script_facts(package: Package, manager: str) -> Iterator[Fact]:
    scripts = package.strings("scripts")
    for name, body in scripts.items():
        kind = classify_script(name, body, scripts)
        evidence = package.evidence("scripts", name)
        if kind is None or evidence is None:
            continue
        yield Fact(
            kind,
            script_command(manager, name),
            "node.script",
            evidence=(evidence,),
            scope=package.scope,
            weight=WEIGHT_MANIFEST,
            cwd=package.directory,
            note=f"package.json script {name!r}",
            attrs={"script": name, "body": body, "via": f"{manager} script"},
        )
        if kind in RUN_KINDS:
            yield from _script_port_facts(package, name, body, evidence)


def _script_port_facts(
    package: Package, name: str, body: str, evidence: Evidence
) -> Iterator[Fact]:
    for port in script_ports(body):
        yield Fact(
            FactKind.PORT,
            str(port),
            "node.script_port",
            evidence=(evidence,),
            scope=package.scope,
            weight=WEIGHT_MANIFEST,
            cwd=package.directory,
            note=f"set in package.json script {name!r}",
            attrs={"role": "bind", "script": name},
        )


def _frameworks(package: Package) -> Iterator[tuple[str, tuple[str, Evidence]]]:
    """``(framework, (version, evidence))``, the first dependency of each."""
    seen: set[str] = set()
    publishes = package.evidence("main") or package.evidence("exports")
    for name, version, section in package.dependencies(DEPENDENCY_SECTIONS):
        framework = framework_of(name)
        evidence = package.evidence(section, name)
        if framework is None or framework in seen or evidence is None:
            continue
        if publishes and section != "dependencies" and framework in SERVER_FRAMEWORKS:
            continue  # a library's test server, not a server of its own
        seen.add(framework)
        yield framework, (version, evidence)


def _every_run_sets_a_port(package: Package) -> bool:
    """True when each run script states its port, so no default applies."""
    scripts = package.strings("scripts")
    bodies = [
        body
        for name, body in scripts.items()
        if classify_script(name, body, scripts) in RUN_KINDS
    ]
    return bool(bodies) and all(script_ports(body) for body in bodies)


def _framework_facts(
    package: Package,
    frameworks: dict[str, tuple[str, Evidence]],
    ports_stated: bool,
) -> Iterator[Fact]:
    for framework, (version, evidence) in frameworks.items():
        yield Fact(
            FactKind.FRAMEWORK,
            framework,
            "node.framework",
            evidence=(evidence,),
            scope=package.scope,
            cwd=package.directory,
            attrs={"version": version},
        )
        port = default_port(framework, version)
        if port is None or ports_stated:
            continue
        yield Fact(
            FactKind.PORT,
            str(port),
            "node.framework_port",
            evidence=(evidence,),
            status=Status.INFERRED,
            scope=package.scope,
            weight=WEIGHT_CONVENTION,
            cwd=package.directory,
            note=f"default port of {framework}",
            attrs={"role": "default", "framework": framework},
        )


def _service_facts(package: Package) -> Iterator[Fact]:
    seen: set[str] = set()
    for name, _version, section in package.dependencies(("dependencies",)):
        service = service_of_dependency(name)
        evidence = package.evidence(section, name)
        if service is None or service in seen or evidence is None:
            continue
        seen.add(service)
        yield Fact(
            FactKind.SERVICE,
            service,
            "node.dependency_service",
            evidence=(evidence,),
            scope=package.scope,
            cwd=package.directory,
            note=f"dependency {name}",
            attrs={"dependency": name},
        )


def _entry_facts(
    index: RepoIndex,
    package: Package,
    frameworks: dict[str, tuple[str, Evidence]],
    script_facts: list[Fact],
) -> Iterator[Fact]:
    """``node <main>`` for an application package without a start script."""
    is_server = bool(SERVER_FRAMEWORKS.intersection(frameworks))
    has_dev = any(f.kind is FactKind.DEV for f in script_facts)
    if not (is_server or has_dev) or is_frontend_only(frameworks):
        return

    weight = WEIGHT_CONVENTION if is_server else WEIGHT_GUESS
    main = package.data.get("main")
    evidence = package.evidence("main")
    if isinstance(main, str) and main.strip() and evidence is not None:
        target = main.strip()
        note = "package.json main; no start script"
        if not _module_exists(index, join_path(package.directory, target)):
            note += f"; {target} is not in the repository (built first?)"
            weight = WEIGHT_GUESS
    else:
        entry = _entry_file(index, package.directory)
        if entry is None:
            return
        target, evidence = entry
        note = f"{target} at the package root; no start script"
    yield Fact(
        FactKind.PROD,
        f"node {target}",
        "node.main",
        evidence=(evidence,),
        status=Status.INFERRED,
        scope=package.scope,
        weight=weight,
        cwd=package.directory,
        note=note,
    )


def _module_exists(index: RepoIndex, path: str) -> bool:
    """Whether ``node`` finds a module at ``path`` (as is, .js, or a folder)."""
    path = str(PurePosixPath(path))
    candidates = (path, f"{path}.js", f"{path}.cjs", f"{path}.mjs", f"{path}/index.js")
    return any(index.exists(candidate) for candidate in candidates)


def _entry_file(index: RepoIndex, directory: str) -> tuple[str, Evidence] | None:
    for name in ENTRY_FILES:
        evidence = index.existence_evidence(join_path(directory, name))
        if evidence is not None:
            return name, evidence
    return None


def _runtime_and_description(package: Package) -> Iterator[Fact]:
    engines = package.data.get("engines")
    node = engines.get("node") if isinstance(engines, dict) else None
    evidence = package.evidence("engines", "node")
    if isinstance(node, str) and node.strip() and evidence is not None:
        yield Fact(
            FactKind.RUNTIME,
            "node " + " ".join(node.split()),
            "node.engines",
            evidence=(evidence,),
            scope=package.scope,
            cwd=package.directory,
        )

    description = package.data.get("description")
    evidence = package.evidence("description")
    if isinstance(description, str) and description.strip() and evidence is not None:
        yield Fact(
            FactKind.DESCRIPTION,
            " ".join(description.split()),
            "node.description",
            evidence=(evidence,),
            scope=package.scope,
            cwd=package.directory,
        )


def _component_facts(summaries: list[_Summary]) -> Iterator[Fact]:
    """A COMPONENT per workspace member and per nested deployable package."""
    deployable: list[Evidence] = []
    for summary in summaries:
        package, member = summary.package, summary.member
        if member is None and not (
            package.directory and summary.deployable and package.scope is Scope.APP
        ):
            continue
        cited = unique_evidence(summary.run_evidence)
        if member is not None:
            cited = (member.evidence, *cited)
        if summary.deployable and package.scope is Scope.APP:
            deployable.append(summary.run_evidence[0])
        name = package.data.get("name")
        yield Fact(
            FactKind.COMPONENT,
            package.directory,
            "node.component",
            evidence=cited,
            scope=package.scope,
            cwd=package.directory,
            note="workspace package" if member else "nested package with run scripts",
            attrs={
                "name": name if isinstance(name, str) else "",
                "workspace": member.tool if member else "",
                "deployable": summary.deployable,
            },
        )

    if len(deployable) >= 2:
        yield Fact(
            FactKind.PROJECT_KIND,
            "monorepo",
            "node.project_kind",
            evidence=unique_evidence(deployable),
            status=Status.INFERRED,
            weight=WEIGHT_CONVENTION,
            note=f"{len(deployable)} deployable JavaScript packages",
        )


def _version_file_facts(index: RepoIndex) -> Iterator[Fact]:
    """RUNTIME from ``.nvmrc`` and ``.node-version``."""
    for source in index.texts(index.named(".nvmrc", ".node-version")):
        for number, line in enumerate(source.lines, start=1):
            version = line.split("#", 1)[0].strip()
            if not version:
                continue
            if len(version) <= VERSION_MAX_CHARS and " " not in version:
                yield Fact(
                    FactKind.RUNTIME,
                    "node " + version.removeprefix("v"),
                    "node.version_file",
                    evidence=(source.evidence(number),),
                    scope=index.scope(source.path),
                    cwd=directory_of(source.path),
                )
            break


def _serves(fact: Fact) -> bool:
    """Whether a script fact runs the package as a program (not a compiler)."""
    body = fact.attrs.get("body")
    if fact.kind not in RUN_KINDS or not isinstance(body, str):
        return False
    return not is_compile_only(body)


def _has_dependencies_or_scripts(package: Package) -> bool:
    """Whether there is anything for ``npm install`` to do."""
    sections = ("scripts", *DEPENDENCY_SECTIONS, "optionalDependencies")
    has_workspaces = bool(package.data.get("workspaces"))
    return has_workspaces or any(package.strings(section) for section in sections)
