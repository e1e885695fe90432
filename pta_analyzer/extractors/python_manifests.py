"""Python manifests: package managers, install commands, scripts, runtime.

Every directory holding a Python manifest is a project; its install commands
run in that directory. Reading a manifest also records its dependencies (with
the lines declaring them) in the shared ``Context`` for the other rules.
"""

import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._python_common import (
    conda_deps,
    join,
    key_line,
    load_toml,
    normalise_name,
    pipfile_deps,
    pyproject_deps,
    read_setup_cfg,
    requirement_deps,
    setup_cfg_deps,
    setup_py_deps,
    table,
    toml_tables,
)
from pta_analyzer.extractors.python_tasks import pipfile_tasks, pyproject_tasks
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope, classify_scope

if TYPE_CHECKING:
    from pta_analyzer.extractors.python import Context

logger = logging.getLogger(__name__)

CLI_EXTRAS = frozenset({"cli", "console", "scripts", "cmd", "command-line"})
MAIN_REQUIREMENTS = frozenset({"requirements.txt", "requirements/base.txt"})


def manifest_facts(context: "Context", directory: str) -> Iterator[Fact]:
    """Facts from the manifests of one project directory."""
    index = context.index
    deps = context.manifests[directory].deps
    seen: set[str] = set()  # a file included by another is read once
    files = sorted(
        context.requirements.get(directory, []),
        key=lambda p: (p.endswith(_OPTIONAL_ENDINGS), p),
    )
    for path in files:
        optional = path.endswith(_OPTIONAL_ENDINGS)
        deps.extend(requirement_deps(index, path, optional, seen))
        yield from _requirements_install(index, path, directory)

    for name, reader in _MANIFEST_READERS:
        source = index.read(join(directory, name))
        if source is not None:
            yield from reader(context, source, directory)

    yield from _runtime_files(index, directory)


_OPTIONAL_ENDINGS = (
    "dev.txt",
    "test.txt",
    "tests.txt",
    "testing.txt",
    "docs.txt",
    "lint.txt",
    "ci.txt",
    "local.txt",
    "doc.txt",
)


def _requirements_install(
    index: RepoIndex, path: str, directory: str
) -> Iterator[Fact]:
    source = index.read(path)
    if source is None:
        return
    evidence = (source.file_evidence(),)
    rel = path[len(directory) + 1 :] if directory else path
    main = rel in MAIN_REQUIREMENTS
    weight = WEIGHT_MANIFEST if main else WEIGHT_CONVENTION
    scope = index.scope(path)
    yield Fact(
        FactKind.PACKAGE_MANAGER,
        "pip",
        "python.requirements",
        evidence,
        scope=scope,
        weight=weight,
        cwd=directory,
    )
    yield Fact(
        FactKind.INSTALL,
        f"pip install -r {rel}",
        "python.requirements",
        evidence,
        scope=scope,
        weight=weight,
        cwd=directory,
        attrs={"via": "pip"},
        note="" if main else "an extra requirements file (dev, test or docs)",
    )


def _pyproject(
    context: "Context", source: SourceText, directory: str
) -> Iterator[Fact]:
    data = load_toml(source)
    if data is None:
        return
    context.manifests[directory].deps.extend(pyproject_deps(source, data))
    tables = toml_tables(source)
    scope = context.index.scope(source.path)
    managers = _pyproject_managers(context.index, source, directory, data, tables)
    for manager, command, evidence in managers:
        yield from _manager_facts(manager, command, evidence, scope, directory, source)

    project = table(data, "project")
    name = project.get("name") or table(data, "tool.poetry").get("name")
    if isinstance(name, str):
        context.project_names.setdefault(directory, normalise_name(name))
    if table(data, "build-system"):
        context.built_projects[directory] = _cite(source, tables, "build-system")[0]
    if project and not managers:
        evidence = _cite(source, tables, "project")
        yield from _manager_facts(
            "pip", "pip install -e .", evidence, scope, directory, source
        )

    yield from _scripts(context, source, directory, data, tables)
    yield from pyproject_tasks(source, data, tables, directory, scope)
    description = project.get("description") or table(data, "tool.poetry").get(
        "description"
    )
    if isinstance(description, str) and description.strip():
        number = key_line(source, "description", None)
        if number:
            yield _description(source, number, description)
    yield from _pyproject_runtime(source, data, tables)


def _cite(
    source: SourceText, tables: dict[str, tuple[int, int]], header: str
) -> tuple[Evidence, ...]:
    """The header line of a TOML table, or the whole file without one."""
    place = tables.get(header)
    return (source.evidence(place[0]),) if place else (source.file_evidence(),)


def _pyproject_managers(
    index: RepoIndex,
    source: SourceText,
    directory: str,
    data: dict[str, Any],
    tables: dict[str, tuple[int, int]],
) -> list[tuple[str, str, tuple[Evidence, ...]]]:
    """``(manager, install command, evidence)`` for the tools a pyproject uses."""
    tools = table(data, "tool")
    backend = str(table(data, "build-system").get("build-backend", ""))

    def lock(name: str) -> tuple[Evidence, ...]:
        found = index.existence_evidence(join(directory, name))
        return (found,) if found else ()

    def head(tool: str, header: str) -> tuple[Evidence, ...]:
        if tool in tools:
            return _cite(source, tables, header)
        return _cite(source, tables, "build-system") if tool in backend else ()

    managers: list[tuple[str, str, tuple[Evidence, ...]]] = []
    for tool, command, lock_name in (
        ("poetry", "poetry install", "poetry.lock"),
        ("pdm", "pdm install", "pdm.lock"),
        ("uv", "uv sync", "uv.lock"),
    ):
        evidence = head(tool, f"tool.{tool}") + lock(lock_name)
        if evidence:
            managers.append((tool, command, evidence))
    hatch_envs = next((h for h in tables if h.startswith("tool.hatch.envs")), None)
    if hatch_envs:
        managers.append(
            ("hatch", "hatch env create", _cite(source, tables, hatch_envs))
        )
    return managers


def _manager_facts(
    manager: str,
    command: str,
    evidence: tuple[Evidence, ...],
    scope: Scope,
    directory: str,
    source: SourceText,
) -> Iterator[Fact]:
    rule = f"python.{manager}"
    yield Fact(
        FactKind.PACKAGE_MANAGER, manager, rule, evidence, scope=scope, cwd=directory
    )
    yield Fact(
        FactKind.INSTALL,
        command,
        rule,
        evidence,
        scope=scope,
        cwd=directory,
        attrs={"via": manager},
        note=f"{source.path} declares a {manager} project",
    )


def _scripts(
    context: "Context",
    source: SourceText,
    directory: str,
    data: dict[str, Any],
    tables: dict[str, tuple[int, int]],
) -> Iterator[Fact]:
    optional = table(data, "project.optional-dependencies")
    required = table(data, "project").get("dependencies") or []
    helper = any(name.lower() in CLI_EXTRAS for name in optional) or (
        not required and bool(optional)
    )
    for header in ("project.scripts", "tool.poetry.scripts"):
        for name, target in table(data, header).items():
            number = key_line(source, name, tables.get(header))
            if number and isinstance(target, str | dict):
                yield from _script_fact(
                    context, source, directory, name, number, helper
                )


def _script_fact(
    context: "Context",
    source: SourceText,
    directory: str,
    name: str,
    number: int,
    helper: bool,
) -> Iterator[Fact]:
    if helper:
        # A script needing an optional extra is a helper of a library: not a
        # process an operator runs to operate the project.
        context.helper_scripts.add(directory)
        return
    context.script_projects.setdefault(directory, source.evidence(number))
    yield Fact(
        FactKind.PROD,
        name,
        "python.console_script",
        (source.evidence(number),),
        scope=context.index.scope(source.path),
        weight=WEIGHT_MANIFEST,
        cwd=directory,
        attrs={"process": "cli"},
        note="console script, available once installed",
    )


def _setup_cfg(
    context: "Context", source: SourceText, directory: str
) -> Iterator[Fact]:
    parser = read_setup_cfg(source)
    if parser is None or not (
        parser.has_section("metadata") or parser.has_section("options")
    ):
        return
    context.manifests[directory].deps.extend(setup_cfg_deps(source))
    header = source.find_line(r"^\[(metadata|options)\]") or 1
    evidence = (source.evidence(header),)
    context.built_projects.setdefault(directory, evidence[0])
    yield from _manager_facts(
        "pip",
        "pip install -e .",
        evidence,
        context.index.scope(source.path),
        directory,
        source,
    )
    name = parser.get("metadata", "name", fallback="").strip()
    if name:
        context.project_names.setdefault(directory, normalise_name(name))
    description = parser.get("metadata", "description", fallback="").strip()
    number = source.find_line(r"^description\s*[=:]")
    if description and number:
        yield _description(source, number, description)
    yield from _ini_scripts(context, source, directory)
    number = source.find_line(r"^python_requires\s*[=:]")
    if number:
        value = source.lines[number - 1].split("=", 1)[-1].strip()
        yield _runtime(source, number, f"python {value}", "python.setup_cfg")


def _ini_scripts(
    context: "Context", source: SourceText, directory: str
) -> Iterator[Fact]:
    start = source.find_line(r"^\s*console_scripts\s*=")
    if start is None:
        return
    extras = source.find_line(r"^\[options\.extras_require\]")
    helper = extras is not None and any(
        match.group(1).lower() in CLI_EXTRAS
        for _number, match in source.find_lines(r"^([\w-]+)\s*[=:]", extras + 1)
    )
    for number in range(start + 1, len(source.lines) + 1):
        line = source.lines[number - 1]
        if not line[:1].isspace() or not line.strip():
            break
        match = re.match(r"^\s+([A-Za-z0-9_.-]+)\s*=\s*[\w.]+", line)
        if match:
            yield from _script_fact(
                context, source, directory, match.group(1), number, helper
            )


def _setup_py(context: "Context", source: SourceText, directory: str) -> Iterator[Fact]:
    text = source.text
    if "setuptools" not in text and "distutils" not in text:
        return  # a module that happens to be named setup.py (settings, fixtures)
    context.manifests[directory].deps.extend(setup_py_deps(source))
    number = source.find_line(r"\bsetup\(")
    evidence = (source.evidence(number),) if number else (source.file_evidence(),)
    context.built_projects.setdefault(directory, evidence[0])
    named = re.search(r"\bname\s*=\s*['\"]([\w.-]+)['\"]", source.text)
    if named:
        context.project_names.setdefault(directory, normalise_name(named.group(1)))
    yield from _manager_facts(
        "pip",
        "pip install -e .",
        evidence,
        context.index.scope(source.path),
        directory,
        source,
    )
    for number, match in source.find_lines(r"""\bdescription\s*=\s*["']([^"']+)["']"""):
        yield _description(source, number, match.group(1))
        break
    if "console_scripts" in source.text:
        names = "|".join(sorted(CLI_EXTRAS))
        extras = rf"""extras_require\s*=\s*\{{[^}}]*["'](?:{names})["']\s*:"""
        helper = re.search(extras, source.text) is not None
        pattern = r"""["']\s*([A-Za-z0-9_.-]+)\s*=\s*[\w.]+:[\w.]+\s*["']"""
        for number, match in source.find_lines(pattern):
            yield from _script_fact(
                context, source, directory, match.group(1), number, helper
            )
    for number, match in source.find_lines(
        r"""python_requires\s*=\s*["']([^"']+)["']"""
    ):
        yield _runtime(source, number, f"python {match.group(1)}", "python.setup_py")


def _pipfile(context: "Context", source: SourceText, directory: str) -> Iterator[Fact]:
    context.manifests[directory].deps.extend(pipfile_deps(source))
    number = source.find_line(r"^\[packages\]") or source.find_line(r"^\[")
    head = source.evidence(number) if number else source.file_evidence()
    found = context.index.existence_evidence(join(directory, "Pipfile.lock"))
    evidence = (head, found) if found else (head,)
    scope = context.index.scope(source.path)
    yield from _manager_facts(
        "pipenv", "pipenv install", evidence, scope, directory, source
    )
    yield from pipfile_tasks(source, directory, scope)
    for number, match in source.find_lines(
        r"""^python_(?:full_)?version\s*=\s*["']([^"']+)"""
    ):
        yield _runtime(source, number, f"python {match.group(1)}", "python.pipfile")


def _environment_yml(
    context: "Context", source: SourceText, directory: str
) -> Iterator[Fact]:
    context.manifests[directory].deps.extend(conda_deps(source))
    number = source.find_line(r"^dependencies\s*:") or source.find_line(r"^name\s*:")
    evidence = (source.evidence(number),) if number else (source.file_evidence(),)
    name = source.path.rsplit("/", 1)[-1]
    yield from _manager_facts(
        "conda",
        f"conda env create -f {name}",
        evidence,
        context.index.scope(source.path),
        directory,
        source,
    )
    for number, match in source.find_lines(r"^\s*-\s*python\s*[=<>~]+\s*([\d.*]+)"):
        yield _runtime(source, number, f"python {match.group(1)}", "python.conda")


_MANIFEST_READERS = (
    ("pyproject.toml", _pyproject),
    ("setup.cfg", _setup_cfg),
    ("setup.py", _setup_py),
    ("Pipfile", _pipfile),
    ("environment.yml", _environment_yml),
    ("environment.yaml", _environment_yml),
)


def _runtime_files(index: RepoIndex, directory: str) -> Iterator[Fact]:
    source = index.read(join(directory, ".python-version"))
    if source is not None:
        for number, match in source.find_lines(
            r"^\s*(?:python-|cpython-)?(\d+(?:\.\d+)*\S*)"
        ):
            yield _runtime(source, number, f"python {match.group(1)}", "python.version")
            break
    source = index.read(join(directory, "runtime.txt"))
    if source is not None:
        for number, match in source.find_lines(r"^\s*python-(\d+(?:\.\d+)*)"):
            yield _runtime(
                source, number, f"python {match.group(1)}", "python.runtime_txt"
            )
            break


def _pyproject_runtime(
    source: SourceText, data: dict[str, Any], tables: dict[str, tuple[int, int]]
) -> Iterator[Fact]:
    value = table(data, "project").get("requires-python")
    number = key_line(source, "requires-python", tables.get("project"))
    if isinstance(value, str) and number:
        yield _runtime(source, number, f"python {value.strip()}", "python.pyproject")
    poetry = table(data, "tool.poetry.dependencies").get("python")
    number = key_line(source, "python", tables.get("tool.poetry.dependencies"))
    if isinstance(poetry, str) and number:
        yield _runtime(source, number, f"python {poetry.strip()}", "python.poetry")


def _runtime(source: SourceText, number: int, key: str, rule: str) -> Fact:
    return Fact(
        FactKind.RUNTIME,
        key,
        rule,
        (source.evidence(number),),
        scope=classify_scope(source.path),
    )


def _description(source: SourceText, number: int, text: str) -> Fact:
    return Fact(
        FactKind.DESCRIPTION,
        " ".join(text.split()),
        "python.description",
        (source.evidence(number),),
        scope=classify_scope(source.path),
    )
