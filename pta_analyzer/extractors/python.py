"""Python: the extractor's entry point, dependencies and project kinds.

Each directory holding a Python manifest is a project; its commands run in
that directory. Dependencies name frameworks and backing services, each citing
the line that declares it. The other facts come from sibling modules:
``python_manifests`` (package managers, installs, scripts, runtime; with
``python_tasks`` for PDM/Hatch/Pipenv tasks), ``python_apps`` (application
objects in the source), ``python_servers`` (server scripts, and the record
they share), ``python_wsgi`` (Django and gunicorn) and ``python_tests`` (test
runners and migrations).
"""

import logging
from collections.abc import Iterator

from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors import (
    python_apps,
    python_manifests,
    python_servers,
    python_tests,
    python_wsgi,
)
from pta_analyzer.extractors._python_common import (
    Dep,
    Manifests,
    project_dirs,
    requirement_files,
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
from pta_analyzer.services import service_of_dependency

logger = logging.getLogger(__name__)

FRAMEWORKS: dict[str, str] = {
    "flask": "flask", "django": "django", "fastapi": "fastapi",
    "starlette": "starlette", "celery": "celery", "gunicorn": "gunicorn",
    "uvicorn": "uvicorn", "aiohttp": "aiohttp", "tornado": "tornado",
    "streamlit": "streamlit", "sanic": "sanic", "quart": "quart",
    "bottle": "bottle", "pyramid": "pyramid", "falcon": "falcon",
    "litestar": "litestar", "dash": "dash", "gradio": "gradio",
    "djangorestframework": "django-rest-framework", "flask-restful": "flask-restful",
    "flask-restx": "flask-restx", "hypercorn": "hypercorn", "daphne": "daphne",
    "waitress": "waitress", "dramatiq": "dramatiq", "rq": "rq", "huey": "huey",
    "channels": "django-channels", "flask-socketio": "flask-socketio",
}  # fmt: skip
WEB_FRAMEWORKS = frozenset(
    {
        "flask",
        "django",
        "fastapi",
        "starlette",
        "aiohttp",
        "tornado",
        "streamlit",
        "sanic",
        "quart",
        "bottle",
        "pyramid",
        "falcon",
        "litestar",
        "dash",
        "gradio",
    }
)
# Frameworks whose applications python_apps and python_wsgi find reliably: a
# package depending on one with no application of its own extends it.
# Files that start an application or package one for deployment.
ENTRY_FILES = frozenset(
    {
        "main.py", "app.py", "wsgi.py", "asgi.py", "manage.py", "server.py",
        "Dockerfile", "Procfile", "docker-compose.yml", "compose.yml",
    }
)  # fmt: skip
DETECTED_FRAMEWORKS = frozenset({"flask", "django", "fastapi", "starlette"})
WORKER_FRAMEWORKS = frozenset({"celery", "dramatiq", "rq", "huey"})
# Extras (``celery[redis]``) that name the service a package talks to.
EXTRA_SERVICES: dict[str, str] = {
    "postgresql": "postgres", "postgres": "postgres", "asyncpg": "postgres",
    "psycopg2": "postgres", "psycopg": "postgres", "mysql": "mysql",
    "pymysql": "mysql", "aiomysql": "mysql", "redis": "redis", "sqlite": "sqlite",
    "aiosqlite": "sqlite", "mongodb": "mongodb", "sqs": "aws", "rabbitmq": "rabbitmq",
}  # fmt: skip


class Context:
    """What the manifests of a repository declare, per project directory."""

    def __init__(self, index: RepoIndex) -> None:
        self.index = index
        self.requirements = requirement_files(index)
        self.projects = project_dirs(index, self.requirements)
        self.manifests = {d: Manifests(d) for d in self.projects}
        self.helper_scripts: set[str] = set()  # projects whose scripts are helpers
        self.script_projects: dict[str, Evidence] = {}  # real console scripts
        self.built_projects: dict[str, Evidence] = {}  # build backend evidence
        self.project_names: dict[str, str] = {}  # distribution names, normalised

    def deps_for(self, directory: str) -> list[Dep]:
        """Dependencies of ``directory``'s project and of those containing it."""
        found: list[Dep] = []
        for project, manifests in self.manifests.items():
            if (
                not project
                or directory == project
                or directory.startswith(project + "/")
            ):
                found.extend(manifests.deps)
        return found

    def find_dep(self, directory: str, *names: str) -> Dep | None:
        """The first dependency named one of ``names`` seen from ``directory``."""
        found = [d for d in self.deps_for(directory) if d.name in names]
        found.sort(key=lambda d: d.optional)
        return found[0] if found else None


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from Python manifests, sources and test suites."""
    context = Context(index)
    manifest_facts = [
        fact
        for directory in context.projects
        for fact in python_manifests.manifest_facts(context, directory)
    ]
    yield from _dependency_facts(context)
    apps = python_apps.scan(context)
    python_wsgi.scan(context, apps)
    kinds = list(_kind_facts(context, apps))
    libraries = {f.cwd for f in kinds if f.key == "library"}
    for fact in manifest_facts:
        if fact.source == "python.console_script" and fact.cwd in libraries:
            continue  # a framework's own tool, not how to run the repository
        yield fact
    yield from apps.facts
    yield from python_tests.facts(context, apps)
    yield from kinds


def _dependency_facts(context: Context) -> Iterator[Fact]:
    index = context.index
    for manifests in context.manifests.values():
        for dep in manifests.deps:
            scope = index.scope(dep.evidence.path)
            weight = WEIGHT_CONVENTION if dep.optional else WEIGHT_MANIFEST
            cwd = manifests.directory
            note = "optional or development dependency" if dep.optional else ""
            framework = FRAMEWORKS.get(dep.name)
            if framework:
                yield Fact(
                    FactKind.FRAMEWORK,
                    framework,
                    "python.dependency",
                    (dep.evidence,),
                    scope=scope,
                    weight=weight,
                    cwd=cwd,
                    note=note,
                )
            for service in _services_of(dep):
                yield Fact(
                    FactKind.SERVICE,
                    service,
                    "python.dependency",
                    (dep.evidence,),
                    scope=scope,
                    weight=weight,
                    cwd=cwd,
                    note=note or f"the {dep.name} dependency talks to {service}",
                )


def _services_of(dep: Dep) -> list[str]:
    found = service_of_dependency(dep.name)
    services = [found] if found else []
    for extra in dep.extras:
        service = EXTRA_SERVICES.get(extra)
        if service and service not in services:
            services.append(service)
    return services


def _kind_facts(context: Context, apps: "python_servers.Apps") -> Iterator[Fact]:
    for directory, manifests in context.manifests.items():
        found = _kind_of(context, apps, directory, manifests)
        if found is None:
            continue
        kind, evidence, note = found
        yield Fact(
            FactKind.PROJECT_KIND,
            kind,
            "python.kind",
            (evidence,),
            Status.INFERRED,
            scope=context.index.scope(evidence.path),
            weight=WEIGHT_CONVENTION,
            cwd=directory,
            note=note,
        )


def _kind_of(
    context: Context, apps: "python_servers.Apps", directory: str, manifests: Manifests
) -> tuple[str, Evidence, str] | None:
    """``(kind, evidence, note)`` hinting what the project is, or None.

    A package with a build backend that is a web framework, or depends on one
    but holds no application of its own, is a library (Flask itself, a Flask
    extension, a CMS built on Django); its console scripts are the
    framework's tools, not a way to run the repository.
    """
    deps = [d for d in manifests.deps if not d.optional] or manifests.deps
    web = [d for d in deps if FRAMEWORKS.get(d.name) in WEB_FRAMEWORKS]
    workers = [d for d in deps if FRAMEWORKS.get(d.name) in WORKER_FRAMEWORKS]
    built = directory in context.built_projects
    if directory in apps.web_dirs:
        return "service", apps.web_dirs[directory], "it defines a web application"
    if web and not built:
        return "service", web[0].evidence, "a web framework is a dependency"
    if directory in apps.worker_dirs:
        return "worker", apps.worker_dirs[directory], "it defines only a task worker"
    if workers and not built:
        return "worker", workers[0].evidence, "a task queue is its only framework"
    own_name = context.project_names.get(directory, "")
    extends = [d for d in web if FRAMEWORKS.get(d.name) in DETECTED_FRAMEWORKS]
    # Only a project that depends on a web framework gets here with `web`.
    has_entry = bool(web) and _has_entry_file(context.index, directory)
    if built and (own_name in FRAMEWORKS or (extends and not has_entry)):
        note = "a package with a build backend that is or extends a web framework"
        return "library", context.built_projects[directory], note
    if web and has_entry:
        note = "a web framework is a dependency and an entry module exists"
        return "service", web[0].evidence, note
    if directory in context.script_projects:
        note = "console scripts are declared and no web application is defined"
        return "cli", context.script_projects[directory], note
    if built:
        note = "a package with a build backend, no web application or entry point"
        if directory in context.helper_scripts:
            note += " (its console script needs an optional extra: a helper)"
        return "library", context.built_projects[directory], note
    return None


def _has_entry_file(index: RepoIndex, directory: str) -> bool:
    """Whether the project holds a file that starts or deploys an application."""
    prefix = directory + "/" if directory else ""
    for path in index.paths():
        if not path.startswith(prefix) or path.rpartition("/")[2] not in ENTRY_FILES:
            continue
        if index.scope(path) is Scope.APP and "template" not in path:
            return True
    return False
