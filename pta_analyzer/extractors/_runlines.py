"""Shell lines shared by the container, process and task-runner extractors.

Dockerfile ``RUN`` lines, compose ``command:`` values, Procfile entries and
recipe lines of Makefiles all hold shell text. This module splits that text
into single commands, unwraps ``sh -c '...'``, and says which of them install
dependencies, build, migrate or only print something.
"""

import shlex
from collections.abc import Iterator

from pta_analyzer import shellcmd
from pta_analyzer.deferred import regex
from pta_analyzer.evidence import is_secret_name
from pta_analyzer.facts import FactKind

# Words that, besides ``evidence.SECRET_NAME``, mark a variable set for a
# process (a container, a deployment) as a credential whose value is never
# reported.
MORE_SECRET_NAME = regex(
    r"(?i)(_PASS$|^PASS|PWD|AUTH|DSN|SALT|SIGNING_?KEY|ENCRYPTION_?KEY)"
)

_MIGRATION = regex(
    r"(manage\.py\s+migrate\b|\bdb:migrate\b|\balembic\s+upgrade\b|"
    r"\bflask\s+(?:--app[ =]\S+\s+)?db\s+upgrade\b|\bprisma\s+migrate\s+deploy\b|"
    r"\bknex\s+migrate|\bsequelize(-cli)?\s+db:migrate\b|\bflyway\s+migrate\b|"
    r"\btypeorm\s+migration:run\b|\bmigrate\s+(-database|up)\b)"
)
_SHELL_WRAPPER = regex(r"^(?:/bin/|/usr/bin/)?(?:sh|bash|ash|zsh)\s+-\w*c\s+(.+)$")
_NIX_RUN = regex(r"^nix-shell\b.*?--run\s+(.+)$")
_QUIET_PROGRAMS = frozenset(
    {
        "echo", "printf", "cat", "ls", "rm", "mkdir", "cp", "mv", "cd", "touch",
        "chmod", "chown", "sleep", "true", "false", ":", "export", "set", "exit",
        "while", "until", "do", "done", "if", "then", "fi", "else", "for",
        "test", "[", "wait", "trap", "unset", "source", ".",
    }
)  # fmt: skip
_URL_PASSWORD = regex(r"(?i)([a-z][a-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)(@)")
_PIP_SELF = frozenset({"pip", "setuptools", "wheel", "pip-tools", "uv", "poetry"})


def split_chain(script: str) -> list[str]:
    """Split shell text on ``&&``, ``||``, ``;`` and newlines outside quotes."""
    parts = shellcmd.split_chain(script, separators=";\n", comments=False)
    return [normalize(part) for part in parts]


def normalize(command: str) -> str:
    """Collapse runs of whitespace and strip the ends."""
    return " ".join(command.split())


def unwrap(command: str) -> list[str]:
    """The commands inside ``sh -c '...'`` or ``nix-shell --run '...'``.

    Returns ``[command]`` when it wraps nothing.
    """
    for pattern in (_SHELL_WRAPPER(), _NIX_RUN()):
        match = pattern.match(command.strip())
        if match is None:
            continue
        script = _unquote(match.group(1).strip())
        if script is not None:
            return split_chain(script)
    return [command]


def program_of(command: str) -> str:
    """The program a command runs, after ``VAR=value`` prefixes."""
    for word in command.split():
        if "=" in word.split("/", 1)[0] and not word.startswith("-"):
            continue
        return word.rsplit("/", 1)[-1] if word.startswith("/") else word
    return ""


def is_noise(command: str) -> bool:
    """True for commands that only print, move files or wait."""
    program = program_of(command)
    return not program or program in _QUIET_PROGRAMS or program.startswith("$(")


def runs_migrations(command: str) -> bool:
    """True when the command applies database migrations."""
    return _MIGRATION().search(command) is not None


def step_kind(command: str) -> FactKind | None:
    """INSTALL or BUILD for a command that installs dependencies or builds.

    None for anything else (system packages, copies, prints).
    """
    words = command.split()
    while words and "=" in words[0] and not words[0].startswith("-"):
        words = words[1:]
    if not words:
        return None
    program = words[0].rsplit("/", 1)[-1]
    rest = words[1:]
    if program in ("python", "python3") and rest[:2] == ["-m", "pip"]:
        program, rest = "pip", rest[2:]
    if program == "uv" and rest[:1] == ["pip"]:
        program, rest = "pip", rest[1:]
    return _kind_of(program, rest)


def secret_name(name: str) -> bool:
    """True when a variable's name says it holds a credential."""
    return is_secret_name(name, MORE_SECRET_NAME())


def shown_value(name: str, value: str | None) -> str | None:
    """A default value fit for the output: none for secrets, URLs redacted."""
    if value is None or secret_name(name):
        return None
    if "://" not in value:  # no URL, no password: the pattern is not compiled
        return value
    return _URL_PASSWORD().sub(r"\1***\3", value)


def join_exec_form(words: list[str]) -> str:
    """A shell command for an exec-form list (``["gunicorn", "app:app"]``)."""
    return shlex.join(words)


def iter_segments(commands: list[str]) -> Iterator[str]:
    """Each command of ``commands``, unwrapped and split, noise left out."""
    for command in commands:
        for _cwd, part in located_segments(command, ""):
            yield part


def located_segments(command: str, cwd: str) -> Iterator[tuple[str, str]]:
    """``(directory, command)`` for each step, following relative ``cd``s.

    ``cd server && npm start`` run from ``cwd`` gives ``npm start`` in
    ``cwd/server``. An absolute or computed ``cd`` leaves the directory as
    it was: it cannot be mapped onto the repository.
    """
    current = cwd
    for step in split_chain(command):
        for part in unwrap(step):
            if program_of(part) == "cd":
                current = _change_directory(current, part.split()[1:])
            elif not is_noise(part):
                yield current, part


def chain_steps(
    command: str, cwd: str
) -> tuple[list[tuple[str, str]], tuple[str, str] | None]:
    """The migration steps of a chained command and the process it ends in.

    ``migrate && collectstatic && gunicorn app`` gives ``([(cwd, "migrate")],
    (cwd, "gunicorn app"))``; steps that only prepare (collectstatic, waits)
    are left out. Each step comes with the directory it runs in.
    """
    parts = list(located_segments(command, cwd))
    migrations = [(where, part) for where, part in parts if runs_migrations(part)]
    last = parts[-1] if parts and not runs_migrations(parts[-1][1]) else None
    return migrations, last


def _change_directory(current: str, words: list[str]) -> str:
    if len(words) != 1 or words[0].startswith(("/", "$", "~", "-")):
        return current
    parts = [p for p in current.split("/") if p]
    for piece in words[0].strip("'\"").split("/"):
        if piece == "..":
            if not parts:
                return current
            parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def _kind_of(program: str, rest: list[str]) -> FactKind | None:
    sub = rest[0] if rest else ""
    if program in ("pip", "pip3"):
        packages = [w for w in rest[1:] if not w.startswith("-")]
        if sub != "install" or (packages and set(packages) <= _PIP_SELF):
            return None
        return FactKind.INSTALL
    if program in ("npm", "pnpm"):
        if sub in ("ci", "install", "i"):
            return FactKind.INSTALL
        if sub == "run" and rest[1:2] == ["build"]:
            return FactKind.BUILD
        return None
    if program == "yarn":
        if not rest or sub == "install" or sub.startswith("-"):
            return FactKind.INSTALL
        return FactKind.BUILD if sub == "build" else None
    if program == "bundle" and sub == "install":
        return FactKind.INSTALL
    if program == "go" and rest[:2] == ["mod", "download"]:
        return FactKind.INSTALL
    if program in ("poetry", "pipenv", "composer") and sub == "install":
        return FactKind.INSTALL
    if program == "uv" and sub == "sync":
        return FactKind.INSTALL
    if program == "mvn" and any("go-offline" in w for w in rest):
        return FactKind.INSTALL
    if (program == "go" and sub == "build") or (program == "cargo" and sub == "build"):
        return FactKind.BUILD
    if program in ("mvn", "mvnw", "gradle", "gradlew"):
        return FactKind.BUILD
    if program == "make" and not sub.startswith("-"):
        return FactKind.BUILD
    return None


def _unquote(text: str) -> str | None:
    try:
        words = shlex.split(text)
    except ValueError:
        return None
    return words[0] if len(words) == 1 else None
