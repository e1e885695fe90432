"""Ports written inside shell commands.

``uvicorn app:app --port 8000``, ``gunicorn -b 0.0.0.0:8000``, ``docker run
-p 8081:8080``, ``flask run --port=5001`` and ``${PORT:-3000}`` all state a
port; this module finds them so every start command's port is reported with
the command's own evidence.
"""

import re

from pta_analyzer.deferred import regex

_OPTION_PORT = re.compile(r"(?:--port|--http-port|--listen-port)(?:=|\s+)(\d{2,5})\b")
_SHORT_PORT = regex(r"(?:^|\s)-p\s*(\d{2,5})(?=\s|$)")
_PUBLISH = re.compile(
    r"(?:^|\s)(?:-p|--publish)(?:=|\s+)(?:[\d.]+:)?(\d{2,5}):(\d{2,5})\b"
)
_BIND = re.compile(r"(?:--bind|-b)(?:=|\s+)['\"]?[\w.\[\]:-]*?:(\d{2,5})\b")
_HOST_PORT = re.compile(r"(?:0\.0\.0\.0|127\.0\.0\.1|localhost|\[::\]):(\d{2,5})\b")
_PORT_ASSIGNMENT = re.compile(r"\bPORT=(\d{2,5})\b")
_PORT_DEFAULT = re.compile(r"\$\{PORT:?-(\d{2,5})\}")
_SHORT_PORT_TOOLS = ("flask", "rails", "bin/rails", "php", "http-server", "serve")
_RUNNER_PREFIXES = ("bundle exec ", "poetry run ", "pipenv run ", "uv run ", "npx ")

MIN_PORT = 1
MAX_PORT = 65535


def ports_from_command(command: str) -> list[tuple[int, str]]:
    """``(port, role)`` pairs a command states, in order, without repeats.

    Roles: ``bind`` (the process listens there), ``publish`` (a container's
    host-side port), ``default`` (used unless ``PORT`` is set).
    """
    found: list[tuple[int, str]] = []

    for match in _PUBLISH.finditer(command):
        found.append((int(match.group(1)), "publish"))
        found.append((int(match.group(2)), "bind"))
    for pattern in (_OPTION_PORT, _BIND, _HOST_PORT, _PORT_ASSIGNMENT):
        found.extend((int(m.group(1)), "bind") for m in pattern.finditer(command))
    found.extend((int(m.group(1)), "default") for m in _PORT_DEFAULT.finditer(command))
    if _tool_of(command).startswith(_SHORT_PORT_TOOLS) and "docker" not in command:
        found.extend((int(m.group(1)), "bind") for m in _SHORT_PORT().finditer(command))

    unique: dict[int, str] = {}
    for port, role in found:
        if MIN_PORT <= port <= MAX_PORT:
            unique.setdefault(port, role)
    return list(unique.items())


def _tool_of(command: str) -> str:
    """The command with package-runner prefixes (``bundle exec``...) removed."""
    text = command.lstrip()
    for prefix in _RUNNER_PREFIXES:
        text = text.removeprefix(prefix)
    return text
