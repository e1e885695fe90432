"""What the tool handlers of ``shelltools`` share: roles and how names state them.

A script, Make target or npm script is judged by its name (``test:unit``,
``db-migrate``); handlers skip options the same way in every ecosystem.
"""

import re
from collections.abc import Callable, Sequence
from enum import StrEnum


class Role(StrEnum):
    """What a command does for a project."""

    INSTALL = "install"
    BUILD = "build"
    DEV = "dev"  # starts it for development
    PROD = "prod"  # starts it for production
    RUN = "run"  # starts it; the text does not say dev or prod
    TEST = "test"
    MIGRATE = "migrate"


Handler = Callable[[Sequence[str]], Role | None]

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
TEST_RUNNERS = frozenset(
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


def judge_test_runner(args: Sequence[str]) -> Role | None:
    """A test runner's own chores (``playwright install``) run no tests."""
    positional = positional_args(args)
    if positional and positional[0] in _RUNNER_CHORES:
        return None
    return Role.TEST


def role_of_name(name: str) -> Role | None:
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


def positional_args(args: Sequence[str]) -> list[str]:
    """The words that are not options."""
    return [arg for arg in args if not arg.startswith("-")]


def skip_options(args: Sequence[str], with_value: set[str]) -> list[str]:
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


def always(role: Role) -> Handler:
    def handle(_args: Sequence[str]) -> Role | None:
        return role

    return handle


def sub_table(table: dict[str, Role]) -> Handler:
    def handle(args: Sequence[str]) -> Role | None:
        positional = positional_args(args)
        return table.get(positional[0]) if positional else None

    return handle
