"""What one command line does for a project: the tools of each ecosystem.

``classify`` reads a single command (no chains, no prompts: ``shellcmd``
splits those) and says whether it installs, builds, runs, tests or migrates
the project it runs in. Each tool has a small handler that reads its own
subcommands and options; anything not recognised is None.
"""

import re
import shlex
from collections.abc import Sequence
from functools import lru_cache

from pta_analyzer import shelltools_langs, shelltools_node
from pta_analyzer.deferred import regex
from pta_analyzer.services import service_of_image
from pta_analyzer.shelltools_base import (
    TEST_RUNNERS,
    Handler,
    Role,
    always,
    judge_test_runner,
    positional_args,
    role_of_name,
    skip_options,
    sub_table,
)
from pta_analyzer.shellwords import path_name, path_stem, split_words

__all__ = ["ASSIGNMENT", "Role", "classify", "words_of"]

_TEMPLATE_WORD = regex(r"example|sample|template|\.dist\b|\.default")
ASSIGNMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_WRAPPERS = frozenset({"sudo", "env", "time", "exec", "nohup", "cross-env", "command"})
_PYTHONS = frozenset({"python", "python3", "python2", "py", "pypy3"})
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
_TEST_STEM = regex(r"(?:^|[-_.]|run)test(?:s|ing)?(?:$|[-_.])")


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
    return list(_words(text))


@lru_cache(maxsize=4096)  # one command is split by each reader of it
def _words(text: str) -> tuple[str, ...]:
    try:
        return tuple(split_words(text))
    except ValueError:
        return tuple(text.split())


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
    name = path_name(program)
    handler = _HANDLERS.get(name)
    if handler is not None:
        return handler(args)
    if name in TEST_RUNNERS:
        return judge_test_runner(args)
    if name.endswith((".sh", ".py", ".bash")) or program.startswith(("./", "bin/")):
        return _classify_script(program, args)
    return None


def _classify_script(program: str, args: Sequence[str]) -> Role | None:
    """A project script, judged by its name: ``./setup.sh``, ``bin/dev``.

    A bare ``name.py`` is a file name, not a command: Python scripts count
    when they are run by path (``./serve.py``).
    """
    role = role_of_name(path_stem(program))
    if program.endswith(".py") and "/" not in program:
        return None
    if role is not None or not program.endswith(".py"):
        return role
    return Role.RUN


def _python(args: Sequence[str]) -> Role | None:
    if not args:
        return None
    if args[0] == "-m" and len(args) > 1:
        return _python_module(args[1], args[2:])
    if args[0].startswith("-"):
        return _python(args[1:]) if args[0] in {"-u", "-B", "-O"} else None
    script = args[0]
    stem = path_stem(script).lower()
    if not script.endswith(".py"):
        return None
    if stem == "manage":
        return _classify_manage_py(args[1:])
    if stem == "setup":
        return _classify_setup_py(args[1:])
    if _TEST_STEM().search(stem) or script.startswith("tests/"):
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
    packages = {arg.lower() for arg in positional_args(args[1:])}
    if not packages:
        return None  # `pip install --upgrade`: names nothing to install
    if packages <= _PYTHON_TOOL_PACKAGES:
        return None
    if packages and all("doc" in package for package in packages):
        return None  # documentation tooling (requirements-docs.txt)
    return Role.INSTALL


def _with_run(install: set[str], build: set[str]) -> Handler:
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
    positional = skip_options(args, {"--app", "-A", "-e", "--env-file"})
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


def _uvicorn(args: Sequence[str]) -> Role | None:
    if not positional_args(args):
        return None
    return Role.DEV if "--reload" in args else Role.RUN


def _celery(args: Sequence[str]) -> Role | None:
    positional = skip_options(args, {"-A", "--app", "-b", "--broker", "-Q", "-l"})
    if positional and positional[0] in {"worker", "beat", "flower"}:
        return Role.RUN
    return None


def _alembic(args: Sequence[str]) -> Role | None:
    return Role.MIGRATE if "upgrade" in args else None


def _make(args: Sequence[str]) -> Role | None:
    targets = skip_options(args, {"-C", "-f", "--directory", "--file", "-j"})
    targets = [target for target in targets if "=" not in target]
    if not targets:
        return Role.BUILD
    roles = [role_of_name(target) for target in targets]
    return next((role for role in reversed(roles) if role is not None), None)


def _just(args: Sequence[str]) -> Role | None:
    targets = skip_options(args, {"-f", "--justfile", "-d"})
    roles = [role_of_name(target) for target in targets]
    return next((role for role in reversed(roles) if role is not None), None)


def _docker(args: Sequence[str]) -> Role | None:
    positional = skip_options(args, {"-H", "--context", "--config"})
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
        names = positional_args(args[index + 1 :])
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


def _shell(args: Sequence[str]) -> Role | None:
    script = next((arg for arg in args if not arg.startswith("-")), "")
    if script.startswith(("$", "/", "~")):
        return None  # a script outside the checkout (a CI action's own)
    return _classify_script(script, []) if script.endswith(".sh") else None


def _cp(args: Sequence[str]) -> Role | None:
    """Copying a settings template into place (``cp .env.example .env``)."""
    positional = positional_args(args)
    if len(positional) != 2:
        return None
    source, target = (path_name(p).lower() for p in positional)
    if _TEMPLATE_WORD().search(source) and not _TEMPLATE_WORD().search(target):
        return Role.INSTALL
    return None


def _manage_handler(args: Sequence[str]) -> Role | None:
    return _classify_manage_py(args)


_HANDLERS: dict[str, Handler] = {
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
    "gunicorn": always(Role.PROD),
    "waitress-serve": always(Role.PROD),
    "daphne": always(Role.PROD),
    "celery": _celery,
    "alembic": _alembic,
    "coverage": sub_table({"run": Role.TEST}),
    **shelltools_node.TOOLS,
    **shelltools_langs.TOOLS,
    "make": _make,
    "gmake": _make,
    "just": _just,
    "task": _just,
    "mage": _just,
    "docker": _docker,
    "docker-compose": _compose,
    "podman": _docker,
    "bundle": _bundle,
    "sh": _shell,
    "bash": _shell,
    "cp": _cp,
    "manage.py": _manage_handler,
}
