"""Rust crates and workspaces: Cargo.toml, binaries, tests, frameworks, services.

Commands are emitted for top manifests only: a Cargo.toml that no ancestor
workspace contains. Members of a workspace contribute their binaries (run with
``cargo run -p <package>``), frameworks and services to the workspace's root.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    default_port,
    directory_of,
    existing,
    fact,
    glob_in,
    is_under,
    join,
    line_evidence,
    manifests,
    project_kind,
)
from pta_analyzer.facts import Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

FRAMEWORKS: dict[str, str] = {
    "actix-web": "actix-web",
    "axum": "axum",
    "rocket": "rocket",
    "warp": "warp",
    "poem": "poem",
    "tide": "tide",
}
DEFAULT_PORTS: dict[str, int] = {"rocket": 8000}
# Crate names the shared service table does not hold or holds for another
# ecosystem under a different meaning.
EXTRA_SERVICES: dict[str, str] = {
    "redis": "redis",
    "mongodb": "mongodb",
    "mysql": "mysql",
    "mysql_async": "mysql",
    "postgres": "postgres",
    "deadpool-postgres": "postgres",
    "lapin": "rabbitmq",
    "rdkafka": "kafka",
    "aws-sdk-s3": "s3",
    "async-stripe": "stripe",
    "sentry": "sentry",
}
DEPENDENCY_TABLES = ("dependencies",)
DATABASE_CRATES = frozenset({"sqlx", "diesel", "sea-orm"})
FEATURE_DATABASES: dict[str, str] = {
    "postgres": "postgres",
    "mysql": "mysql",
    "sqlite": "sqlite",
    "mssql": "mssql",
}


@dataclass
class Crate:
    """One parsed Cargo.toml."""

    source: SourceText
    directory: str
    data: dict[str, Any]
    binaries: list[str] = field(default_factory=list)

    @property
    def package(self) -> dict[str, Any]:
        package = self.data.get("package")
        return package if isinstance(package, dict) else {}

    @property
    def name(self) -> str:
        name = self.package.get("name")
        return name if isinstance(name, str) else ""

    @property
    def is_workspace(self) -> bool:
        return isinstance(self.data.get("workspace"), dict)

    @property
    def is_fuzz_harness(self) -> bool:
        metadata = self.package.get("metadata")
        return isinstance(metadata, dict) and metadata.get("cargo-fuzz") is True

    def workspace_package(self, key: str) -> object:
        """A ``[workspace.package]`` value members inherit, or None."""
        workspace = self.data.get("workspace")
        package = workspace.get("package") if isinstance(workspace, dict) else None
        return package.get(key) if isinstance(package, dict) else None


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Cargo.toml of the repository."""
    parsed = map(_parse, manifests(index, "Cargo.toml"))
    # cargo-fuzz crates are fuzzing harnesses run by `cargo fuzz`, not the app.
    crates = [c for c in parsed if c is not None and not c.is_fuzz_harness]
    workspaces = [c.directory for c in crates if c.is_workspace]
    for crate in crates:
        crate.binaries = _binaries(index, crate)

    roots = {c.source.path: _workspace_root(c, workspaces) for c in crates}
    members: dict[str, list[Crate]] = {}
    for crate in crates:
        root = roots[crate.source.path]
        if root is not None:
            members.setdefault(root, []).append(crate)

    for crate in crates:
        is_top = roots[crate.source.path] is None
        yield from _crate_facts(crate, index.scope(crate.source.path), is_top)
        if is_top:
            yield from _top_facts(index, crate, members.get(crate.directory, []))


def _parse(source: SourceText) -> Crate | None:
    import tomllib  # here: most repositories hold no TOML file this reads

    try:
        data = tomllib.loads(source.text)
    except (tomllib.TOMLDecodeError, ValueError) as error:
        logger.debug(
            "unreadable Cargo.toml", extra={"path": source.path, "error": str(error)}
        )
        return None
    if not isinstance(data.get("package"), dict) and not isinstance(
        data.get("workspace"), dict
    ):
        return None  # neither a crate nor a workspace
    return Crate(source=source, directory=directory_of(source.path), data=data)


def _workspace_root(crate: Crate, workspaces: list[str]) -> str | None:
    """The directory of the workspace containing ``crate``, None if top-level."""
    if crate.is_workspace:
        return None
    outer = [
        d for d in workspaces if d != crate.directory and is_under(crate.directory, d)
    ]
    return max(outer, key=len) if outer else None


def _binaries(index: RepoIndex, crate: Crate) -> list[str]:
    if not crate.package:
        return []
    declared = _declared_bins(crate)
    names = list(declared)
    autobins = crate.package.get("autobins", True) is not False
    main_declared = "src/main.rs" in declared.values() or crate.name in declared
    has_main = index.exists(join(crate.directory, "src/main.rs"))
    if autobins and has_main and not main_declared:
        names.append(crate.name)
    if autobins:
        bin_dir = join(crate.directory, "src/bin")
        for path in glob_in(index, crate.directory, "src/bin/*.rs"):
            # Cargo finds src/bin/<name>.rs and src/bin/<name>/main.rs only.
            relative = PurePosixPath(path[len(bin_dir) + 1 :])
            if len(relative.parts) == 1:
                names.append(relative.stem)
            elif len(relative.parts) == 2 and relative.name == "main.rs":
                names.append(relative.parts[0])
    return sorted({n for n in names if n})


def _crate_facts(crate: Crate, scope: Scope, is_top: bool) -> Iterator[Fact]:
    source = crate.source
    description = crate.package.get("description")
    if is_top and isinstance(description, str) and description.strip():
        yield fact(
            FactKind.DESCRIPTION,
            " ".join(description.split()),
            "rust.cargo_toml",
            [line_evidence(source, r"^\s*description\s*=")],
            scope,
        )
    rust_version = crate.package.get("rust-version")
    if is_top and not isinstance(rust_version, str):
        rust_version = crate.workspace_package("rust-version")
    if isinstance(rust_version, str):
        yield fact(
            FactKind.RUNTIME,
            f"rust {rust_version}",
            "rust.rust_version",
            [line_evidence(source, r"^\s*rust-version\s*=")],
            scope,
            note="minimum supported Rust version",
        )

    seen: set[str] = set()
    for name in _dependency_names(crate.data):
        cited = _dependency_line(source, name)
        framework = FRAMEWORKS.get(name)
        if framework and framework not in seen:
            seen.add(framework)
            yield fact(FactKind.FRAMEWORK, framework, "rust.dependency", [cited], scope)
            if framework in DEFAULT_PORTS:
                yield default_port(
                    DEFAULT_PORTS[framework], framework, "rust.dependency", cited, scope
                )
        service = _database_of_features(crate.data, name) or (
            service_of_dependency(name) or EXTRA_SERVICES.get(name)
        )
        if service and f"service:{service}" not in seen:
            seen.add(f"service:{service}")
            yield fact(
                FactKind.SERVICE,
                service,
                "rust.dependency",
                [cited],
                scope,
                note=f"the crate depends on {name}",
            )


def _top_facts(index: RepoIndex, crate: Crate, members: list[Crate]) -> Iterator[Fact]:
    source, cwd = crate.source, crate.directory
    scope = index.scope(source.path)
    manifest = line_evidence(source, r"^\s*\[(package|workspace)\]")
    lock = existing(index, join(cwd, "Cargo.lock"))
    yield fact(
        FactKind.PACKAGE_MANAGER, "cargo", "rust.cargo_toml", [manifest, *lock], scope
    )
    yield from _toolchain_facts(index, cwd, scope)

    # Cargo has no separate install step: building fetches the dependencies
    # and is what makes a checkout runnable, so it is both.
    for command_kind in (FactKind.INSTALL, FactKind.BUILD):
        yield fact(
            command_kind,
            "cargo build --release",
            "rust.cargo_toml",
            [manifest],
            scope,
            inferred=True,
            cwd=cwd,
            note="fetches the dependencies and builds optimised binaries",
        )
    yield from _test_facts(index, crate, manifest)

    runnable = [(crate, b) for b in crate.binaries] + [
        (m, b) for m in members for b in m.binaries
    ]
    for owner, binary in runnable:
        yield _run_fact(index, crate, owner, binary, runnable)
    if crate.binaries and len(crate.binaries) == 1:
        yield fact(
            FactKind.INSTALL,
            "cargo install --path .",
            "rust.cargo_toml",
            [manifest],
            scope,
            inferred=True,
            cwd=cwd,
            note=f"installs the {crate.binaries[0]} binary into Cargo's bin directory",
        )

    has_framework = any(
        FRAMEWORKS.get(n) for c in [crate, *members] for n in _dependency_names(c.data)
    )
    if runnable and has_framework:
        kind, note = "service", "a binary and a web framework"
    elif runnable:
        kind, note = "cli", "a binary and no web framework"
    else:
        kind, note = "library", "a crate with no binary"
    yield project_kind(kind, "rust.kind", [manifest], scope, cwd, note)


def _run_fact(
    index: RepoIndex,
    top: Crate,
    owner: Crate,
    binary: str,
    runnable: list[tuple[Crate, str]],
) -> Fact:
    command = "cargo run"
    if owner is not top:
        command += f" -p {owner.name}"
        if len(owner.binaries) > 1:
            command += f" --bin {binary}"
    elif len(runnable) > 1:
        command += f" --bin {binary}"
    cited = _binary_evidence(index, owner, binary)
    return fact(
        FactKind.DEV,
        command,
        "rust.binary",
        [cited],
        index.scope(owner.source.path),
        inferred=True,
        cwd=top.directory,
        note=f"builds and runs the {binary} binary",
    )


def _declared_bins(crate: Crate) -> dict[str, str]:
    """``[[bin]]`` targets: name to path ("" when the path is not stated)."""
    declared = crate.data.get("bin")
    found: dict[str, str] = {}
    for item in declared if isinstance(declared, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            path = item.get("path")
            found[item["name"]] = (
                path.removeprefix("./") if isinstance(path, str) else ""
            )
    return found


def _binary_evidence(index: RepoIndex, crate: Crate, binary: str) -> Evidence:
    stated = _declared_bins(crate).get(binary)
    candidates = [
        join(crate.directory, stated) if stated else "",
        join(crate.directory, "src/main.rs") if binary == crate.name else "",
        join(crate.directory, f"src/bin/{binary}.rs"),
        join(crate.directory, f"src/bin/{binary}/main.rs"),
    ]
    for path in candidates:
        source = index.read(path) if path else None
        if source is not None:
            line = source.find_line(r"^\s*(pub\s+)?(async\s+)?fn\s+main\s*\(")
            return source.evidence(line) if line else source.file_evidence()
    quoted = re.escape(binary)
    return line_evidence(crate.source, rf"^\s*name\s*=\s*[\"']{quoted}[\"']")


def _test_facts(index: RepoIndex, crate: Crate, manifest: Evidence) -> Iterator[Fact]:
    cwd, scope = crate.directory, index.scope(crate.source.path)
    nextest = join(cwd, ".config/nextest.toml")
    tests = glob_in(index, cwd, "tests/*.rs")
    suite = existing(index, *tests[:1])
    if index.exists(nextest):
        yield fact(
            FactKind.TEST,
            "cargo nextest run",
            "rust.nextest",
            [*existing(index, nextest), *suite],
            scope,
            cwd=cwd,
            note="the project configures cargo-nextest as its test runner",
        )
    yield fact(
        FactKind.TEST,
        "cargo test",
        "rust.cargo_toml",
        [manifest, *suite],
        scope,
        inferred=True,
        cwd=cwd,
        note="cargo test runs the crate's own unit and integration tests",
    )


def _toolchain_facts(index: RepoIndex, cwd: str, scope: Scope) -> Iterator[Fact]:
    for name in ("rust-toolchain.toml", "rust-toolchain"):
        source = index.read(join(cwd, name))
        if source is None:
            continue
        number = source.find_line(r"^\s*channel\s*=\s*[\"']([^\"']+)")
        if number is not None:
            match = re.search(r"[\"']([^\"']+)", source.lines[number - 1])
            channel = match[1] if match else ""
        else:
            number = source.find_line(r"^\s*[\w.-]+\s*$")
            channel = source.lines[number - 1].strip() if number else ""
        if number and channel:
            yield fact(
                FactKind.RUNTIME,
                f"rust {channel}",
                "rust.toolchain",
                [source.evidence(number)],
                scope,
                note="toolchain pinned for this directory",
            )
        return


def _dependency_names(data: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for table in DEPENDENCY_TABLES:
        deps = data.get(table)
        if isinstance(deps, dict):
            names.extend(deps)
    targets = data.get("target")
    if isinstance(targets, dict):
        for target in targets.values():
            deps = target.get("dependencies") if isinstance(target, dict) else None
            if isinstance(deps, dict):
                names.extend(deps)
    workspace = data.get("workspace")
    if isinstance(workspace, dict) and isinstance(workspace.get("dependencies"), dict):
        names.extend(workspace["dependencies"])
    return list(dict.fromkeys(str(n) for n in names))


def _database_of_features(data: dict[str, Any], name: str) -> str | None:
    """The database a generic driver crate (sqlx, diesel, sea-orm) is built for."""
    if name not in DATABASE_CRATES:
        return None
    dependencies = data.get("dependencies")
    spec = dependencies.get(name) if isinstance(dependencies, dict) else None
    features = spec.get("features") if isinstance(spec, dict) else None
    for feature in features if isinstance(features, list) else []:
        for marker, service in FEATURE_DATABASES.items():
            if isinstance(feature, str) and marker in feature:
                return service
    return None


def _dependency_line(source: SourceText, name: str) -> Evidence:
    quoted = re.escape(name)
    return line_evidence(
        source, rf"^\s*(\"{quoted}\"|{quoted})\s*=|^\s*\[.*dependencies\.{quoted}\]"
    )
