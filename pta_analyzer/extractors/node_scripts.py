"""What a package.json script is for, and how each package manager runs it.

A script is classified first by its name (``start``, ``dev``, ``build:prod``,
``test:unit``, ``db:migrate``), then, for names that say nothing, by its body
(a test runner, a migration tool, a server). Lifecycle hooks (``prestart``,
``postinstall``, ``prepare``) are never commands of their own: the package
manager runs them.
"""

from collections.abc import Collection

from pta_analyzer.deferred import regex
from pta_analyzer.facts import FactKind

RUN_KINDS = frozenset({FactKind.DEV, FactKind.PROD})  # kinds that run the app
NPM_TEST_PLACEHOLDER = 'echo "Error: no test specified" && exit 1'

LIFECYCLE_SCRIPTS = frozenset(
    {
        "install", "preinstall", "postinstall", "prepare", "prepublish",
        "prepublishOnly", "prepack", "postpack", "preuninstall", "uninstall",
        "postuninstall", "preversion", "version", "postversion", "dependencies",
        "prerestart", "restart", "postrestart", "prestop", "stop", "poststop",
    }
)  # fmt: skip

DEV_WORDS = frozenset(
    {"dev", "develop", "development", "serve", "server", "watch", "local", "debug"}
)
BUILD_WORDS = ("build", "compile")
TEST_WORDS = ("test", "e2e", "spec")
# Script name words that say the script is not a way to run the application.
OTHER_WORDS = frozenset(
    {
        "lint", "format", "fmt", "prettier", "eslint", "stylelint", "typecheck",
        "type", "types", "tsc", "clean", "docs", "doc", "release", "publish",
        "deploy", "version", "seed", "generate", "gen", "codegen", "storybook",
        "analyze", "coverage", "precommit", "commit", "husky", "changeset",
        "preview", "bump", "cz", "reset", "setup", "bootstrap",
    }
)  # fmt: skip
# Words of a run-looking script name that make it a tool's session.
TOOL_WORDS = frozenset(
    {
        "lint", "eslint", "stylelint", "prettier", "format", "fmt", "typecheck",
        "storybook", "docs", "doc", "test", "tests",
    }
)  # fmt: skip
# ``db:<word>`` scripts that bring the database schema up to date.
DB_APPLY_WORDS = frozenset({"push", "deploy", "sync", "latest"})
# Migration subcommands that create or undo migrations instead of applying them.
NOT_APPLYING = frozenset(
    {
        "make", "create", "generate", "gen", "new", "rollback", "undo", "down",
        "revert", "reset", "status", "drop", "fresh", "refresh",
    }
)  # fmt: skip

# Commands that are yarn's or pnpm's own: a script with such a name needs `run`.
YARN_BUILTINS = frozenset(
    {
        "access", "add", "audit", "autoclean", "bin", "cache", "check", "config",
        "create", "dlx", "exec", "generate-lock-entry", "global", "help",
        "import", "info", "init", "install", "licenses", "link", "list", "login",
        "logout", "node", "outdated", "owner", "pack", "plugin", "policies",
        "publish", "rebuild", "remove", "run", "set", "tag", "team", "unlink",
        "unplug", "up", "upgrade", "upgrade-interactive", "version", "versions",
        "why", "workspace", "workspaces",
    }
)  # fmt: skip
PNPM_BUILTINS = frozenset(
    {
        "add", "audit", "bin", "cat-file", "cat-index", "config", "create",
        "deploy", "dlx", "doctor", "env", "exec", "fetch", "find-hash", "i",
        "import", "init", "install", "install-test", "it", "licenses", "link",
        "list", "ln", "ls", "outdated", "pack", "patch", "patch-commit", "prune",
        "publish", "rb", "rebuild", "remove", "rm", "root", "run", "server",
        "setup", "store", "un", "uninstall", "unlink", "up", "update", "why",
    }
)  # fmt: skip

_WORD_SPLIT = regex(r"[:\-_./ ]+")
_WATCH_FLAG = regex(r"(?:^|\s)(?:--watch(?:All)?|-w)(?:\s|$)")
_PRODUCTION_ENV = regex(r"NODE_ENV=['\"]?prod")
_TEST_RUNNER = regex(
    r"(?:^|[\s;&|(])(?:jest|mocha|vitest|ava|tap|tape|karma\s+start|jasmine"
    r"|playwright\s+test|cypress\s+run|lab|nyc\s+.*mocha|c8\s+.*(?:mocha|node)"
    r"|node\s+--test|(?:npm|pnpm|yarn|bun)\s+(?:run\s+)?test)\b"
)
_MIGRATION_TOOL = regex(
    r"\b(?:prisma\s+migrate\s+(?:deploy|dev)|prisma\s+db\s+push"
    r"|knex\s+migrate:latest|sequelize(?:-cli)?\s+db:migrate(?:\s|$)"
    r"|typeorm(?:-ts-node-\w+)?\s+migration:run|db-migrate\s+up"
    r"|node-pg-migrate\s+up|mikro-orm\s+migration:up|drizzle-kit\s+(?:migrate|push))"
)
# Bodies that start a long-running server or a development server.
_SERVER = regex(
    r"(?:^|[\s;&|(])(?:nodemon|pm2(?:-docker|-runtime)?\s+start|pm2-runtime"
    r"|forever\s+start|node-dev|ts-node-dev|supervisor|next\s+(?:start|dev)"
    r"|nuxt\s+(?:start|dev)|nuxi\s+(?:dev|preview)|nest\s+start|remix\s+dev"
    r"|remix-serve|react-scripts\s+start|ng\s+serve|vue-cli-service\s+serve"
    r"|gatsby\s+(?:develop|serve)|webpack\s+serve|webpack-dev-server"
    r"|docker[- ]compose\s+(?:\S+\s+)*up\b|vite(?:\s+(?!build|preview)|$)"
    r"|electron\s)"
)
# Development servers: a ``start`` script running one is not a production start.
_DEV_SERVER = regex(
    r"(?:^|[\s;&|(])(?:nodemon|node-dev|ts-node-dev|next\s+dev|nuxt\s+dev"
    r"|nuxi\s+dev|remix\s+dev|react-scripts\s+start|ng\s+serve"
    r"|vue-cli-service\s+serve|gatsby\s+develop|webpack\s+serve"
    r"|webpack-dev-server|vite(?=\s*$|\s+(?:dev|serve)\b|\s+-))"
)
# Bodies that only compile: a ``dev`` script running one starts no server.
_COMPILE_ONLY = regex(
    r"^\s*(?:cross-env\s+)?(?:\w+=\S*\s+)*"
    r"(?:tsc|tsup|babel|rollup|esbuild|swc|unbuild|microbundle|vite\s+build"
    r"|webpack(?!\s+serve|-dev-server))\b[^;&|]*$"
)
# ``node FILE`` and friends start a server only when FILE looks like one.
_NODE_FILE = regex(
    r"(?:^|[\s;&|(])(?:node|ts-node|tsx|bun)\s+"
    r"(?:(?:-r|--require|--loader|--import)\s+\S+\s+|--?[\w-]+(?:=\S+)?\s+)*"
    r"([\w./@-]+)"
)
_TOOL = regex(r"^\s*(?:npx\s+)?(?:eslint|stylelint|prettier|storybook|jsdoc|typedoc)\b")
_SERVER_FILE_NAMES = frozenset({"index", "server", "app", "main", "www", "start"})


def classify_script(
    name: str, body: str, names: Collection[str] = ()
) -> FactKind | None:
    """The command kind of script ``name`` running ``body``, or None.

    ``names`` are all the package's script names, to recognise hooks.
    """
    if name in LIFECYCLE_SCRIPTS or _is_hook(name, names):
        return None
    if name == "start":
        if is_compile_only(body):
            return None  # `webpack --watch`: a rebuild loop, no server
        return FactKind.DEV if _DEV_SERVER().search(body) else FactKind.PROD
    if body.strip() == NPM_TEST_PLACEHOLDER:
        return None

    words = [w.lower() for w in _WORD_SPLIT().split(name) if w]
    if not words:
        return None
    kind = _kind_of_words(words, body)
    if kind in RUN_KINDS and (TOOL_WORDS.intersection(words) or _TOOL().match(body)):
        return None  # `debug:eslint`: a tool's session, not the application
    if kind in RUN_KINDS and _TEST_RUNNER().search(body) and not _SERVER().search(body):
        return None  # `debug: PWDEBUG=1 ava`: a debugging run of the tests
    if kind is None and words[0] not in OTHER_WORDS:
        kind = _kind_of_body(words, body)
    is_watcher = "watch" in words or _WATCH_FLAG().search(body)
    is_debugger = "debug" in words or "--inspect-brk" in body
    if kind in (FactKind.TEST, FactKind.BUILD) and (is_watcher or is_debugger):
        return None  # a watcher or a debugger session, not a run that ends
    return kind


def is_compile_only(body: str) -> bool:
    """Whether ``body`` only compiles (``tsc``, ``tsup``...) and serves nothing."""
    return _COMPILE_ONLY().search(body) is not None


def script_command(manager: str, name: str) -> str:
    """The shell command that runs script ``name`` with ``manager``."""
    if manager == "yarn":
        return f"yarn run {name}" if name in YARN_BUILTINS else f"yarn {name}"
    if manager == "pnpm":
        return f"pnpm run {name}" if name in PNPM_BUILTINS else f"pnpm {name}"
    if manager == "bun":
        return f"bun run {name}"
    if name in ("start", "test"):
        return f"npm {name}"
    return f"npm run {name}"


def install_command(manager: str, has_lockfile: bool) -> str:
    """The command that installs a package's dependencies."""
    if manager == "npm":
        return "npm ci" if has_lockfile else "npm install"
    return f"{manager} install"


def _is_hook(name: str, names: Collection[str]) -> bool:
    """``prestart``, ``postbuild``: run by the package manager around another."""
    for prefix in ("pre", "post"):
        if name.startswith(prefix) and name[len(prefix) :] in names:
            return True
    return False


def _kind_of_words(words: list[str], body: str) -> FactKind | None:
    first = words[0]
    if first.startswith(TEST_WORDS):
        return FactKind.TEST
    if first.startswith(BUILD_WORDS):
        return FactKind.BUILD
    if first.startswith("migrat"):
        return None if NOT_APPLYING.intersection(words) else FactKind.MIGRATE
    if first in DEV_WORDS or first == "start":
        return _run_kind(words, body)
    if first in OTHER_WORDS:
        return None

    rest = words[1:]
    if any(w.startswith(TEST_WORDS) for w in rest):
        return FactKind.TEST
    if any(w.startswith("migrat") for w in rest):
        return None if NOT_APPLYING.intersection(words) else FactKind.MIGRATE
    if first == "db" and DB_APPLY_WORDS.intersection(rest):
        return FactKind.MIGRATE
    if any(w in DEV_WORDS or w == "start" for w in rest):
        return _run_kind(words, body)
    if any(w.startswith(BUILD_WORDS) for w in rest):
        return FactKind.BUILD
    if any(w.startswith("prod") for w in rest) and _SERVER().search(body):
        return FactKind.PROD
    return None


def _kind_of_body(words: list[str], body: str) -> FactKind | None:
    if _TEST_RUNNER().search(body):
        return FactKind.TEST
    if _MIGRATION_TOOL().search(body):
        return FactKind.MIGRATE
    if _SERVER().search(body) or _runs_server_file(words, body):
        return _run_kind(words, body)
    return None


def _run_kind(words: list[str], body: str) -> FactKind:
    if any(w.startswith("prod") for w in words) or _PRODUCTION_ENV().search(body):
        return FactKind.PROD
    return FactKind.DEV


def _runs_server_file(words: list[str], body: str) -> bool:
    match = _NODE_FILE().search(body)
    if match is None:
        return False
    target = match.group(1).rstrip("/").rsplit("/", 1)[-1]
    stem = target.split(".", 1)[0]
    return stem in _SERVER_FILE_NAMES or any(w in ("run", "up") for w in words)
