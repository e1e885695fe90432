"""Helpers shared by the Python extractor modules: paths, TOML lines, dependencies.

A Python *project* is a directory holding a manifest (requirements, pyproject,
setup.py/cfg, Pipfile, environment.yml) or a Django ``manage.py``. Its
dependencies are read with the line that declares each one, so frameworks and
services can cite it. The module's name starts with an underscore so the
extractor registry skips it.
"""

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, Any, NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.yamlmap import load_yaml

if TYPE_CHECKING:
    import configparser

logger = logging.getLogger(__name__)

MAX_INCLUDE_DEPTH = 5  # nested ``-r other.txt`` includes followed
PROJECT_MARKERS = (
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "Pipfile",
    "environment.yml",
    "environment.yaml",
    "manage.py",
    "requirements.txt",
    "pytest.ini",
    "tox.ini",
    "noxfile.py",
)

_REQUIREMENT_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[([^\]]*)\])?")
_EGG = re.compile(r"#egg=([A-Za-z0-9][A-Za-z0-9._-]*)")
_INCLUDE = regex(r"^(?:-r|--requirement)\s*=?\s*(\S+)")
_TOML_HEADER = regex(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_QUOTED = regex(r"""["']([^"']+)["']""")


class Dep(NamedTuple):
    """One declared dependency and the line that declares it."""

    name: str  # normalised: lowercase, "-" for "_" and "."
    extras: tuple[str, ...]
    evidence: Evidence
    optional: bool = False  # a dev, test, docs or optional group


@dataclass
class Manifests:
    """What the manifests of one project directory declare."""

    directory: str
    deps: list[Dep] = field(default_factory=list)

    def find(self, *names: str) -> Dep | None:
        """The first dependency named one of ``names``, preferring required ones."""
        found = [d for d in self.deps if d.name in names]
        found.sort(key=lambda d: d.optional)
        return found[0] if found else None


def directory_of(path: str) -> str:
    """The directory of a repository-relative path ("" for the root).

    ``path`` is normalised, as the index lists paths (no ``.``, ``..``, empty
    or trailing parts): cutting at the last ``/`` is then what
    ``PurePosixPath(path).parent`` gives, without building an object per file.
    """
    return path.rpartition("/")[0]


def join(directory: str, name: str) -> str:
    """``directory/name`` for a repository-relative directory ("" = root)."""
    return f"{directory}/{name}" if directory else name


def is_under(path: str, directory: str) -> bool:
    """True when ``path`` lies inside ``directory`` ("" contains everything)."""
    return not directory or path.startswith(directory + "/")


def relative_to(path: str, directory: str) -> str:
    """``path`` written relative to ``directory``."""
    return path[len(directory) + 1 :] if directory else path


def normalise_name(name: str) -> str:
    """A distribution name as pip compares them."""
    return re.sub(r"[-_.]+", "-", name.strip()).lower()


def requirement_files(index: RepoIndex) -> dict[str, list[str]]:
    """Requirements files by the project directory they belong to.

    ``requirements*.txt`` belongs to its own directory, and any ``.txt`` in a
    ``requirements/`` folder to the folder's parent.
    """
    found: dict[str, list[str]] = {}
    for path in index.paths():
        if not path.endswith(".txt"):
            continue
        directory, _, name = path.rpartition("/")
        if directory.rpartition("/")[2] == "requirements":
            directory = directory_of(directory)
        elif "requirements" not in name:
            continue
        found.setdefault(directory, []).append(path)
    return found


def project_dirs(index: RepoIndex, requirements: dict[str, list[str]]) -> list[str]:
    """Directories that hold a Python manifest, shallowest first."""
    found = {directory_of(p) for p in index.named(*PROJECT_MARKERS)}
    found.update(requirements)
    return sorted(found, key=lambda d: (d.count("/") + bool(d), d))


def owner_project(path: str, projects: list[str]) -> str:
    """The deepest project directory containing ``path`` ("" when none)."""
    owner = ""
    for directory in projects:
        if is_under(path, directory) and len(directory) >= len(owner):
            owner = directory
    return owner


def module_root(index: RepoIndex, path: str) -> str:
    """The directory from which ``path`` imports as a module (package rule)."""
    directory = directory_of(path)
    while directory and index.exists(join(directory, "__init__.py")):
        directory = directory_of(directory)
    return directory


def module_name(path: str, root: str) -> str:
    """The dotted module name of ``path`` seen from ``root``."""
    parts = relative_to(path, root).split("/")
    parts[-1] = _without_suffix(parts[-1])
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def toml_tables(source: SourceText) -> dict[str, tuple[int, int]]:
    """Each TOML table header to the 1-based line range of its table."""
    headers: list[tuple[str, int]] = []
    for number, match in source.find_lines(_TOML_HEADER()):
        name = re.sub(r"\s*\.\s*", ".", match.group(1)).replace('"', "")
        headers.append((name, number))
    tables: dict[str, tuple[int, int]] = {}
    for position, (name, start) in enumerate(headers):
        end = headers[position + 1][1] - 1 if position + 1 < len(headers) else None
        tables.setdefault(name, (start, end or len(source.lines)))
    return tables


def key_line(source: SourceText, key: str, table: tuple[int, int] | None) -> int | None:
    """The line of ``key = ...`` inside a table's range (or anywhere)."""
    start, end = table if table else (1, len(source.lines))
    pattern = rf"""^\s*["']?{re.escape(key)}["']?\s*="""
    return source.find_line(pattern, start, end)


def quoted_line(
    source: SourceText, value: str, table: tuple[int, int] | None
) -> int | None:
    """The line holding the quoted string ``value`` inside a table's range."""
    start, end = table if table else (1, len(source.lines))
    return _quoted_in(source, value, start, end) or _quoted_in(
        source, value, 1, len(source.lines)
    )


def load_toml(source: SourceText) -> dict[str, Any] | None:
    """The parsed TOML document, or None when it does not parse."""
    import tomllib  # here: most repositories hold no TOML file this reads

    try:
        return tomllib.loads(source.text)
    except (tomllib.TOMLDecodeError, ValueError):
        logger.debug("TOML does not parse", extra={"path": source.path})
        return None


def table(data: dict[str, Any], dotted: str) -> dict[str, Any]:
    """The nested table at ``a.b.c``, or an empty dict."""
    node: Any = data
    for part in dotted.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else {}


def parse_requirement(text: str) -> tuple[str, tuple[str, ...]] | None:
    """``(normalised name, extras)`` of a PEP 508 string, or None."""
    text = text.strip()
    egg = _EGG.search(text)
    if egg:
        return normalise_name(egg.group(1)), ()
    if text.startswith(("-", ".", "/", "git+", "http:", "https:", "file:")):
        return None
    match = _REQUIREMENT_NAME.match(text)
    if not match:
        return None
    extras = tuple(
        normalise_name(x) for x in (match.group(2) or "").split(",") if x.strip()
    )
    return normalise_name(match.group(1)), extras


def requirement_deps(
    index: RepoIndex,
    path: str,
    optional: bool,
    seen: set[str] | None = None,
    depth: int = 0,
) -> Iterator[Dep]:
    """Dependencies of a requirements file, following ``-r`` includes.

    Files in ``seen`` are not read again, so cycles end and a file included
    by several others is counted once.
    """
    seen = set() if seen is None else seen
    source = index.read(path)
    if source is None or path in seen or depth > MAX_INCLUDE_DEPTH:
        return
    seen.add(path)
    for number, raw in enumerate(source.lines, start=1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        include = _INCLUDE().match(line)
        if include:
            target = _resolve_include(directory_of(path), include.group(1))
            if target is not None:
                yield from requirement_deps(index, target, optional, seen, depth + 1)
            continue
        parsed = parse_requirement(line)
        if parsed:
            yield Dep(parsed[0], parsed[1], source.evidence(number), optional)


def pyproject_deps(source: SourceText, data: dict[str, Any]) -> Iterator[Dep]:
    """Dependencies of a pyproject: PEP 621, PEP 735 groups, Poetry, PDM."""
    tables = toml_tables(source)
    project = table(data, "project")
    yield from _quoted_deps(
        source, project.get("dependencies"), tables.get("project"), False
    )
    groups = [
        ("project.optional-dependencies", table(data, "project.optional-dependencies")),
        ("dependency-groups", table(data, "dependency-groups")),
        ("tool.pdm.dev-dependencies", table(data, "tool.pdm.dev-dependencies")),
        ("tool.uv", {"dev": table(data, "tool.uv").get("dev-dependencies")}),
    ]
    for header, groups_table in groups:
        place = tables.get(header) or tables.get(header.rsplit(".", 1)[0])
        for values in groups_table.values():
            yield from _quoted_deps(source, values, place, True)

    poetry = [
        ("tool.poetry.dependencies", False),
        ("tool.poetry.dev-dependencies", True),
    ]
    for name in table(data, "tool.poetry.group"):
        poetry.append((f"tool.poetry.group.{name}.dependencies", True))
    for header, optional in poetry:
        yield from _keyed_deps(
            source, table(data, header), tables.get(header), optional
        )


def pipfile_deps(source: SourceText) -> Iterator[Dep]:
    """Dependencies of a Pipfile's ``[packages]`` and ``[dev-packages]``."""
    data = load_toml(source)
    if data is None:
        return
    tables = toml_tables(source)
    for header, optional in (("packages", False), ("dev-packages", True)):
        yield from _keyed_deps(
            source, table(data, header), tables.get(header), optional
        )


def setup_cfg_deps(source: SourceText) -> Iterator[Dep]:
    """Dependencies listed under install_requires/extras_require of setup.cfg."""
    section, key = "", ""
    for number, raw in enumerate(source.lines, start=1):
        header = re.match(r"^\[([^\]]+)\]", raw)
        if header:
            section, key = header.group(1).strip(), ""
            continue
        assignment = re.match(r"^([A-Za-z0-9_.-]+)\s*[=:]\s*(.*)$", raw)
        if assignment:
            key = f"{section}.{assignment.group(1)}"
            value = assignment.group(2)
        elif raw[:1].isspace():
            value = raw
        else:
            key = ""
            continue
        wanted = key in ("options.install_requires", "options.tests_require") or (
            section == "options.extras_require" and bool(key)
        )
        parsed = parse_requirement(value.split("#", 1)[0]) if wanted else None
        if parsed:
            optional = key != "options.install_requires"
            yield Dep(parsed[0], parsed[1], source.evidence(number), optional)


def setup_py_deps(source: SourceText) -> Iterator[Dep]:
    """Quoted requirements inside ``install_requires=[...]`` of a setup.py."""
    for keyword, optional in (("install_requires", False), ("tests_require", True)):
        start = source.find_line(rf"\b{keyword}\s*=\s*\[")
        if start is None:
            continue
        for number in range(start, min(len(source.lines), start + 200) + 1):
            line = source.lines[number - 1]
            segment = line.split("[", 1)[1] if number == start else line
            for value in _QUOTED().findall(segment.split("]", 1)[0]):
                parsed = parse_requirement(value)
                if parsed:
                    yield Dep(parsed[0], parsed[1], source.evidence(number), optional)
            if "]" in segment:
                break


def conda_deps(source: SourceText) -> Iterator[Dep]:
    """Conda and pip dependencies of an environment.yml."""
    documents = load_yaml(source)
    root = documents[0] if documents else None
    listed = root.get("dependencies") if root else None
    for node in listed.elements() if listed else ():
        items = [node]
        pip = node.get("pip")
        if pip is not None:
            items = list(pip.elements())
        for item in items:
            text = item.text()
            parsed = (
                parse_requirement(re.split(r"[=<>!~ ]", text, maxsplit=1)[0])
                if text
                else None
            )
            if parsed and 1 <= item.line <= len(source.lines):
                yield Dep(parsed[0], parsed[1], source.evidence(item.line), False)


def read_setup_cfg(source: SourceText) -> "configparser.ConfigParser | None":
    """setup.cfg (or tox.ini) parsed leniently, or None when it does not parse."""
    # Imported here: configparser compiles its patterns when imported, and
    # most trees hold no setup.cfg.
    import configparser

    parser = configparser.ConfigParser(interpolation=None, strict=False)
    try:
        parser.read_string(source.text)
    except configparser.Error:
        logger.debug("INI does not parse", extra={"path": source.path})
        return None
    return parser


def _quoted_deps(
    source: SourceText, values: object, place: tuple[int, int] | None, optional: bool
) -> Iterator[Dep]:
    if not isinstance(values, list):
        return
    for value in values:
        if not isinstance(value, str):
            continue
        parsed = parse_requirement(value)
        number = quoted_line(source, value, place)
        if parsed and number:
            yield Dep(parsed[0], parsed[1], source.evidence(number), optional)


def _keyed_deps(
    source: SourceText,
    entries: dict[str, Any],
    place: tuple[int, int] | None,
    optional: bool,
) -> Iterator[Dep]:
    for name in entries:
        if name.lower() == "python":
            continue
        number = key_line(source, name, place)
        if number:
            yield Dep(normalise_name(name), (), source.evidence(number), optional)


def _quoted_in(source: SourceText, value: str, start: int, end: int) -> int | None:
    """First line in ``start..end`` holding ``value`` between quotes.

    What the regex ``["']value["']`` finds, by substring tests: a regex built
    per dependency is compiled per dependency.
    """
    quoted = [f"{a}{value}{b}" for a in "\"'" for b in "\"'"]
    lines = source.lines
    for number in range(max(start, 1), min(end, len(lines)) + 1):
        line = lines[number - 1]
        if value in line and any(q in line for q in quoted):
            return number
    return None


def _without_suffix(name: str) -> str:
    """``name`` without its last suffix, as ``PurePosixPath.with_suffix("")``."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def _resolve_include(directory: str, target: str) -> str | None:
    parts: list[str] = [p for p in directory.split("/") if p]
    for part in PurePosixPath(target).parts:
        if part == "..":
            if not parts:
                return None
            parts.pop()
        elif part not in (".", "/"):
            parts.append(part)
    return "/".join(parts) or None
