"""Python test and migration commands: pytest, tox, nox, unittest, Django, Alembic.

A test command proved only by files of the test suite (a ``conftest.py``, a
test module importing ``unittest``) is still the application's own test
command, so those facts carry ``Scope.APP`` and say why in their note.
"""

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._python_common import (
    directory_of,
    join,
    load_toml,
    owner_project,
    toml_tables,
)
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex
from pta_analyzer.scope import Scope

if TYPE_CHECKING:
    from pta_analyzer.extractors.python import Context
    from pta_analyzer.extractors.python_servers import Apps

logger = logging.getLogger(__name__)

TEST_SUITE_NOTE = (
    "proved by a file of the test suite; the command is the application's own"
)


def facts(context: "Context", apps: "Apps") -> Iterator[Fact]:
    """Test and migration facts for every Python project of the repository."""
    index = context.index
    for directory in context.projects:
        pytest = _pytest_evidence(context, apps, directory)
        if pytest:
            yield _test_fact(index, "pytest", "python.pytest", pytest, directory)
        yield from _tox_and_nox(index, directory)
        unittest = apps.unittest_files.get(directory)
        if unittest and not pytest and directory not in apps.django_dirs:
            yield _test_fact(
                index,
                "python -m unittest",
                "python.unittest",
                [unittest],
                directory,
                Status.INFERRED,
            )
        plain = apps.plain_test_files.get(directory)
        if plain and not pytest and not unittest and directory not in apps.django_dirs:
            # Bare `def test_` functions with plain asserts are pytest's style.
            yield _test_fact(
                index, "pytest", "python.pytest", [plain], directory, Status.INFERRED
            )

    yield from _alembic(index)
    yield from _flask_migrate(context, apps)


def _pytest_evidence(
    context: "Context", apps: "Apps", directory: str
) -> list[Evidence]:
    index = context.index
    found: list[Evidence] = []
    source = index.read(join(directory, "pytest.ini"))
    if source is not None:
        number = source.find_line(r"^\[pytest\]")
        found.append(source.evidence(number) if number else source.file_evidence())
    for name, pattern in (
        ("pyproject.toml", r"^\[tool\.pytest\.ini_options\]"),
        ("setup.cfg", r"^\[tool:pytest\]"),
        ("tox.ini", r"^\[pytest\]"),
    ):
        source = index.read(join(directory, name))
        number = source.find_line(pattern) if source else None
        if source is not None and number:
            found.append(source.evidence(number))

    dep = context.manifests[directory].find("pytest")
    if dep:
        found.append(dep.evidence)
    conftests = [
        p
        for p in index.named("conftest.py")
        if owner_project(p, context.projects) == directory
    ]
    conftests.sort(key=lambda p: (p.count("/"), p))
    for path in conftests[:1]:
        evidence = index.existence_evidence(path)
        found.extend([evidence] if evidence else [])
    if not found and directory in apps.pytest_files:
        found.append(apps.pytest_files[directory])
    return found


def _test_fact(
    index: RepoIndex,
    command: str,
    rule: str,
    evidence: list[Evidence],
    directory: str,
    status: Status = Status.EVIDENCED,
) -> Fact:
    scopes = [index.scope(e.path) for e in evidence]
    scope = next((s for s in scopes if s is not Scope.TEST), Scope.APP)
    note = f"{rule.split('.')[-1]} runs the test suite"
    if all(s is Scope.TEST for s in scopes):
        note = TEST_SUITE_NOTE
        scope = Scope.APP
    return Fact(
        FactKind.TEST,
        command,
        rule,
        tuple(evidence),
        status,
        scope=scope,
        weight=WEIGHT_MANIFEST if status is Status.EVIDENCED else WEIGHT_CONVENTION,
        cwd=directory,
        note=note,
    )


def _tox_and_nox(index: RepoIndex, directory: str) -> Iterator[Fact]:
    cited: list[tuple[str, Evidence]] = []
    source = index.read(join(directory, "tox.ini"))
    number = source.find_line(r"^\[tox(:tox)?\]") if source else None
    if source is not None and number:
        cited.append(("tox", source.evidence(number)))
    source = index.read(join(directory, "pyproject.toml"))
    if source is not None and "tool.tox" in source.text and load_toml(source):
        place = toml_tables(source).get("tool.tox")
        if place:
            cited.append(("tox", source.evidence(place[0])))
    source = index.read(join(directory, "setup.cfg"))
    number = source.find_line(r"^\[tox:tox\]") if source else None
    if source is not None and number:
        cited.append(("tox", source.evidence(number)))
    source = index.read(join(directory, "noxfile.py"))
    if source is not None:
        number = source.find_line(r"@nox\.session")
        cited.append(
            ("nox", source.evidence(number) if number else source.file_evidence())
        )

    for command, evidence in cited[:1] + [c for c in cited[1:] if c[0] != cited[0][0]]:
        yield Fact(
            FactKind.TEST,
            command,
            f"python.{command}",
            (evidence,),
            scope=index.scope(evidence.path),
            cwd=directory,
            note=f"{command} runs the test environments",
        )


def _alembic(index: RepoIndex) -> Iterator[Fact]:
    for path in index.named("alembic.ini"):
        source = index.read(path)
        if source is None or _is_flask_migrate(index, path):
            continue
        number = source.find_line(r"^\[alembic\]") or source.find_line(
            r"script_location"
        )
        evidence = source.evidence(number) if number else source.file_evidence()
        yield Fact(
            FactKind.MIGRATE,
            "alembic upgrade head",
            "python.alembic",
            (evidence,),
            Status.INFERRED,
            scope=index.scope(path),
            weight=WEIGHT_CONVENTION,
            cwd=directory_of(path),
            note="Alembic applies every migration",
        )


def _is_flask_migrate(index: RepoIndex, alembic_ini: str) -> bool:
    """True for the alembic.ini that Flask-Migrate writes (run by `flask db`)."""
    env = index.read(join(directory_of(alembic_ini), "env.py"))
    return env is not None and "current_app" in env.text


def _flask_migrate(context: "Context", apps: "Apps") -> Iterator[Fact]:
    done: set[str] = set()  # one command per directory, for its main application
    for app in sorted(apps.flask_apps, key=lambda a: a.is_factory):
        dep = context.find_dep(app.cwd, "flask-migrate")
        if dep is None or app.cwd in done:
            continue
        done.add(app.cwd)
        yield Fact(
            FactKind.MIGRATE,
            f"flask {app.app_option}db upgrade",
            "python.flask_migrate",
            (dep.evidence, app.evidence),
            Status.INFERRED,
            scope=app.scope,
            weight=WEIGHT_CONVENTION,
            cwd=app.cwd,
            note="Flask-Migrate is a dependency of this Flask application",
        )
