"""Compiled and scripting ecosystems' tools for ``shelltools``.

Go, Rust, Ruby (rails, rake), the JVM (Maven, Gradle), PHP, .NET and Elixir:
each handler reads its tool's subcommands, goals or tasks.
"""

from collections.abc import Sequence

from pta_analyzer.shelltools_base import Handler, Role, always
from pta_analyzer.shellwords import path_name


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


def _migrate_tool(args: Sequence[str]) -> Role | None:
    return Role.MIGRATE if "up" in args or "apply" in args or "run" in args else None


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
    if path_name(args[0]) == "artisan" and len(args) > 1:
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


# Go, Rust, Ruby, JVM, PHP, .NET and Elixir tools, by program name.
TOOLS: dict[str, Handler] = {
    "go": _go,
    "air": always(Role.DEV),
    "migrate": _migrate_tool,
    "goose": _migrate_tool,
    "cargo": _cargo,
    "diesel": _migrate_tool,
    "sqlx": _migrate_tool,
    "rails": _classify_rails,
    "rake": _classify_rake,
    "rackup": always(Role.RUN),
    "puma": always(Role.RUN),
    "sidekiq": always(Role.RUN),
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
}
