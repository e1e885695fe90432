"""Go modules: go.mod, their main packages, tests, frameworks and services.

Each ``go.mod`` is one module; its commands run in the module's directory.
A main package is a directory whose non-test files declare ``package main``
and one of them ``func main()``; each gets a ``go run`` command citing that
line. Packages under ``cmd/<name>`` also get ``go build -o <name>``.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._ecosystems import (
    default_port,
    directory_of,
    existing,
    fact,
    join,
    manifests,
    service_facts,
)
from pta_analyzer.facts import WEIGHT_GUESS, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

# Module paths (without a /vN suffix) of HTTP frameworks, to framework names.
FRAMEWORKS: dict[str, str] = {
    "github.com/gin-gonic/gin": "gin",
    "github.com/labstack/echo": "echo",
    "github.com/gofiber/fiber": "fiber",
    "github.com/go-chi/chi": "chi",
    "github.com/gorilla/mux": "gorilla-mux",
    "github.com/beego/beego": "beego",
}
# Beego is the one Go framework with a default port of its own.
DEFAULT_PORTS: dict[str, int] = {"beego": 8080}

_MODULE = regex(r"^\s*module\s+(\S+)")
_GO_DIRECTIVE = regex(r"^\s*go\s+(\d+\.\d+(?:\.\d+)?)\s*$")
_TOOLCHAIN = regex(r"^\s*toolchain\s+go(\S+)")
_REQUIRE_ONE = regex(r"^\s*require\s+([^\s(]+)\s+v\S+")
_REQUIRE_BLOCK_ITEM = regex(r"^\s*([^\s/]+\.[^\s]+)\s+v\S+")
_MAJOR_SUFFIX = regex(r"/v\d+$")
_PACKAGE_MAIN = regex(r"^package\s+main\b")
_FUNC_MAIN = regex(r"^func\s+main\s*\(\s*\)")


@dataclass
class GoModule:
    """What one go.mod declares, with the line of each statement."""

    source: SourceText
    directory: str
    name: str = ""
    module_line: int = 0
    go_version: str = ""
    go_line: int = 0
    toolchain: str = ""
    toolchain_line: int = 0
    requires: list[tuple[str, int, bool]] = field(default_factory=list)


class MainPackage(NamedTuple):
    """A directory holding ``package main`` with ``func main()``."""

    directory: str  # relative to the module's directory ("" = the module root)
    path: str  # the file declaring func main
    line: int


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every go.mod of the repository and its Go files."""
    parsed = [parse_go_mod(s) for s in manifests(index, "go.mod")]
    # A go.mod without a module directive is not a module.
    modules = [m for m in parsed if m.module_line]
    if not modules:
        return
    module_dirs = {m.directory for m in modules}
    mains = _find_main_packages(index, module_dirs)
    tests = _find_test_files(index, module_dirs)
    for module in modules:
        yield from _module_facts(
            index, module, mains.get(module.directory, []), tests.get(module.directory)
        )


def parse_go_mod(source: SourceText) -> GoModule:
    """Read the module path, go directive and requirements of a go.mod."""
    module = GoModule(source=source, directory=directory_of(source.path))
    in_block = False
    for number, raw in enumerate(source.lines, start=1):
        line = raw.split("//", 1)[0]
        stripped = line.strip()
        if in_block:
            if stripped.startswith(")"):
                in_block = False
            elif match := _REQUIRE_BLOCK_ITEM().match(line):
                module.requires.append((match[1], number, "// indirect" in raw))
            continue
        if stripped.startswith("require") and stripped.endswith("("):
            in_block = True
        elif match := _REQUIRE_ONE().match(line):
            module.requires.append((match[1], number, "// indirect" in raw))
        elif match := _MODULE().match(line):
            module.name, module.module_line = match[1].strip('"'), number
        elif match := _GO_DIRECTIVE().match(line):
            module.go_version, module.go_line = match[1], number
        elif match := _TOOLCHAIN().match(line):
            module.toolchain, module.toolchain_line = match[1], number
    return module


def _module_facts(
    index: RepoIndex,
    module: GoModule,
    mains: list[MainPackage],
    test_file: str | None,
) -> Iterator[Fact]:
    source, cwd = module.source, module.directory
    scope = index.scope(source.path)
    manifest = (
        source.evidence(module.module_line)
        if module.module_line
        else source.file_evidence()
    )
    lock = existing(index, join(cwd, "go.sum"))

    yield fact(
        FactKind.PACKAGE_MANAGER, "go", "golang.go_mod", [manifest, *lock], scope
    )
    if module.go_version:
        yield fact(
            FactKind.RUNTIME,
            f"go {module.go_version}",
            "golang.go_directive",
            [source.evidence(module.go_line)],
            scope,
            note="minimum Go version of the module",
        )
    if module.toolchain:
        yield fact(
            FactKind.RUNTIME,
            f"go {module.toolchain}",
            "golang.toolchain",
            [source.evidence(module.toolchain_line)],
            scope,
            note="Go toolchain the module asks for",
        )

    yield from _command_facts(index, module, manifest, mains, test_file)
    frameworks = list(_framework_facts(module, scope))
    yield from frameworks
    yield from _service_facts(module, scope)
    # Main packages of examples or tests do not make the module a command.
    own_mains = [m for m in mains if index.scope(m.path) is scope]
    yield _project_kind(module, manifest, scope, own_mains, bool(frameworks))


def _command_facts(
    index: RepoIndex,
    module: GoModule,
    manifest: Evidence,
    mains: list[MainPackage],
    test_file: str | None,
) -> Iterator[Fact]:
    cwd, scope = module.directory, index.scope(module.source.path)
    if module.requires:
        yield fact(
            FactKind.INSTALL,
            "go mod download",
            "golang.go_mod",
            [manifest],
            scope,
            inferred=True,
            cwd=cwd,
            note="downloads the modules go.mod requires",
        )
    yield fact(
        FactKind.BUILD,
        "go build ./...",
        "golang.go_mod",
        [manifest],
        scope,
        inferred=True,
        cwd=cwd,
        note="compiles every package of the module",
    )

    yield from _main_facts(index, cwd, mains)

    if test_file is not None:
        evidence = [manifest, *existing(index, test_file)]
        yield fact(
            FactKind.TEST,
            "go test ./...",
            "golang.test_files",
            evidence,
            scope,
            inferred=True,
            cwd=cwd,
            note="the module has _test.go files; go test runs the project's tests",
        )


def _main_facts(index: RepoIndex, cwd: str, mains: list[MainPackage]) -> Iterator[Fact]:
    primary = _primary_mains(mains)
    for main in mains:
        source = index.read(main.path)
        if source is None:
            continue
        cited = source.evidence(main.line)
        main_scope = index.scope(main.path)
        target = f"./{main.directory}" if main.directory else "."
        parts = PurePosixPath(main.directory).parts
        if len(parts) == 2 and parts[0] == "cmd":
            yield fact(
                FactKind.BUILD,
                f"go build -o {parts[1]} {target}",
                "golang.main_package",
                [cited],
                main_scope,
                inferred=True,
                cwd=cwd,
                note=f"builds the {parts[1]} command",
            )
        is_primary = main in primary
        yield fact(
            FactKind.DEV,
            f"go run {target}",
            "golang.main_package",
            [cited],
            main_scope,
            inferred=True,
            cwd=cwd,
            note=(
                "runs the main package that defines func main"
                if is_primary
                else "runs a helper program of the module (not its main command)"
            ),
            weight=None if is_primary else WEIGHT_GUESS,
        )


def _framework_facts(module: GoModule, scope: Scope) -> Iterator[Fact]:
    seen: set[str] = set()
    for path, number, indirect in module.requires:
        name = FRAMEWORKS.get(_MAJOR_SUFFIX().sub("", path))
        if name is None or indirect or name in seen:
            continue
        seen.add(name)
        cited = module.source.evidence(number)
        yield fact(FactKind.FRAMEWORK, name, "golang.require", [cited], scope)
        if name in DEFAULT_PORTS:
            yield default_port(
                DEFAULT_PORTS[name], name, "golang.require", cited, scope
            )


def _service_facts(module: GoModule, scope: Scope) -> Iterator[Fact]:
    lines: dict[str, int] = {}
    for path, number, indirect in module.requires:
        if not indirect:
            lines.setdefault(path, number)
    return service_facts(
        lines,
        lambda path: (
            service_of_dependency(path)
            or service_of_dependency(_MAJOR_SUFFIX().sub("", path))
        ),
        lambda path: module.source.evidence(lines[path]),
        "golang.require",
        scope,
        "the module requires {name}",
    )


def _project_kind(
    module: GoModule,
    manifest: Evidence,
    scope: Scope,
    mains: list[MainPackage],
    has_framework: bool,
) -> Fact:
    if not mains:
        key, note = "library", "no main package: a module others import"
    elif has_framework:
        key, note = "service", "a main package and an HTTP framework"
    else:
        key, note = "cli", "a main package and no HTTP framework"
    return fact(
        FactKind.PROJECT_KIND,
        key,
        "golang.kind",
        [manifest],
        scope,
        inferred=True,
        cwd=module.directory,
        note=note,
    )


def _primary_mains(mains: list[MainPackage]) -> list[MainPackage]:
    """The module's own commands: the root package and cmd/<name> packages.

    Without either, every main package counts: nothing tells them apart.
    Other main packages beside them are helpers (generators, scripts).
    """
    chosen = [
        m
        for m in mains
        if not m.directory or PurePosixPath(m.directory).parts[0] == "cmd"
    ]
    return chosen or mains


def _owner(path: str, module_dirs: set[str]) -> str | None:
    """The deepest module directory containing ``path``."""
    directory = directory_of(path)
    while True:
        if directory in module_dirs:
            return directory
        if not directory:
            return None
        directory = directory_of(directory)


def _find_main_packages(
    index: RepoIndex, module_dirs: set[str]
) -> dict[str, list[MainPackage]]:
    found: dict[str, dict[str, MainPackage]] = {}
    owners = {
        path: owner
        for path in index.paths()
        if _is_package_source(path) and (owner := _owner(path, module_dirs)) is not None
    }
    for source in index.texts(owners):
        text = source.text
        if "func main" not in text or "package main" not in text:
            continue
        owner = owners[source.path]
        if source.find_line(_PACKAGE_MAIN()) is None:
            continue
        line = source.find_line(_FUNC_MAIN())
        if line is None or _has_build_ignore(source):
            continue
        directory = directory_of(source.path)
        relative = directory[len(owner) + 1 :] if owner else directory
        packages = found.setdefault(owner, {})
        packages.setdefault(relative, MainPackage(relative, source.path, line))
    return {
        owner: sorted(p.values(), key=lambda m: m.directory)
        for owner, p in found.items()
    }


def _is_package_source(path: str) -> bool:
    """True for .go files the go tool builds (not tests, testdata, _ or . dirs)."""
    if not path.endswith(".go") or path.endswith("_test.go"):
        return False
    directories = path.split("/")[:-1]
    return not any(
        part == "testdata" or part.startswith(("_", ".")) for part in directories
    )


def _has_build_ignore(source: SourceText) -> bool:
    """True for files excluded from builds (``//go:build ignore`` scripts)."""
    head = source.lines[:10]
    return any(
        line.startswith(("//go:build ignore", "// +build ignore")) for line in head
    )


def _find_test_files(index: RepoIndex, module_dirs: set[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for path in index.paths():
        if not path.endswith("_test.go"):
            continue
        owner = _owner(path, module_dirs)
        if owner is not None:
            found.setdefault(owner, path)
    return found
