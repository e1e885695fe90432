"""Values of a compose service: its published ports and its environment.

``compose`` reads the files and services; the functions here turn one
service's ``ports``, ``environment`` and ``env_file`` entries into facts.
"""

import re
from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import NamedTuple

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import WEIGHT_CONTAINER, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.yamlmap import YNode

_PORT_SPEC = regex(
    r"^(?:(?P<ip>\d+\.\d+\.\d+\.\d+|\[[^\]]*\]):)?"
    r"(?:(?P<host>[^:]+):)?(?P<container>[^:/]+)(?:/(?P<protocol>\w+))?$"
)
_INTERPOLATION = regex(r"\$\{(\w+)(?::?-([^}]*))?\}")


class ComposeFile(NamedTuple):
    """One compose file and what the extractor knows about it."""

    source: SourceText
    scope: Scope
    directory: str  # relative to the root, "" for the root
    flags: str  # "-f base -f this " or "" for a default file alone
    kind: FactKind  # what ``up`` on this file is for
    services: dict[str, YNode]
    base_services: dict[str, YNode]
    own_names: frozenset[str] = frozenset()  # names the project publishes


def port_facts(
    compose: ComposeFile, name: str, service: YNode, role: str
) -> Iterator[Fact]:
    """PORT facts for the service's ``ports`` (as ``role``) and ``expose``."""
    for key, port_role in (("ports", role), ("expose", "expose")):
        node = service.get(key)
        if node is None:
            continue
        for element in node.elements():
            for port, attrs in _port_entries(compose.source, element):
                yield Fact(
                    kind=FactKind.PORT,
                    key=str(port),
                    source=f"compose.{key}",
                    evidence=(compose.source.evidence(element.line, element.end_line),),
                    scope=compose.scope,
                    weight=WEIGHT_CONTAINER,
                    note=f"compose service {name}",
                    attrs={
                        "role": "service" if role == "service" else port_role,
                        "compose_service": name,
                        **attrs,
                    },
                )


def _port_entries(
    source: SourceText, element: YNode
) -> list[tuple[int, dict[str, object]]]:
    """``(port, attrs)`` for each host and container port of one entry."""
    if isinstance(element.value, dict):
        target = _port_number(text_of(element.get("target")))
        published = text_of(element.get("published"))
        host = _port_number(published.split("-")[0]) if published else None
        return _pairs(host, target, {})
    spec = _raw_scalar(source, element)
    if spec is None:
        return []
    extra: dict[str, object] = {}
    variables = [m.group(1) for m in _INTERPOLATION().finditer(spec)]
    if variables:
        extra["variable"] = variables[0]
        spec = _INTERPOLATION().sub(lambda m: m.group(2) or "", spec).lstrip(":")
    match = _PORT_SPEC().match(spec)
    if match is None:
        return []
    host_text = match.group("host")
    container_range = _port_range(match.group("container"))
    host_range = _port_range(host_text) if host_text else []
    if len(container_range) > 1:
        extra["range"] = match.group("container")
        return [(p, {**extra, "container_port": p}) for p in container_range[:16]]
    target = container_range[0] if container_range else None
    host = host_range[0] if host_range else None
    return _pairs(host, target, extra)


def _pairs(
    host: int | None, target: int | None, extra: dict[str, object]
) -> list[tuple[int, dict[str, object]]]:
    if target is None:
        return []
    attrs = {**extra, "host_port": host, "container_port": target}
    pairs: list[tuple[int, dict[str, object]]] = [
        (target, {**attrs, "side": "container"})
    ]
    if host is not None and host != target:
        pairs.append((host, {**attrs, "side": "host"}))
    return pairs


def _port_range(text: str) -> list[int]:
    first, _, last = text.partition("-")
    start, end = _port_number(first), _port_number(last) if last else None
    if start is None:
        return []
    if end is None or end < start:
        return [start]
    return list(range(start, end + 1))


def _port_number(text: str | None) -> int | None:
    if text is None or not text.strip().isdigit():
        return None
    number = int(text)
    return number if 0 < number <= 65535 else None


def _raw_scalar(source: SourceText, element: YNode) -> str | None:
    """A port entry as written: YAML 1.1 reads ``80:80`` as a base-60 number."""
    if isinstance(element.value, dict | list) or element.value is None:
        return None
    if element.line != element.end_line:
        return element.text()
    line = source.lines[element.line - 1]
    match = re.search(r"""^\s*-?\s*["']?([^"'#\s]+)["']?""", line)
    if match is None or not isinstance(element.value, int):
        return element.text()
    return match.group(1)


def text_of(node: YNode | None) -> str | None:
    """The scalar text of ``node``, or None when there is no node."""
    return node.text() if node is not None else None


def environment_facts(
    compose: ComposeFile, name: str, service: YNode
) -> Iterator[Fact]:
    """ENV_VAR facts for the service's ``environment`` entries."""
    node = service.get("environment")
    if node is None:
        return
    entries: list[tuple[str, str | None, YNode]] = []
    if isinstance(node.value, dict):
        entries.extend((key, child.text(), child) for key, child in node.items())
    else:
        for child in node.elements():
            name_part, equals, stated = (child.text() or "").partition("=")
            entries.append((name_part.strip(), stated if equals else None, child))
    for key, value, child in entries:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", key):
            continue
        evidence = (compose.source.evidence(child.line, child.end_line),)
        yield _env_var(compose, name, key, value, evidence)


def env_file_facts(
    index: RepoIndex, compose: ComposeFile, name: str, service: YNode
) -> Iterator[Fact]:
    """ENV_VAR facts for each variable of the files ``env_file`` names."""
    node = service.get("env_file")
    if node is None:
        return
    listed = [node] if node.text() is not None else list(node.elements())
    for entry in listed:
        path_text = entry.text() or text_of(entry.get("path"))
        if not path_text:
            continue
        path = str(PurePosixPath(compose.directory or ".") / path_text)
        path = path.removeprefix("./")
        cited = compose.source.evidence(entry.line, entry.end_line)
        env_source = index.read(path)
        if env_source is None:
            continue
        for number, match in env_source.find_lines(
            r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$"
        ):
            value = match.group(2).strip("'\"")
            evidence = (cited, env_source.evidence(number))
            yield _env_var(compose, name, match.group(1), value, evidence)


def _env_var(
    compose: ComposeFile,
    service_name: str,
    name: str,
    value: str | None,
    evidence: tuple[Evidence, ...],
) -> Fact:
    attrs: dict[str, object] = {
        "declared_only": True,
        "default": _runlines.shown_value(name, value),
        "compose_service": service_name,
    }
    if _runlines.secret_name(name):
        attrs["secret"] = True
    return Fact(
        kind=FactKind.ENV_VAR,
        key=name,
        source="compose.environment",
        evidence=evidence,
        scope=compose.scope,
        weight=WEIGHT_CONTAINER,
        note=f"set for compose service {service_name}",
        attrs=attrs,
    )
