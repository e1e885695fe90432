"""What one command line does for a project: the tools of each ecosystem.

``classify`` reads a single command (no chains, no prompts: ``shellcmd``
splits those) and says whether it installs, builds, runs, tests or migrates
the project it runs in. Each tool has a small handler that reads its own
subcommands and options; anything not recognised is None.
"""

import re
import shlex
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import PurePosixPath

from pta_analyzer.services import service_of_image


class Role(StrEnum):
    """What a command does for a project."""

    INSTALL = "install"
    BUILD = "build"
    DEV = "dev"  # starts it for development
    PROD = "prod"  # starts it for production
    RUN = "run"  # starts it; the text does not say dev or prod
    TEST = "test"
    MIGRATE = "migrate"


_TEMPLATE_WORD = re.compile(r"example|sample|template|\.dist\b|\.default")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


_WRAPPERS = frozenset({"sudo", "env", "time", "exec", "nohup", "cross-env", "command"})
_Handler = Callable[[Sequence[str]], Role | None]

_NAME_ROLES: tuple[tuple[Role, tuple[str, ...], frozenset[str]], ...] = (
    (Role.MIGRATE, ("migrat", "db:setup", "initdb", "init-db"), frozenset()),
    (Role.TEST, ("test", "spec", "validate"), frozenset({"e2e", "check"})),
    (Role.INSTALL, ("install", "setup", "bootstrap"), frozenset({"deps"})),
    (Role.BUILD, ("build", "compile"), frozenset({"bundle", "dist", "package"})),
    (Role.DEV, ("watch", "debug"), frozenset({"dev", "develop", "serve"})),
    (Role.PROD, ("production",), frozenset({"prod"})),
    (Role.RUN, ("start",), frozenset({"run", "server", "up"})),
)
_RUN_ROLES = frozenset({Role.RUN, Role.DEV, Role.PROD})
_BACKING_WORDS = frozenset(
    {"db", "database", "postgres", "mysql", "redis", "mongo", "mongodb", "deps"}
)
_DATA_WORDS = frozenset({"testdata", "seed", "fixtures"})
_PYTHONS = frozenset({"python", "python3", "python2", "py", "pypy3"})
_TEST_RUNNERS = frozenset(
    {
        "pytest", "py.test", "tox", "nox", "nose2", "nosetests", "behave",
        "jest", "mocha", "vitest", "ava", "karma", "tap", "jasmine", "rspec",
        "gotestsum", "phpunit", "pest", "cucumber", "cypress", "playwright",
        "ginkgo",
    }
)  # fmt: skip
_RUNNER_CHORES = frozenset(
    {"install", "install-deps", "verify", "open", "show-report", "merge-reports",
     "codegen", "cache", "uninstall"}
)  # fmt: skip
_PYTHON_TEST_MODULES = frozenset(
    {"pytest", "unittest", "nose2", "tox", "nox", "behave", "coverage"}
)
_PYTHON_TOOL_MODULES = frozenset(
    {
        "twine", "black", "flake8", "mypy", "isort", "ruff", "pylint",
        "pre_commit", "ensurepip", "json.tool", "pydoc", "timeit", "doctest",
        "sphinx", "mkdocs", "http.server", "webbrowser", "site", "pip_audit",
    }
)  # fmt: skip
# Installing only these sets up tooling, not the project.
_PYTHON_TOOL_PACKAGES = frozenset(
    {
        "pip", "setuptools", "wheel", "virtualenv", "build", "twine", "tox",
        "tox-gh-actions", "nox", "pre-commit", "flake8", "black", "mypy",
        "ruff", "isort", "pylint", "coverage", "codecov", "uv", "poetry",
        "pipenv", "pdm", "hatch",
    }
)  # fmt: skip
# "runtests", "test_all", "e2e-tests"; not "latest" or "contest".
_TEST_STEM = re.compile(r"(?:^|[-_.]|run)test(?:s|ing)?(?:$|[-_.])")
_NPM_INSTALL = frozenset({"install", "i", "ci", "add"})
_RUNNER_OWN = frozenset(
    {"run", "exec", "x", "dlx", "install", "i", "ci", "add", "test", "t", "start"}
)


def classify(command: str) -> Role | None:
    """What ``command`` does for the project it runs in, or None.

    None for anything not recognised: lint, formatting, prose, other
    languages' code, package publishing.
    """
    words = _program_words(words_of(command))
    if not words:
        return None
    return _classify_words(words)


def words_of(text: str) -> list[str]:
    """The shell words of ``text``; plain whitespace split if quotes are open."""
    try:
        return shlex.split(text, comments=False)
    except ValueError:
        return text.split()


def _program_words(words: Sequence[str]) -> list[str]:
    """The words from the program on: assignments and wrappers dropped."""
    index = 0
    while index < len(words):
        word = words[index]
        if ASSIGNMENT.match(word) or word in _WRAPPERS:
            index += 1
            continue
        break
    return list(words[index:])


def _classify_words(words: list[str]) -> Role | None:
    program = words[0]
    args = words[1:]
    name = PurePosixPath(program).name
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(args)
    if name in _TEST_RUNNERS:
        return _test_runner(args)
    if name.endswith((".sh", ".py", ".bash")) or program.startswith(("./", "bin/")):
        return _classify_script(program, args)
    return None


def _test_runner(args: Sequence[str]) -> Role | None:
    """A test runner's own chores (``playwright install``) run no tests."""
    positional = _positional(args)
    if positional and positional[0] in _RUNNER_CHORES:
        return None
    return Role.TEST


def _classify_script(program: str, args: Sequence[str]) -> Role | None:
    """A project script, judged by its name: ``./setup.sh``, ``bin/dev``.

    A bare ``name.py`` is a file name, not a command: Python scripts count
    when they are run by path (``./serve.py``).
    """
    role = _role_of_name(PurePosixPath(program).stem)
    if program.endswith(".py") and "/" not in program:
        return None
    if role is not None or not program.endswith(".py"):
        return role
    return Role.RUN


def _role_of_name(name: str) -> Role | None:
    """The role a script, target or task name states (``test:unit``).

    Long needles match anywhere in the name, short ones only as a word.
    """
    lowered = name.lower()
    words = set(re.split(r"[^a-z0-9]+", lowered))
    if "test" in lowered and "watch" in lowered:
        return None  # an interactive loop, not a run of the tests
    if words & _DATA_WORDS:
        return None  # `testdata`, `seed`: loads data, runs no tests
    for role, needles, short in _NAME_ROLES:
        if any(needle in lowered for needle in needles) or words & short:
            if role in _RUN_ROLES and words & _BACKING_WORDS:
                return None  # `db-start`: starts the database, not the app
            return role
    return None


def _positional(args: Sequence[str]) -> list[str]:
    return [arg for arg in args if not arg.startswith("-")]


def _python(args: Sequence[str]) -> Role | None:
    if not args:
        return None
    if args[0] == "-m" and len(args) > 1:
        return _python_module(args[1], args[2:])
    if args[0].startswith("-"):
        return _python(args[1:]) if args[0] in {"-u", "-B", "-O"} else None
    script = args[0]
    stem = PurePosixPath(script).stem.lower()
    if not script.endswith(".py"):
        return None
    if stem == "manage":
        return _classify_manage_py(args[1:])
    if stem == "setup":
        return _classify_setup_py(args[1:])
    if _TEST_STEM.search(stem) or script.startswith("tests/"):
        return Role.TEST
    if "migrat" in stem:
        return Role.MIGRATE
    return Role.RUN


def _python_module(module: str, args: Sequence[str]) -> Role | None:
    if module in _PYTHON_TEST_MODULES:
        return Role.TEST if module != "coverage" or "run" in args else None
    if module in {"pip", "pip3"}:
        return _pip(args)
    if module in {"venv", "virtualenv"}:
        return Role.INSTALL
    if module == "build":
        return Role.BUILD
    if module in _PYTHON_TOOL_MODULES:
        return None
    handler = _HANDLERS.get(module)
    if handler is not None:
        return handler(args)
    return Role.RUN


def _classify_manage_py(args: Sequence[str]) -> Role | None:
    command = args[0] if args else ""
    table = {
        "runserver": Role.DEV,
        "test": Role.TEST,
        "migrate": Role.MIGRATE,
        "collectstatic": Role.BUILD,
    }
    if command == "db" and len(args) > 1 and args[1] == "upgrade":
        return Role.MIGRATE
    return table.get(command)


def _classify_setup_py(args: Sequence[str]) -> Role | None:
    command = args[0] if args else ""
    if command in {"install", "develop"}:
        return Role.INSTALL
    if command in {"build", "sdist", "bdist_wheel", "build_ext"}:
        return Role.BUILD
    if command == "test":
        return Role.TEST
    return None


def _pip(args: Sequence[str]) -> Role | None:
    if not args or args[0] != "install":
        return None
    packages = {arg.lower() for arg in _positional(args[1:])}
    if not packages:
        return None  # `pip install --upgrade`: names nothing to install
    if packages <= _PYTHON_TOOL_PACKAGES:
        return None
    if packages and all("doc" in package for package in packages):
        return None  # documentation tooling (requirements-docs.txt)
    return Role.INSTALL


def _with_run(install: set[str], build: set[str]) -> _Handler:
    """A Python project tool: ``install``, ``build``, ``run CMD``."""

    def handle(args: Sequence[str]) -> Role | None:
        if not args:
            return None
        sub = args[0]
        if sub in install:
            return Role.INSTALL
        if sub in build:
            return Role.BUILD
        if sub == "run" and len(args) > 1:
            return classify(shlex.join(args[1:]))
        if sub == "pip":
            return _pip(args[1:])
        if sub == "test":
            return Role.TEST
        return None

    return handle


def _flask(args: Sequence[str]) -> Role | None:
    positional = _skip_options(args, {"--app", "-A", "-e", "--env-file"})
    if not positional:
        return None
    sub = positional[0]
    if sub == "run":
        return Role.DEV
    if sub == "db" and len(positional) > 1 and positional[1] == "upgrade":
        return Role.MIGRATE
    if sub in {"init-db", "initdb", "create-db", "createdb", "init_db"}:
        return Role.MIGRATE
    if sub == "test":
        return Role.TEST
    return None


def _skip_options(args: Sequence[str], with_value: set[str]) -> list[str]:
    """Positional words, skipping options and the values of ``with_value``."""
    result: list[str] = []
    skip = False
    for arg in args:
        if skip:
            skip = False
            continue
        if arg in with_value:
            skip = True
            continue
        if not arg.startswith("-"):
            result.append(arg)
    return result


def _uvicorn(args: Sequence[str]) -> Role | None:
    if not _positional(args):
        return None
    return Role.DEV if "--reload" in args else Role.RUN


def _celery(args: Sequence[str]) -> Role | None:
    positional = _skip_options(args, {"-A", "--app", "-b", "--broker", "-Q", "-l"})
    if positional and positional[0] in {"worker", "beat", "flower"}:
        return Role.RUN
    return None


def _alembic(args: Sequence[str]) -> Role | None:
    return Role.MIGRATE if "upgrade" in args else None


def _npm_like(manager: str) -> _Handler:
    def handle(args: Sequence[str]) -> Role | None:
        if not args:
            return Role.INSTALL if manager == "yarn" else None
        sub = args[0]
        if sub.startswith("-"):
            return Role.INSTALL if manager == "yarn" else None
        if sub in _NPM_INSTALL:
            if "-g" in args or "--global" in args or sub == "add":
                return None
            return Role.INSTALL
        if sub in {"test", "t"}:
            return Role.TEST
        if sub == "start":
            return _start_task(args[1:])
        if sub in {"run", "run-script"} and len(args) > 1:
            return _script_name_role(args[1])
        if sub in {"exec", "x", "dlx"} and len(args) > 1:
            return _npx(args[1:])
        if manager in {"yarn", "pnpm", "bun"} and sub not in _RUNNER_OWN:
            if manager == "bun" and sub.endswith((".ts", ".js")):
                return Role.RUN
            return _script_name_role(sub)
        return None

    return handle


def _start_task(args: Sequence[str]) -> Role | None:
    """``npm start`` runs the app; ``yarn start build`` names a task runner's
    task (nps, start-server scripts), judged by its name."""
    if not args or args[0].startswith("-"):
        return Role.RUN  # `npm start -- --port 3000`: options for the script
    task = args[0].split()[0] if args[0].split() else ""
    if not re.fullmatch(r"[\w.:-]+", task):
        return Role.RUN
    role = _script_name_role(task)
    return Role.RUN if role is Role.DEV and "serve" in task else role


def _script_name_role(name: str) -> Role | None:
    lowered = name.lower()
    if lowered in {"lint", "format", "fmt", "prettier", "typecheck"}:
        return None
    if lowered.startswith(("lint", "format", "clean", "release", "publish")):
        return None
    if lowered == "start":
        return Role.RUN
    return _role_of_name(lowered)


def _npx(args: Sequence[str]) -> Role | None:
    args = [arg for arg in args if arg not in {"-y", "--yes"}]
    if not args:
        return None
    tool = args[0]
    rest = args[1:]
    if tool in _TEST_RUNNERS:
        return _test_runner(rest)
    if tool in {"prisma", "knex", "sequelize", "sequelize-cli", "typeorm"}:
        text = " ".join(rest)
        return Role.MIGRATE if "migrat" in text or "db push" in text else None
    handler = _NODE_TOOLS.get(tool)
    return handler(rest) if handler is not None else None


def _node(args: Sequence[str]) -> Role | None:
    positional = _positional(args)
    if not positional:
        return None
    return Role.TEST if "test" in positional[0] else Role.RUN


def _next(args: Sequence[str]) -> Role | None:
    sub = args[0] if args else "dev"
    return {"dev": Role.DEV, "build": Role.BUILD, "start": Role.PROD}.get(sub)


def _vite(args: Sequence[str]) -> Role | None:
    sub = args[0] if args and not args[0].startswith("-") else "dev"
    table = {"dev": Role.DEV, "serve": Role.DEV, "build": Role.BUILD}
    return table.get(sub, Role.DEV if sub == "preview" else None)


def _pm2(args: Sequence[str]) -> Role | None:
    return Role.PROD if args and args[0] in {"start", "start-runtime"} else None


def _go(args: Sequence[str]) -> Role | None:
    if not args:
        return None
    sub = args[0]
    if sub == "mod":
        return Role.INSTALL if args[1:2] == ["download"] else None
    table = {
        "get": Role.INSTALL,
        "install": Role.INSTALL,
        "build": Role.BUILD,
        "generate": Role.BUILD,
        "run": Role.RUN,
        "test": Role.TEST,
    }
    return table.get(sub)


def _cargo(args: Sequence[str]) -> Role | None:
    positional = [arg for arg in args if not arg.startswith(("-", "+"))]
    if not positional:
        return None
    sub = positional[0]
    if sub == "watch":
        return Role.DEV
    table = {
        "build": Role.BUILD,
        "install": Role.INSTALL,
        "fetch": Role.INSTALL,
        "run": Role.RUN,
        "test": Role.TEST,
        "nextest": Role.TEST,
        "bench": None,
    }
    return table.get(sub)


def _make(args: Sequence[str]) -> Role | None:
    targets = _skip_options(args, {"-C", "-f", "--directory", "--file", "-j"})
    targets = [target for target in targets if "=" not in target]
    if not targets:
        return Role.BUILD
    roles = [_role_of_name(target) for target in targets]
    return next((role for role in reversed(roles) if role is not None), None)


def _just(args: Sequence[str]) -> Role | None:
    targets = _skip_options(args, {"-f", "--justfile", "-d"})
    roles = [_role_of_name(target) for target in targets]
    return next((role for role in reversed(roles) if role is not None), None)


def _docker(args: Sequence[str]) -> Role | None:
    positional = _skip_options(args, {"-H", "--context", "--config"})
    if not positional:
        return None
    if positional[0] == "compose":
        return _compose(args[args.index("compose") + 1 :])
    sub = positional[0]
    if sub == "build":
        return Role.BUILD
    if sub in {"run", "exec"}:
        return _container_command(args[args.index(sub) + 1 :], Role.RUN)
    return None


# Compose service names that conventionally hold a backing service.
_BACKING_SERVICE_NAMES = frozenset(
    {
        "db", "database", "postgres", "postgresql", "pg", "pgdb", "mysql",
        "mariadb", "redis", "cache", "mongo", "mongodb", "rabbitmq", "broker",
        "elasticsearch", "memcached", "minio", "kafka", "zookeeper", "mailhog",
        "mailpit", "valkey",
    }
)  # fmt: skip
_COMPOSE_OPTIONS = {"-f", "--file", "-p", "--project-name", "--env-file", "--profile"}
_RUN_OPTIONS = {
    "-e", "--env", "-p", "--publish", "-v", "--volume", "--name", "-w",
    "--workdir", "--network", "--env-file", "-u", "--user", "--entrypoint",
    "-l", "--label", "--mount", "--platform",
}  # fmt: skip


def _compose(args: Sequence[str]) -> Role | None:
    index = 0
    while index < len(args) and args[index].startswith("-"):
        index += 2 if args[index] in _COMPOSE_OPTIONS else 1
    if index >= len(args):
        return None
    sub = args[index]
    if sub == "build":
        return Role.BUILD
    if sub in {"up", "start", "watch"}:
        names = _positional(args[index + 1 :])
        if names and all(_is_backing(name) for name in names):
            return None  # `docker compose up -d db`: only the database
        return Role.RUN
    if sub in {"run", "exec"}:
        return _container_command(args[index + 1 :], None)
    return None


def _container_command(args: Sequence[str], fallback: Role | None) -> Role | None:
    """``run``/``exec`` arguments: the command inside the container decides."""
    index = 0
    while index < len(args) and args[index].startswith("-"):
        option = args[index].split("=", 1)[0]
        takes_value = option in _RUN_OPTIONS and "=" not in args[index]
        index += 2 if takes_value else 1
    if index >= len(args):
        return None  # no image or service named: a fragment of a command
    inner = args[index + 1 :]
    if not inner:
        return None if _is_backing(args[index]) else fallback
    role = _classify_words(_program_words(inner))
    return role if role is not None else fallback


def _is_backing(name: str) -> bool:
    """A database, cache or broker named by image or by service name."""
    if name.lower() in _BACKING_SERVICE_NAMES:
        return True
    found = service_of_image(name)
    return found is not None and found != "flower"  # flower is the app's own UI


def _bundle(args: Sequence[str]) -> Role | None:
    if not args or args[0] == "install" or args[0].startswith("-"):
        return Role.INSTALL
    if args[0] == "exec" and len(args) > 1:
        return _classify_words(list(args[1:]))
    return None


def _classify_rails(args: Sequence[str]) -> Role | None:
    sub = args[0] if args else ""
    if sub in {"server", "s"}:
        return Role.DEV
    if sub in {"test", "spec"} or sub.startswith("test:"):
        return Role.TEST
    if sub == "assets:precompile":
        return Role.BUILD
    if sub.startswith("db:"):
        return Role.MIGRATE if _is_db_task(sub) else None
    return None


def _is_db_task(task: str) -> bool:
    return task in {"db:migrate", "db:setup", "db:create", "db:schema:load"} or (
        task.startswith("db:migrate")
    )


def _classify_rake(args: Sequence[str]) -> Role | None:
    task = args[0] if args else ""
    if task.startswith("db:"):
        return Role.MIGRATE if _is_db_task(task) else None
    if task in {"test", "spec"} or task.startswith(("test:", "spec:")):
        return Role.TEST
    if task == "assets:precompile":
        return Role.BUILD
    return None


def _maven(args: Sequence[str]) -> Role | None:
    goals = [arg for arg in args if not arg.startswith("-")]
    if any(goal.endswith(":run") for goal in goals):
        return Role.RUN
    if any(goal in {"flyway:migrate", "liquibase:update"} for goal in goals):
        return Role.MIGRATE
    if any(goal in {"test", "verify"} for goal in goals):
        return None if "-DskipTests" in args and "test" not in goals else Role.TEST
    if any(
        goal in {"package", "install", "compile", "spring-boot:repackage"}
        for goal in goals
    ):
        return Role.BUILD
    if any(goal.startswith("dependency:") for goal in goals):
        return Role.INSTALL
    return None


def _gradle(args: Sequence[str]) -> Role | None:
    tasks = [arg.rsplit(":", 1)[-1] for arg in args if not arg.startswith("-")]
    if any(task in {"bootRun", "run"} for task in tasks):
        return Role.RUN
    if any(task in {"flywayMigrate", "update"} for task in tasks):
        return Role.MIGRATE
    if any(task in {"test", "check", "integrationTest"} for task in tasks):
        return Role.TEST
    build = {"build", "assemble", "jar", "bootJar", "shadowJar", "installDist"}
    if any(task in build or task.startswith("bootBuildImage") for task in tasks):
        return Role.BUILD
    return None


def _java(args: Sequence[str]) -> Role | None:
    return Role.PROD if "-jar" in args else None


def _composer(args: Sequence[str]) -> Role | None:
    return Role.INSTALL if args and args[0] == "install" else None


def _php(args: Sequence[str]) -> Role | None:
    if not args:
        return None
    if args[0] == "-S":
        return Role.DEV
    if PurePosixPath(args[0]).name == "artisan" and len(args) > 1:
        sub = args[1]
        if sub == "serve":
            return Role.DEV
        if sub.startswith("migrate") and sub not in {
            "migrate:rollback",
            "migrate:reset",
        }:
            return Role.MIGRATE
        return Role.TEST if sub == "test" else None
    if "phpunit" in args[0] or "pest" in args[0]:
        return Role.TEST
    return None


def _dotnet(args: Sequence[str]) -> Role | None:
    sub = args[0] if args else ""
    if sub == "ef":
        return Role.MIGRATE if "update" in args else None
    table = {
        "restore": Role.INSTALL,
        "build": Role.BUILD,
        "publish": Role.BUILD,
        "run": Role.RUN,
        "watch": Role.DEV,
        "test": Role.TEST,
    }
    return table.get(sub)


def _mix(args: Sequence[str]) -> Role | None:
    sub = args[0] if args else ""
    table = {
        "deps.get": Role.INSTALL,
        "compile": Role.BUILD,
        "phx.server": Role.DEV,
        "run": Role.RUN,
        "test": Role.TEST,
        "ecto.migrate": Role.MIGRATE,
        "ecto.setup": Role.MIGRATE,
        "release": Role.BUILD,
    }
    return table.get(sub)


def _iex(args: Sequence[str]) -> Role | None:
    return Role.DEV if "phx.server" in args else None


def _shell(args: Sequence[str]) -> Role | None:
    script = next((arg for arg in args if not arg.startswith("-")), "")
    if script.startswith(("$", "/", "~")):
        return None  # a script outside the checkout (a CI action's own)
    return _classify_script(script, []) if script.endswith(".sh") else None


def _cp(args: Sequence[str]) -> Role | None:
    """Copying a settings template into place (``cp .env.example .env``)."""
    positional = _positional(args)
    if len(positional) != 2:
        return None
    source, target = (PurePosixPath(p).name.lower() for p in positional)
    if _TEMPLATE_WORD.search(source) and not _TEMPLATE_WORD.search(target):
        return Role.INSTALL
    return None


def _migrate_tool(args: Sequence[str]) -> Role | None:
    return Role.MIGRATE if "up" in args or "apply" in args or "run" in args else None


def _always(role: Role) -> _Handler:
    def handle(_args: Sequence[str]) -> Role | None:
        return role

    return handle


def _sub_table(table: dict[str, Role]) -> _Handler:
    def handle(args: Sequence[str]) -> Role | None:
        positional = _positional(args)
        return table.get(positional[0]) if positional else None

    return handle


def _rails_handler(args: Sequence[str]) -> Role | None:
    return _classify_rails(args)


def _manage_handler(args: Sequence[str]) -> Role | None:
    return _classify_manage_py(args)


_NODE_TOOLS = {
    "node": _node,
    "ts-node": _node,
    "tsx": _node,
    "nodemon": _always(Role.DEV),
    "next": _next,
    "vite": _vite,
    "tsc": _always(Role.BUILD),
    "webpack": _always(Role.BUILD),
    "nuxt": _next,
    "pm2": _pm2,
}

_HANDLERS = {
    **{name: _python for name in _PYTHONS},
    "pip": _pip,
    "pip3": _pip,
    "uv": _with_run({"sync", "install"}, {"build"}),
    "poetry": _with_run({"install"}, {"build"}),
    "pipenv": _with_run({"install", "sync"}, set()),
    "pdm": _with_run({"install", "sync"}, {"build"}),
    "hatch": _with_run(set(), {"build"}),
    "flask": _flask,
    "uvicorn": _uvicorn,
    "hypercorn": _uvicorn,
    "gunicorn": _always(Role.PROD),
    "waitress-serve": _always(Role.PROD),
    "daphne": _always(Role.PROD),
    "celery": _celery,
    "alembic": _alembic,
    "coverage": _sub_table({"run": Role.TEST}),
    "npm": _npm_like("npm"),
    "yarn": _npm_like("yarn"),
    "pnpm": _npm_like("pnpm"),
    "bun": _npm_like("bun"),
    "npx": _npx,
    "pnpx": _npx,
    "bunx": _npx,
    **_NODE_TOOLS,
    "deno": _sub_table({"run": Role.RUN, "test": Role.TEST, "compile": Role.BUILD}),
    "go": _go,
    "air": _always(Role.DEV),
    "migrate": _migrate_tool,
    "goose": _migrate_tool,
    "cargo": _cargo,
    "diesel": _migrate_tool,
    "sqlx": _migrate_tool,
    "make": _make,
    "gmake": _make,
    "just": _just,
    "task": _just,
    "mage": _just,
    "docker": _docker,
    "docker-compose": _compose,
    "podman": _docker,
    "bundle": _bundle,
    "rails": _rails_handler,
    "rake": _classify_rake,
    "rackup": _always(Role.RUN),
    "puma": _always(Role.RUN),
    "sidekiq": _always(Role.RUN),
    "mvn": _maven,
    "mvnw": _maven,
    "gradle": _gradle,
    "gradlew": _gradle,
    "java": _java,
    "composer": _composer,
    "php": _php,
    "dotnet": _dotnet,
    "mix": _mix,
    "iex": _iex,
    "sh": _shell,
    "bash": _shell,
    "cp": _cp,
    "manage.py": _manage_handler,
}
