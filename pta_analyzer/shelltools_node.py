"""Node tools for ``shelltools``: npm, yarn, pnpm, bun, npx and the dev servers."""

import re
from collections.abc import Sequence

from pta_analyzer.shelltools_base import (
    TEST_RUNNERS,
    Handler,
    Role,
    always,
    judge_test_runner,
    positional_args,
    role_of_name,
    sub_table,
)

_NPM_INSTALL = frozenset({"install", "i", "ci", "add"})
_RUNNER_OWN = frozenset(
    {"run", "exec", "x", "dlx", "install", "i", "ci", "add", "test", "t", "start"}
)


def _npm_like(manager: str) -> Handler:
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
    return role_of_name(lowered)


def _npx(args: Sequence[str]) -> Role | None:
    args = [arg for arg in args if arg not in {"-y", "--yes"}]
    if not args:
        return None
    tool = args[0]
    rest = args[1:]
    if tool in TEST_RUNNERS:
        return judge_test_runner(rest)
    if tool in {"prisma", "knex", "sequelize", "sequelize-cli", "typeorm"}:
        text = " ".join(rest)
        return Role.MIGRATE if "migrat" in text or "db push" in text else None
    handler = _NODE_TOOLS.get(tool)
    return handler(rest) if handler is not None else None


def _node(args: Sequence[str]) -> Role | None:
    positional = positional_args(args)
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


# Dev servers and build tools, also run through npx.
_NODE_TOOLS: dict[str, Handler] = {
    "node": _node,
    "ts-node": _node,
    "tsx": _node,
    "nodemon": always(Role.DEV),
    "next": _next,
    "vite": _vite,
    "tsc": always(Role.BUILD),
    "webpack": always(Role.BUILD),
    "nuxt": _next,
    "pm2": _pm2,
}
# Node's package managers, runners and tools, by program name.
TOOLS: dict[str, Handler] = {
    "npm": _npm_like("npm"),
    "yarn": _npm_like("yarn"),
    "pnpm": _npm_like("pnpm"),
    "bun": _npm_like("bun"),
    "npx": _npx,
    "pnpx": _npx,
    "bunx": _npx,
    **_NODE_TOOLS,
    "deno": sub_table({"run": Role.RUN, "test": Role.TEST, "compile": Role.BUILD}),
}
