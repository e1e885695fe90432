"""Compose files: the services a project starts together, their ports,
commands and environment, and the ``docker compose`` commands that run them.

A service with ``build:`` is the application's own; one with only ``image:``
is a backing service (postgres, redis) unless its image names none, as for
an nginx or flower the project configures. Override files
(``docker-compose.dev.yml`` next to ``docker-compose.yml``) are run together
with their base file.
"""

import logging
import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors import _runlines
from pta_analyzer.extractors._compose_values import (
    ComposeFile,
    env_file_facts,
    environment_facts,
    port_facts,
    text_of,
)
from pta_analyzer.facts import WEIGHT_CONTAINER, Fact, FactKind
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.services import service_of_image
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)

COMPOSE_NAME = regex(r"^(docker-)?compose([._-][\w.-]*)?\.ya?ml$")
DEFAULT_NAMES = (
    "compose.yaml",
    "compose.yml",
    "docker-compose.yaml",
    "docker-compose.yml",
)
# Images that run a part of the application even though a table names them.
APPLICATION_IMAGES = frozenset({"flower"})
# Reverse proxies: the entry point of the application's own deployment.
PROXY_IMAGES = frozenset({"traefik", "nginx", "caddy", "haproxy", "envoy", "httpd"})
# Services that run browser tests against the application.
TEST_RUNNER_SERVICES = frozenset({"playwright", "cypress", "selenium", "e2e"})
# Stock admin consoles and test runners beside the application: their ports
# and commands are theirs, not the application's.
TOOL_IMAGES = frozenset(
    {
        "adminer", "dpage/pgadmin4", "phpmyadmin", "phpmyadmin/phpmyadmin",
        "mongo-express", "rediscommander/redis-commander", "portainer/portainer-ce",
        "mcr.microsoft.com/playwright", "selenium/standalone-chrome",
    }
)  # fmt: skip

_NAME_PATTERNS = (
    ("go.mod", re.compile(r"^module\s+(\S+)", re.M)),
    ("package.json", re.compile(r'^\s{0,4}"name"\s*:\s*"([^"]+)"', re.M)),
    ("pyproject.toml", re.compile(r'^name\s*=\s*"([^"]+)"', re.M)),
    ("Cargo.toml", re.compile(r'^name\s*=\s*"([^"]+)"', re.M)),
)
_DEV_WORDS = regex(r"(--reload\b|\bnodemon\b|\brunserver\b|\bdev\b|--watch\b)")


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every compose file of the repository."""
    paths = [
        p
        for p in index.paths()
        if "compose" in p and COMPOSE_NAME().match(p.rpartition("/")[2])
    ]  # every name COMPOSE_NAME matches holds "compose": the cheap test first
    bases = {str(PurePosixPath(p).parent): p for p in sorted(paths, key=_base_rank)}
    own_names = _own_names(index) if paths else frozenset()
    for source in index.texts(paths):
        yield from _compose_facts(index, source, bases, own_names)


def _base_rank(path: str) -> int:
    """Sort key putting default file names last (so they win as the base)."""
    name = PurePosixPath(path).name
    return DEFAULT_NAMES.index(name) + 1 if name in DEFAULT_NAMES else 0


def _compose_facts(
    index: RepoIndex,
    source: SourceText,
    bases: dict[str, str],
    own_names: frozenset[str],
) -> Iterator[Fact]:
    path = PurePosixPath(source.path)
    parent = str(path.parent)
    documents = load_yaml(source)
    top = documents[0] if documents else None

    yield Fact(
        kind=FactKind.DEPLOY,
        key=f"compose:{source.path}",
        source="compose.file",
        evidence=(source.file_evidence(),),
        scope=index.scope(source.path),
        weight=WEIGHT_CONTAINER,
        note="services started together with docker compose",
        attrs={"services": _summary(top)},
    )
    if top is None or not isinstance(top.value, dict):
        return

    base_path = bases.get(parent)
    is_override = base_path is not None and base_path != source.path
    base_services = _base_services(index, base_path) if is_override else {}
    # Compose applies ``*.override.yml`` by itself: plain ``up`` runs it.
    applied_alone = ".override." in path.name
    compose = ComposeFile(
        source=source,
        scope=index.scope(source.path),
        directory="" if parent == "." else parent,
        flags="" if applied_alone else _flags(path.name, base_path, is_override),
        kind=_file_kind(path.name),
        services=_services(top),
        base_services=base_services,
        own_names=own_names,
    )
    yield from _run_commands(compose)
    for name, service in compose.services.items():
        yield from _service_facts(index, compose, name, service)


def _base_services(index: RepoIndex, base_path: str | None) -> dict[str, YNode]:
    base = index.read(base_path) if base_path is not None else None
    documents = load_yaml(base) if base is not None else []
    return _services(documents[0]) if documents else {}


def _services(top: YNode) -> dict[str, YNode]:
    services = top.get("services")
    if services is None:
        return {}
    return {
        name: node for name, node in services.items() if isinstance(node.value, dict)
    }


def _summary(top: YNode | None) -> dict[str, object]:
    if top is None or not isinstance(top.value, dict):
        return {}
    summary: dict[str, object] = {}
    for name, service in _services(top).items():
        image = service.get("image")
        summary[name] = {
            "image": image.text() if image else None,
            "build": service.get("build") is not None,
            "depends_on": _depends_on(service),
        }
    return summary


def _flags(name: str, base_path: str | None, is_override: bool) -> str:
    if is_override and base_path is not None:
        return f"-f {PurePosixPath(base_path).name} -f {name} "
    return "" if name in DEFAULT_NAMES else f"-f {name} "


def _file_kind(name: str) -> FactKind:
    lowered = name.lower()
    if re.search(r"[._-](tests?|ci|e2e)[._-]", lowered):
        return FactKind.TEST
    if re.search(r"[._-](prod|production|release|deploy)[._-]", lowered):
        return FactKind.PROD
    return FactKind.DEV


def _is_own(compose: ComposeFile, name: str, service: YNode) -> bool:
    """True when the service is built from the project (here or in the base)."""
    if service.get("build") is not None:
        return True
    base = compose.base_services.get(name)
    return base is not None and base.get("build") is not None


def _run_commands(compose: ComposeFile) -> Iterator[Fact]:
    builds = any(_is_own(compose, n, s) for n, s in compose.services.items())
    evidence = (compose.source.file_evidence(),)
    up = f"docker compose {compose.flags}up"
    if compose.kind is FactKind.TEST:
        yield _command(compose, FactKind.TEST, up, evidence, "runs the test setup")
    elif compose.kind is FactKind.PROD:
        yield _command(compose, FactKind.PROD, up, evidence, "starts the services")
    else:
        key = f"{up} --build" if builds and not compose.flags else up
        yield _command(compose, FactKind.DEV, key, evidence, "starts the services")
    if builds and compose.flags.count("-f ") < 2:
        build = f"docker compose {compose.flags}build"
        note = "builds the project's images"
        yield _command(compose, FactKind.BUILD, build, evidence, note)
    for name, service in compose.services.items():
        if name.lower() in ("test", "tests"):
            run = f"docker compose {compose.flags}run {name}"
            cited = (_service_evidence(compose.source, name, service),)
            note = f"runs the compose service {name}"
            yield _command(compose, FactKind.TEST, run, cited, note)


def _service_evidence(source: SourceText, name: str, service: YNode) -> Evidence:
    """The lines of a service: its name's line through its last line."""
    start = source.find_line(
        rf"^\s*['\"]?{re.escape(name)}['\"]?\s*:",
        max(1, service.line - 3),
        service.line,
    )
    return source.evidence(start or service.line, service.end_line)


def _command(
    compose: ComposeFile,
    kind: FactKind,
    key: str,
    evidence: tuple[Evidence, ...],
    note: str,
    cwd: str | None = None,
    **attrs: object,
) -> Fact:
    return Fact(
        kind=kind,
        key=key,
        source="compose.command" if attrs else "compose.up",
        evidence=evidence,
        scope=compose.scope,
        weight=WEIGHT_CONTAINER,
        cwd=compose.directory if cwd is None else cwd,
        note=note,
        attrs={"via": "docker compose", "compose_file": compose.source.path, **attrs},
    )


def _service_facts(
    index: RepoIndex, compose: ComposeFile, name: str, service: YNode
) -> Iterator[Fact]:
    image = _image(compose, name, service)
    found = service_of_image(image.text() or "") if image is not None else None
    if found is not None and image is not None:
        yield Fact(
            kind=FactKind.SERVICE,
            key=found,
            source="compose.image",
            evidence=(compose.source.evidence(image.line, image.end_line),),
            scope=compose.scope,
            weight=WEIGHT_CONTAINER,
            note=f"compose service {name} runs {image.text()}",
            attrs={"compose_service": name, "image": image.text()},
        )

    shown = image
    if image is None and not _is_own(compose, name, service):
        # An override names no image; the base file's image says what it runs.
        base = compose.base_services.get(name)
        shown = base.get("image") if base is not None else None
        found = service_of_image(shown.text() or "") if shown else None
    is_backing = found is not None and found not in APPLICATION_IMAGES
    is_backing = is_backing or _is_tool_image(shown) or _is_test_runner(name)
    is_backing = is_backing or _is_other_product(compose, name, service, shown)
    yield from port_facts(
        compose, name, service, "service" if is_backing else "publish"
    )
    if is_backing:
        return
    if _runs_project_code(compose, name, service):
        yield from _service_command(compose, name, service)
    yield from environment_facts(compose, name, service)
    yield from env_file_facts(index, compose, name, service)


def _is_tool_image(image: YNode | None) -> bool:
    reference = (image.text() or "").lower() if image is not None else ""
    name = reference.split("@", 1)[0].rsplit(":", 1)[0] if reference else ""
    return name in TOOL_IMAGES or name.removeprefix("docker.io/library/") in (
        TOOL_IMAGES
    )


def _is_other_product(
    compose: ComposeFile, name: str, service: YNode, image: YNode | None
) -> bool:
    """An image-only service that is neither the project, its proxy, nor its
    own published image (``ghcr.io/vendor/dashboard`` beside the app)."""
    if image is None or _runs_project_code(compose, name, service):
        return False
    reference = (image.text() or "").lower().split("@", 1)[0]
    path = reference.rsplit(":", 1)[0] if ":" in reference.split("/")[-1] else reference
    basename = path.rsplit("/", 1)[-1]
    if basename in PROXY_IMAGES or basename in compose.own_names:
        return False
    return bool(compose.own_names) and service_of_image(reference) is None


def _is_test_runner(name: str) -> bool:
    """A service that runs the browser tests (``playwright``, ``cypress``)."""
    return name.lower() in TEST_RUNNER_SERVICES


def _runs_project_code(compose: ComposeFile, name: str, service: YNode) -> bool:
    """True when the service runs the project: built here, its own image, or
    a stock image with the checkout mounted (``.:/app``)."""
    if _is_own(compose, name, service):
        return True
    base = compose.base_services.get(name)
    for node in (service, base):
        image = node.get("image") if node is not None else None
        if image is not None and "$" in (image.text() or ""):
            return True  # the project's image, named by its deployment
        volumes = node.get("volumes") if node is not None else None
        if volumes is not None and isinstance(volumes.value, list):
            sources = [_volume_source(element) for element in volumes.elements()]
            if any(_is_checkout(source) for source in sources):
                return True
    return False


def _volume_source(element: YNode) -> str:
    if isinstance(element.value, dict):
        return text_of(element.get("source")) or ""
    return (element.text() or "").split(":", 1)[0]


def _is_checkout(path: str) -> bool:
    return path.startswith((".", "$PWD", "${PWD}")) and "docker.sock" not in path


def _image(compose: ComposeFile, name: str, service: YNode) -> YNode | None:
    """The image a service only pulls (None for one the project builds)."""
    if _is_own(compose, name, service):
        return None
    return service.get("image")


def _service_command(compose: ComposeFile, name: str, service: YNode) -> Iterator[Fact]:
    node = service.get("command")
    if node is None:
        return
    if isinstance(node.value, list):
        words = [child.text() or "" for child in node.elements()]
        command = _runlines.join_exec_form(words)
    else:
        command = _runlines.normalize(node.text() or "")
    if not command or command.startswith("-"):
        return  # arguments to the image's own entrypoint, not a command

    base = compose.base_services.get(name)
    build = service.get("build") or (base.get("build") if base else None)
    cwd = _build_context(compose, build)
    evidence = (compose.source.evidence(node.line, node.end_line),)
    depends = _depends_on(service) or (_depends_on(base) if base else [])
    attrs = {"compose_service": name, "depends_on": depends, "process": name}
    note = f"in compose service {name}"
    migrations, main = _runlines.chain_steps(command, cwd)
    for where, part in migrations:
        kind = FactKind.MIGRATE
        yield _command(compose, kind, part, evidence, note, where, **attrs)
    if main is not None:
        where, part = main
        kind = _command_kind(compose, part)
        yield _command(compose, kind, part, evidence, note, where, **attrs)


def _command_kind(compose: ComposeFile, command: str) -> FactKind:
    if compose.kind is not FactKind.DEV:
        return compose.kind
    return FactKind.DEV if _DEV_WORDS().search(command) else FactKind.PROD


def _build_context(compose: ComposeFile, build: YNode | None) -> str:
    """The service's build context relative to the root: where its files are."""
    if build is None:
        return compose.directory
    context = (
        build.text() if build.text() is not None else text_of(build.get("context"))
    )
    if not context or "://" in context or context.startswith(("/", "$")):
        return compose.directory
    joined = PurePosixPath(compose.directory or ".") / context
    parts: list[str] = []
    for part in joined.parts:
        if part == "..":
            if not parts:
                return compose.directory
            parts.pop()
        elif part != ".":
            parts.append(part)
    return "/".join(parts)


def _depends_on(service: YNode) -> list[str]:
    node = service.get("depends_on")
    if node is None:
        return []
    if isinstance(node.value, dict):
        return list(node.value)
    return [child.text() or "" for child in node.elements() if child.text()]


def _own_names(index: RepoIndex) -> frozenset[str]:
    """Names the root manifests give the project (module, package, crate)."""
    names: set[str] = set()
    for path, pattern in _NAME_PATTERNS:
        source = index.read(path) if index.exists(path) else None
        found = pattern.search(source.text) if source is not None else None
        if found:
            names.add(found.group(1).rsplit("/", 1)[-1].lower())
    return frozenset(names)
