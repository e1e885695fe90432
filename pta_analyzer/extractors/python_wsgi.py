"""Django projects and gunicorn configuration: run, migrate and test commands.

A ``manage.py`` that drives Django gives the development server, the
migration and the test commands; with gunicorn among the dependencies and a
``WSGI_APPLICATION`` setting it also gives the production server. A gunicorn
configuration file gives the address it binds and, when it names the
application, the command itself.
"""

import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from pta_analyzer.deferred import regex
from pta_analyzer.extractors._python_common import (
    directory_of,
    is_under,
    join,
    relative_to,
)
from pta_analyzer.extractors.python_servers import (
    Apps,
    add_default_port,
    add_gunicorn,
    note_app,
)
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import RepoIndex
from pta_analyzer.needles import register
from pta_analyzer.scope import Scope

if TYPE_CHECKING:
    from pta_analyzer.extractors.python import Context

logger = logging.getLogger(__name__)

DJANGO_PORT = 8000
GUNICORN_CONFIGS = (
    "gunicorn.conf.py",
    "gunicorn_config.py",
    "gunicorn_conf.py",
    "gunicorn.config.py",
    "gunicorn_cfg.py",
)
_BIND = regex(r"""^bind\s*=.*?:(\d{2,5})\b""")
_GUNICORN_APP = regex(r"""^wsgi_app\s*=\s*["']([\w.:]+)["']""")
_DEFINES_A_TEST = register("def test")
_TEST_MODULE = regex(r"tests?\.py|test_\w+\.py|\w+_tests?\.py")


def scan(context: "Context", apps: Apps) -> None:
    """Add the facts of Django projects and gunicorn configurations to ``apps``."""
    for path in context.index.named("manage.py"):
        _django(context, apps, path)
    for path in context.index.named(*GUNICORN_CONFIGS):
        _gunicorn_config(context, apps, path)


def _django(context: "Context", apps: Apps, path: str) -> None:
    source = context.index.read(path)
    if source is None or "django" not in source.text:
        return
    directory = directory_of(path)
    apps.django_dirs.add(directory)
    number = source.find_line(r"execute_from_command_line|DJANGO_SETTINGS_MODULE")
    manage = source.evidence(number) if number else source.file_evidence()
    dep = context.find_dep(directory, "django")
    evidence = (manage, dep.evidence) if dep else (manage,)
    scope = context.index.scope(path)
    note_app(context, apps.web_dirs, manage)
    for kind, command, note in (
        (FactKind.DEV, "python manage.py runserver", "Django's development server"),
        (FactKind.MIGRATE, "python manage.py migrate", "Django applies migrations"),
    ):
        apps.facts.append(
            Fact(
                kind,
                command,
                "python.django",
                evidence,
                Status.INFERRED,
                scope=scope,
                weight=WEIGHT_CONVENTION,
                cwd=directory,
                note=note,
                attrs={"process": "web"} if kind is FactKind.DEV else {},
            )
        )
    add_default_port(apps, DJANGO_PORT, manage, scope, directory, "manage.py runserver")
    apps.facts.extend(_django_tests(context.index, directory))
    gunicorn = context.find_dep(directory, "gunicorn")
    for value, setting in apps.wsgi_settings:
        if (
            gunicorn
            and is_under(setting.path, directory)
            and value.endswith(".application")
        ):
            target = value.rsplit(".", 1)[0]
            add_gunicorn(context, apps, target, setting, scope, directory)
            break


def _gunicorn_config(context: "Context", apps: Apps, path: str) -> None:
    source = context.index.read(path)
    if source is None:
        return
    scope = context.index.scope(path)
    directory = directory_of(path)
    for number, match in source.find_lines(_BIND()):
        apps.facts.append(
            Fact(
                FactKind.PORT,
                match.group(1),
                "python.gunicorn_config",
                (source.evidence(number),),
                scope=scope,
                cwd=directory,
                note="gunicorn binds this address",
                attrs={"role": "bind"},
            )
        )
    for number, _match in source.find_lines(_GUNICORN_APP()):
        name = relative_to(path, directory)
        apps.facts.append(
            Fact(
                FactKind.PROD,
                f"gunicorn -c {name}",
                "python.gunicorn_config",
                (source.evidence(number),),
                scope=scope,
                weight=WEIGHT_MANIFEST,
                cwd=directory,
                note="the configuration names the application",
                attrs={"process": "web"},
            )
        )


def _django_tests(index: RepoIndex, directory: str) -> Iterator[Fact]:
    manage = index.read(join(directory, "manage.py"))
    if manage is None:
        return
    number = manage.find_line(r"execute_from_command_line")
    evidence = [manage.evidence(number) if number else manage.file_evidence()]
    tests = sorted(
        p
        for p in _python_files_under(index, directory)
        if _is_test_module(p.rpartition("/")[2])
    )
    # startapp writes a tests.py holding only "# Create your tests here.":
    # the runner is there, but a suite with no test is not a test command.
    first = next((p for p in tests if _defines_a_test(index, p)), None)
    if first is None:
        return
    found = index.existence_evidence(first)
    evidence.extend([found] if found else [])
    yield Fact(
        FactKind.TEST,
        "python manage.py test",
        "python.django",
        tuple(evidence),
        Status.INFERRED,
        scope=Scope.APP,
        weight=WEIGHT_CONVENTION,
        cwd=directory,
        note=f"Django's test runner; {first} holds tests",
    )


def _python_files_under(index: RepoIndex, directory: str) -> list[str]:
    """The ``.py`` paths of ``directory`` at any depth: the glob ``dir/*.py``.

    Cut as strings when the directory holds no glob character (the glob then
    means exactly that), which spares a regex over every path.
    """
    prefix = f"{directory}/" if directory else ""
    if any(char in prefix for char in "*?["):
        return index.glob(f"{prefix}*.py")
    least = len(prefix) + len(".py")
    return [
        p
        for p in index.paths()
        if p.endswith(".py") and p.startswith(prefix) and len(p) >= least
    ]


def _is_test_module(name: str) -> bool:
    """``tests.py``, ``test_x.py``, ``x_test.py``: every such name says test."""
    return "test" in name and _TEST_MODULE().fullmatch(name) is not None


def _defines_a_test(index: RepoIndex, path: str) -> bool:
    source = index.read(path)
    return source is not None and source.holds(*_DEFINES_A_TEST)
