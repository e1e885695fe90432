"""Python run commands and ports from the source: application objects.

One pass over the ``.py`` files finds application objects (``Flask(__name__)``,
``FastAPI()``, ``Celery(...)``, factory calls), Streamlit scripts, ``wsgi.py``
modules, packages with a ``__main__.py``, ``WSGI_APPLICATION`` settings and
the signs of a test suite. Module paths are written relative to the directory
the module imports from, which is the command's working directory.
"""

import logging
import re
from typing import TYPE_CHECKING

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._python_common import (
    directory_of,
    module_name,
    module_root,
    owner_project,
    relative_to,
)
from pta_analyzer.extractors.python_servers import (
    FLASK_PORT,
    MAIN_BLOCK,
    Apps,
    FlaskApp,
    add_command,
    add_default_port,
    add_gunicorn,
    add_script,
    note_app,
    server_start,
)
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    Fact,
    FactKind,
)
from pta_analyzer.index import SourceText
from pta_analyzer.needles import register
from pta_analyzer.scope import Scope

if TYPE_CHECKING:
    from pta_analyzer.extractors.python import Context

logger = logging.getLogger(__name__)

UVICORN_PORT = 8000
STREAMLIT_PORT = 8501
_APP_MARKERS = register(
    "Flask(", "Quart(", "FastAPI(", "Starlette(", "Celery(", "create_app("
)
# What a module needs to hold for ``_scan_entries`` to find anything in it
# (besides being a ``wsgi.py`` or a ``__main__.py``): every rule there asks
# for one of these words first, so skipping the others changes nothing.
_APP_ENTRIES = register(*_APP_MARKERS, "make_app(", "__main__")
_MARKERS = register(
    "Flask(",
    "Quart(",
    "FastAPI(",
    "Starlette(",
    "Celery(",
    "__main__",
    "WSGI_APPLICATION",
    "unittest",
    "pytest",
    "streamlit",
    "def test_",
    "create_app(",
    "make_app(",
)
_DJANGO = register("django")
_WSGI_APP = regex(r"^(\w+)\s*(?::[^=]+)?=\s*(?:flask\.)?(Flask|Quart)\(")
_FACTORY = regex(r"^def (create_app|make_app)\(")
_FACTORY_CALL = regex(r"^(app|application)\s*=\s*(?:\w+\.)?(?:create_app|make_app)\(")
_ASGI_APP = regex(
    r"^(\w+)\s*(?::[^=]+)?=\s*(?:fastapi\.|starlette\.applications\.)?"
    r"(FastAPI|Starlette)\("
)
_CELERY_APP = regex(r"^(\w+)\s*(?::[^=]+)?=\s*(?:celery\.)?Celery\(")
_WSGI_SETTING = regex(r"""^WSGI_APPLICATION\s*=\s*["']([\w.]+)["']""")
# Searched in the whole text, one line at a time: ``[^\S\n]`` is the ``\s`` of
# a single line (``SourceText.text`` separates lines with "\n" alone).
_IMPORTS = {
    marker: re.compile(rf"(?m)^[^\S\n]*(?:import|from)[^\S\n]+{marker}\b")
    for marker in ("pytest", "unittest")
}
_TEST_FUNCTION = regex(r"(?m)^[^\S\n]*(?:async[^\S\n]+)?def test_\w*\(")


def scan(context: "Context") -> Apps:
    """Read the ``.py`` files once and turn what they show into facts."""
    apps = Apps()
    index = context.index
    paths = [p for p in index.paths() if p.endswith(".py")]
    for source in index.texts(paths):
        wsgi = source.path.rsplit("/", 1)[-1] == "wsgi.py"
        if not wsgi and not source.holds(*_MARKERS):
            continue
        _scan_file(context, apps, source)

    return apps


def _scan_file(context: "Context", apps: Apps, source: SourceText) -> None:
    path = source.path
    owner = owner_project(path, context.projects)
    if source.holds("WSGI_APPLICATION"):
        for number, match in source.find_lines(_WSGI_SETTING()):
            apps.wsgi_settings.append((match.group(1), source.evidence(number)))
    name = path.rpartition("/")[2]
    if context.index.scope(path) is Scope.TEST or name in ("tests.py", "test.py"):
        _note_test_file(apps, source, owner)

    # Most files get here only for their tests: the module's import root is
    # worked out only for those that may hold an application or a server.
    is_wsgi = path.endswith("wsgi.py")
    root, module = "", ""
    if is_wsgi or path.endswith("__main__.py") or source.holds(*_APP_ENTRIES):
        root, module = _scan_entries(context, apps, source, owner)
    if source.holds("streamlit") and directory_of(path) == owner:
        _streamlit(context, apps, source, owner)
    if is_wsgi and not source.holds("Flask("):
        _wsgi_entry(context, apps, source, root, module)


def _scan_entries(
    context: "Context", apps: Apps, source: SourceText, owner: str
) -> tuple[str, str]:
    """Applications, factories, workers and server scripts the module defines.

    Returns the directory the module imports from and its dotted name.
    """
    root = module_root(context.index, source.path)
    if source.holds(*_APP_MARKERS):
        root = _import_root(root, source.text)
    module = module_name(source.path, root)
    main = server_start(source, source.text) if source.holds("__main__") else None

    if source.path.endswith("__main__.py"):
        _package_main(context, apps, source, root, module, owner)
    if source.holds("Flask(", "Quart("):
        _flask(context, apps, source, root, module, main)
    elif source.holds("create_app(", "make_app("):
        _factory_entry(context, apps, source, root, module, main)
    if source.holds("FastAPI(", "Starlette("):
        _asgi(context, apps, source, root, module, main)
    if source.holds("Celery("):
        _celery(context, apps, source, root, module)
    if main is not None and source.path not in apps.scripts:
        add_script(context, apps, source, root, main)
    return root, module


def _streamlit(context: "Context", apps: Apps, source: SourceText, cwd: str) -> None:
    number = source.find_line(r"^\s*(import streamlit|from streamlit\b)")
    if number is None:
        return
    evidence = source.evidence(number)
    scope = context.index.scope(source.path)
    command = f"streamlit run {relative_to(source.path, cwd)}"
    add_command(
        apps,
        FactKind.DEV,
        command,
        evidence,
        scope,
        cwd,
        "a Streamlit script at the project's top level",
        {"process": "web"},
    )
    add_default_port(apps, STREAMLIT_PORT, evidence, scope, cwd, "streamlit run")


def _wsgi_entry(
    context: "Context", apps: Apps, source: SourceText, root: str, module: str
) -> None:
    """A ``wsgi.py`` exposing ``app``/``application`` for gunicorn to serve."""
    if source.holds(*_DJANGO) or not module or source.path in apps.served:
        return
    pattern = (
        r"^(?:(app|application)\s*=|from\s+\S+\s+import\s+.*\b(app|application)\b)"
    )
    found = next(source.find_lines(pattern), None)
    if found is None or context.find_dep(directory_of(source.path), "gunicorn") is None:
        return
    name = found[1].group(1) or found[1].group(2)
    target = module if name == "application" else f"{module}:{name}"
    evidence = source.evidence(found[0])
    add_gunicorn(
        context, apps, target, evidence, context.index.scope(source.path), root
    )


def _flask(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    main: tuple[Evidence, str] | None,
) -> None:
    found = next(source.find_lines(_WSGI_APP()), None)
    if found is not None:
        name = found[1].group(1)
        _flask_app(context, apps, source, root, module, main, name, found[0])
        return
    factory = next(source.find_lines(_FACTORY()), None)
    if factory is not None:
        name, number = factory[1].group(1), factory[0]
        _flask_app(context, apps, source, root, module, main, "app", number, name)


def _flask_app(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    main: tuple[Evidence, str] | None,
    name: str,
    number: int,
    factory: str = "",
) -> None:
    """Commands for the Flask application ``name`` of ``module``.

    ``factory`` names the function building the application when the module
    defines one instead of an application object.
    """
    evidence = source.evidence(number)
    scope = context.index.scope(source.path)
    note_app(context, apps.web_dirs, evidence)
    auto = module in ("app", "wsgi") and name in ("app", "application")
    option = "" if auto else f"--app {module} "
    apps.flask_apps.append(FlaskApp(root, option, evidence, scope, bool(factory)))

    if main is not None:
        add_script(context, apps, source, root, main)
    else:
        note = "Flask's own development server finds this application"
        add_command(
            apps,
            FactKind.DEV,
            f"flask {option}run",
            evidence,
            scope,
            root,
            note,
            {"process": "web"},
            guess=bool(factory),
        )
        add_default_port(apps, FLASK_PORT, evidence, scope, root, "flask run")
    if context.find_dep(directory_of(source.path), "gunicorn") and module:
        target = module if name == "application" else f"{module}:{name}"
        if factory:
            target = f"'{module}:{factory}()'"
        add_gunicorn(context, apps, target, evidence, scope, root)


def _factory_entry(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    main: tuple[Evidence, str] | None,
) -> None:
    """A module that builds its application by calling a factory at top level."""
    found = next(source.find_lines(_FACTORY_CALL()), None)
    if found is None or not module or "." in module:
        return  # inside a package it is a helper (a worker's app context)
    directory = directory_of(source.path)
    name, number = found[1].group(1), found[0]
    if context.find_dep(directory, "flask", "quart"):
        _flask_app(context, apps, source, root, module, main, name, number)
    elif context.find_dep(directory, "fastapi", "starlette"):
        _asgi_app(context, apps, source, root, module, main, name, number)


def _asgi(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    main: tuple[Evidence, str] | None,
) -> None:
    found = next(source.find_lines(_ASGI_APP()), None)
    if found is not None and module:
        name = found[1].group(1)
        _asgi_app(context, apps, source, root, module, main, name, found[0])


def _asgi_app(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    main: tuple[Evidence, str] | None,
    name: str,
    number: int,
) -> None:
    """Commands for the ASGI application ``name`` of ``module``."""
    evidence = source.evidence(number)
    scope = context.index.scope(source.path)
    note_app(context, apps.web_dirs, evidence)
    note = "an ASGI application object, served by uvicorn"
    add_command(
        apps,
        FactKind.PROD,
        f"uvicorn {module}:{name}",
        evidence,
        scope,
        root,
        note,
        {"process": "web"},
    )
    add_default_port(apps, UVICORN_PORT, evidence, scope, root, "uvicorn")
    if main is not None:
        add_script(context, apps, source, root, main)


def _import_root(root: str, text: str) -> str:
    """Climb above directories the module imports by name (namespace packages).

    ``app/main.py`` saying ``from app.db import x`` imports from the parent
    of ``app/`` even when ``app/`` has no ``__init__.py``.
    """
    while root:
        name = re.escape(root.rpartition("/")[2])
        if not re.search(rf"^\s*(?:from|import)\s+{name}[.\s]", text, re.MULTILINE):
            break
        root = directory_of(root)
    return root


def _celery(
    context: "Context", apps: Apps, source: SourceText, root: str, module: str
) -> None:
    found = next(source.find_lines(_CELERY_APP()), None)
    if found is None or not module:
        return
    target = f"{module}.{found[1].group(1)}"
    scope = context.index.scope(source.path)
    evidence = source.evidence(found[0])
    note_app(context, apps.worker_dirs, evidence)
    note = "a Celery application: its worker process"
    add_command(
        apps,
        FactKind.PROD,
        f"celery -A {target} worker",
        evidence,
        scope,
        root,
        note,
        {"process": "worker"},
    )
    beat = source.find_line(r"\bbeat_schedule\b|\badd_periodic_task\(")
    if beat is not None:
        note = "the application schedules periodic tasks: the beat process"
        add_command(
            apps,
            FactKind.PROD,
            f"celery -A {target} beat",
            source.evidence(beat),
            scope,
            root,
            note,
            {"process": "beat"},
        )


def _package_main(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    module: str,
    owner: str,
) -> None:
    package = module.rsplit(".", 1)[0] if module.endswith(".__main__") else ""
    if not package or owner in context.helper_scripts:
        return
    number = source.find_line(MAIN_BLOCK())
    evidence = source.evidence(number) if number else source.file_evidence()
    apps.facts.append(
        Fact(
            FactKind.PROD,
            f"python -m {package}",
            "python.package_main",
            (evidence,),
            scope=context.index.scope(source.path),
            weight=WEIGHT_CONVENTION,
            cwd=root,
            note=f"{source.path} makes the package runnable with -m",
        )
    )


def _note_test_file(apps: Apps, source: SourceText, owner: str) -> None:
    for marker, found in (
        ("pytest", apps.pytest_files),
        ("unittest", apps.unittest_files),
    ):
        if owner not in found and source.holds(marker):
            number = _first_line(source, _IMPORTS[marker])
            if number:
                found[owner] = source.evidence(number)
    if owner in apps.plain_test_files or source.holds("unittest", *_DJANGO):
        return
    if source.holds("def test_"):
        number = _first_line(source, _TEST_FUNCTION())
        if number:
            apps.plain_test_files[owner] = source.evidence(number)


def _first_line(source: SourceText, pattern: "re.Pattern[str]") -> int | None:
    """The first line where a ``(?m)^``-anchored, one-line ``pattern`` matches."""
    match = pattern.search(source.text)
    return None if match is None else source.line_of_offset(match.start())
