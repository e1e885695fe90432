"""Server commands and ports shared by the Python source rules.

``Apps`` is what the pass over the sources found. The helpers here record
commands and ports, and recognise the ``if __name__ == "__main__":`` block
that starts a server (``app.run()``, ``uvicorn.run(...)``, ``web.run_app``),
with the port it is given or the server's default.
"""

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors._python_common import (
    directory_of,
    module_name,
    owner_project,
    relative_to,
)
from pta_analyzer.facts import (
    WEIGHT_CONVENTION,
    WEIGHT_GUESS,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
    Status,
)
from pta_analyzer.index import SourceText
from pta_analyzer.scope import Scope

if TYPE_CHECKING:
    from pta_analyzer.extractors.python import Context

logger = logging.getLogger(__name__)

FLASK_PORT = 5000
GUNICORN_PORT = 8000
SANIC_PORT = 8000
MAIN_BLOCK_LINES = 200  # lines of a __main__ block searched for a server start
MAIN_BLOCK = regex(r"""^(\s*)if\s+__name__\s*==\s*["']__main__["']\s*:""")

_SERVER_CALL = regex(
    r"\b(uvicorn\.run|web\.run_app|run_simple|serve_forever|\w+\.run_server|"
    r"(?:app|application|socketio|server|api)\.run)\("
)
_CALL_DEFAULTS = (
    (r"\buvicorn\.run\(", 8000),
    (r"\bweb\.run_app\(", 8080),
    (r"\.run_server\(", 8050),
    (r"\.launch\(", 7860),
    (r"\bserve\(", 8080),
)
_PORT_KWARG = regex(r"\bport\s*=\s*(\d{2,5})\b")
_PORT_ENV_DEFAULT = regex(
    r"\bport\s*=\s*(?:int\()?\s*(?:os\.)?(?:environ\.get|getenv)\(\s*"
    r"""["'][A-Z_]+["']\s*,\s*["']?(\d{2,5})"""
)
_PORT_NAME = regex(r"\bport\s*=\s*([A-Za-z_]\w*)\s*[,)]")
_LISTEN = regex(r"\.listen\(\s*(\d{2,5})\b")


class FlaskApp(NamedTuple):
    """A Flask application: where its commands run and how to name it."""

    cwd: str
    app_option: str  # "" when `flask` finds it alone, else "--app m "
    evidence: Evidence
    scope: Scope
    is_factory: bool = False  # only a factory function, no application object


@dataclass
class Apps:
    """What the pass over the sources found, for the other Python rules."""

    facts: list[Fact] = field(default_factory=list)
    web_dirs: dict[str, Evidence] = field(default_factory=dict)  # own scope only
    worker_dirs: dict[str, Evidence] = field(default_factory=dict)
    flask_apps: list[FlaskApp] = field(default_factory=list)
    django_dirs: set[str] = field(default_factory=set)
    unittest_files: dict[str, Evidence] = field(default_factory=dict)
    pytest_files: dict[str, Evidence] = field(default_factory=dict)
    wsgi_settings: list[tuple[str, Evidence]] = field(default_factory=list)
    plain_test_files: dict[str, Evidence] = field(default_factory=dict)
    scripts: set[str] = field(default_factory=set)  # files run as `python f`
    served: set[str] = field(default_factory=set)  # files gunicorn serves


def note_app(
    context: "Context", found: dict[str, Evidence], evidence: Evidence
) -> None:
    """Remember that the project owning ``evidence`` has an application.

    An application in the project's tests (a fixture app) does not count.
    """
    owner = owner_project(evidence.path, context.projects)
    project_scope = context.index.scope(f"{owner}/setup.py" if owner else "setup.py")
    if context.index.scope(evidence.path) is project_scope:
        found.setdefault(owner, evidence)


def add_command(
    apps: Apps,
    kind: FactKind,
    command: str,
    evidence: Evidence,
    scope: Scope,
    cwd: str,
    note: str,
    attrs: dict[str, object],
    status: Status = Status.INFERRED,
    guess: bool = False,
) -> None:
    """Record a command; ``guess`` for one resting on a weak sign."""
    weight = WEIGHT_MANIFEST if status is Status.EVIDENCED else WEIGHT_CONVENTION
    weight = WEIGHT_GUESS if guess else weight
    apps.facts.append(
        Fact(
            kind,
            command,
            f"python.{command.split()[0]}",
            (evidence,),
            status,
            scope=scope,
            weight=weight,
            cwd=cwd,
            note=note,
            attrs=attrs,
        )
    )


def add_default_port(
    apps: Apps, port: int, evidence: Evidence, scope: Scope, cwd: str, what: str
) -> None:
    apps.facts.append(
        Fact(
            FactKind.PORT,
            str(port),
            "python.default_port",
            (evidence,),
            Status.INFERRED,
            scope=scope,
            weight=WEIGHT_CONVENTION,
            cwd=cwd,
            note=f"{what} listens on {port} unless told otherwise",
            attrs={"role": "default"},
        )
    )


def add_gunicorn(
    context: "Context",
    apps: Apps,
    target: str,
    evidence: Evidence,
    scope: Scope,
    cwd: str,
) -> None:
    """Record ``gunicorn <target>`` and gunicorn's default port."""
    apps.served.add(evidence.path)
    dep = context.find_dep(cwd, "gunicorn")
    proof = (evidence, dep.evidence) if dep else (evidence,)
    apps.facts.append(
        Fact(
            FactKind.PROD,
            f"gunicorn {target}",
            "python.gunicorn",
            proof,
            Status.INFERRED,
            scope=scope,
            weight=WEIGHT_CONVENTION,
            cwd=cwd,
            note="gunicorn is a dependency and serves this WSGI application",
            attrs={"process": "web"},
        )
    )
    add_default_port(apps, GUNICORN_PORT, evidence, scope, cwd, "gunicorn")


def add_script(
    context: "Context",
    apps: Apps,
    source: SourceText,
    root: str,
    main: tuple[Evidence, str],
) -> None:
    """Record ``python <file>`` (or ``python -m``) for a server script."""
    evidence, call = main
    default_port = _default_port_of(call, source.text)
    scope = context.index.scope(source.path)
    apps.scripts.add(source.path)
    in_package = root != directory_of(source.path)
    if in_package:
        command = f"python -m {module_name(source.path, root)}"
    else:
        command = f"python {relative_to(source.path, root)}"
    kind = (
        FactKind.DEV if re.search(r"(debug|reload)\s*=\s*True", call) else FactKind.PROD
    )
    if default_port == FLASK_PORT:
        kind = FactKind.DEV  # the Werkzeug server is a development server
    add_command(
        apps,
        kind,
        command,
        evidence,
        scope,
        root,
        "the module starts a server when run as a script",
        {"process": "web"},
        Status.EVIDENCED,
    )
    ports = _explicit_ports(source, call, evidence)
    for port, port_evidence, note in ports:
        apps.facts.append(
            Fact(
                FactKind.PORT,
                str(port),
                "python.server_call",
                (port_evidence,),
                scope=scope,
                cwd=root,
                note=note,
                attrs={"role": "bind"},
            )
        )
    if not ports and default_port is not None:
        add_default_port(apps, default_port, evidence, scope, root, command)


def server_start(source: SourceText, text: str) -> tuple[Evidence, str] | None:
    """The server-starting call a ``__main__`` block makes, with its text.

    The call is looked for in the block, then in the body of a module-level
    function the block calls (``main()`` that starts the server).
    """
    number = source.find_line(MAIN_BLOCK())
    if number is None:
        return None
    block = _block(source, number)
    spans = [block]
    for inner in range(block[0], block[1] + 1):
        called = re.match(r"^\s+(\w+)\(", source.lines[inner - 1])
        if called is None:
            continue
        name = re.escape(called.group(1))
        definition = source.find_line(rf"^(?:async\s+)?def\s+{name}\(")
        if definition is not None:
            spans.append(_block(source, definition))
    for start, end in spans:
        for inner in range(start, end + 1):
            if _starts_server(source.lines[inner - 1], text):
                last = _call_end(source, inner)
                call = " ".join(source.lines[inner - 1 : last])
                return source.evidence(inner, last), call
    return None


def _block(source: SourceText, header: int) -> tuple[int, int]:
    """The 1-based line range of the indented body under line ``header``."""
    line = source.lines[header - 1]
    indent = len(line) - len(line.lstrip())
    end = min(len(source.lines), header + MAIN_BLOCK_LINES)
    for inner in range(header + 1, end + 1):
        text = source.lines[inner - 1]
        if text.strip() and len(text) - len(text.lstrip()) <= indent:
            return header + 1, inner - 1
    return header + 1, end


def _starts_server(line: str, text: str) -> bool:
    code = line.split("#", 1)[0]
    if "(" not in code:
        return False
    if _SERVER_CALL().search(code):
        return True
    if "waitress" in text and re.search(r"\bserve\(", code):
        return True
    if "gradio" in text and re.search(r"\.launch\(", code):
        return True
    return "tornado" in text and bool(_LISTEN().search(code))


def _default_port_of(call: str, text: str) -> int | None:
    """The port a server call listens on when it is given none."""
    for pattern, port in _CALL_DEFAULTS:
        if re.search(pattern, call):
            return port
    if re.search(r"\b(app|application|socketio)\.run\(", call):
        if "Sanic" in text:
            return SANIC_PORT
        if "flask" in text.lower() or "create_app" in text or "Quart" in text:
            return FLASK_PORT
    return None


def _call_end(source: SourceText, start: int) -> int:
    depth = 0
    for number in range(start, min(len(source.lines), start + 20) + 1):
        line = source.lines[number - 1].split("#", 1)[0]
        depth += line.count("(") - line.count(")")
        if depth <= 0:
            return number
    return start


def _explicit_ports(
    source: SourceText, call: str, evidence: Evidence
) -> list[tuple[int, Evidence, str]]:
    for pattern, note in (
        (_PORT_KWARG(), "the server call names its port"),
        (_PORT_ENV_DEFAULT(), "the port when the variable is unset"),
        (_LISTEN(), "the server listens on this port"),
    ):
        match = pattern.search(call)
        if match:
            return [(int(match.group(1)), evidence, note)]
    name = _PORT_NAME().search(call)
    if name:
        assigned = (
            rf"^\s*{re.escape(name.group(1))}\s*=\s*(?:.*?[,(]\s*)?[\"']?(\d{{2,5}})\b"
        )
        for number, match in source.find_lines(assigned):
            note = "the port the server call is given"
            return [(int(match.group(1)), source.evidence(number), note)]
    return []
