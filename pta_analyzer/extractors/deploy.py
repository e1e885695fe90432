"""Deployment descriptors: Kubernetes manifests, Helm charts, platform files
(Fly, Heroku, Render, Vercel, Netlify, Serverless), Terraform, nginx
configurations and Go's ``air`` live-reload file.

Each descriptor is a DEPLOY fact; the ports, variables and commands it
states are facts of their own, citing the lines that state them.
"""

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.evidence import Evidence
from pta_analyzer.extractors import _runlines
from pta_analyzer.extractors._kubernetes import kubernetes_facts
from pta_analyzer.facts import (
    WEIGHT_DECLARED,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.yamlmap import YNode, load_yaml

logger = logging.getLogger(__name__)

_SKIPPED_SCOPES = (Scope.TEST, Scope.EXAMPLE, Scope.CI)
_NGINX_NAME = regex(r"^nginx[\w.-]*\.conf(\.template)?$")
_LISTEN = regex(r"^\s*listen\s+(?:[^\s;]*:)?(\d{1,5})\b[^;]*;")
_PLATFORM_FILES: dict[str, tuple[str, str]] = {
    "heroku.yml": ("heroku", "Heroku container build and run"),
    "render.yaml": ("render", "Render blueprint"),
    "vercel.json": ("vercel", "Vercel project configuration"),
    "netlify.toml": ("netlify", "Netlify site configuration"),
    "serverless.yml": ("serverless", "Serverless Framework service"),
    "serverless.yaml": ("serverless", "Serverless Framework service"),
    "skaffold.yaml": ("skaffold", "Skaffold build and deploy pipeline"),
    "kustomization.yaml": ("kustomize", "Kustomize overlay"),
    "kustomization.yml": ("kustomize", "Kustomize overlay"),
    "Chart.yaml": ("helm", "Helm chart"),
    "app.yaml": ("appengine", "Google App Engine service"),
}


def extract(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every deployment descriptor of the repository."""
    yield from kubernetes_facts(index)
    yield from _platform_files(index)
    yield from _fly(index)
    yield from _heroku_app_json(index)
    yield from _terraform(index)
    yield from _nginx(index)
    yield from _air(index)


def _deploy(
    source: SourceText, scope: Scope, key: str, note: str, **attrs: object
) -> Fact:
    return Fact(
        kind=FactKind.DEPLOY,
        key=key,
        source="deploy.descriptor",
        evidence=(source.file_evidence(),),
        scope=scope,
        weight=WEIGHT_DECLARED,
        note=note,
        attrs=attrs,
    )


def _platform_files(index: RepoIndex) -> Iterator[Fact]:
    for source in index.texts(index.named(*_PLATFORM_FILES)):
        name = PurePosixPath(source.path).name
        platform, note = _PLATFORM_FILES[name]
        scope = index.scope(source.path)
        if name == "app.yaml" and "runtime" not in source.text:
            continue
        parent = str(PurePosixPath(source.path).parent)
        where = source.path if platform not in ("kustomize", "helm") else parent
        yield _deploy(source, scope, f"{platform}:{where}", note)
        if platform == "render":
            yield from _render(source, scope)
        elif platform == "netlify":
            yield from _netlify(source, scope)
        elif platform == "heroku":
            yield from _heroku_yml(source, scope)


def _heroku_yml(source: SourceText, scope: Scope) -> Iterator[Fact]:
    """``run:`` processes of heroku.yml (``web`` is the production command)."""
    documents = load_yaml(source)
    run = documents[0].get("run") if documents else None
    for process, node in run.items() if run is not None else ():
        command_node = node.get("command") or node
        if isinstance(command_node.value, list):
            words = [w.text() or "" for w in command_node.elements()]
            command = " ".join(words)
        else:
            command = command_node.text() or ""
        command = _runlines.normalize(command)
        if not command:
            continue
        kind = FactKind.PROD
        if process == "release" and _runlines.runs_migrations(command):
            kind = FactKind.MIGRATE
        fact = _platform_command(source, scope, kind, command, node, "heroku.yml")
        yield replace(fact, attrs={**fact.attrs, "process": process})


def _render(source: SourceText, scope: Scope) -> Iterator[Fact]:
    documents = load_yaml(source)
    services = documents[0].get("services") if documents else None
    for service in services.elements() if services is not None else ():
        for field, kind in (
            ("buildCommand", FactKind.BUILD),
            ("startCommand", FactKind.PROD),
            ("preDeployCommand", FactKind.MIGRATE),
        ):
            node = service.get(field)
            if node is None:
                continue
            command = _runlines.normalize(node.text() or "")
            if not command:
                continue
            if kind is FactKind.MIGRATE and not _runlines.runs_migrations(command):
                kind = FactKind.PROD
            yield _platform_command(source, scope, kind, command, node, "render.yaml")
        env = service.get("envVars")
        for entry in env.elements() if env is not None else ():
            yield from _render_env(source, scope, entry)


def _render_env(source: SourceText, scope: Scope, entry: YNode) -> Iterator[Fact]:
    key_node = entry.get("key")
    key = key_node.text() if key_node is not None else None
    if not key:
        return
    value = entry.get("value")
    generated = entry.get("generateValue") is not None
    attrs: dict[str, object] = {
        "default": _runlines.shown_value(key, value.text() if value else None),
    }
    if generated or _runlines.secret_name(key):
        attrs["secret"] = True
        attrs["default"] = None
    cited = source.evidence(entry.line, entry.end_line)
    yield _env_fact(key, "render_env", cited, scope, "declared in render.yaml", attrs)


def _netlify(source: SourceText, scope: Scope) -> Iterator[Fact]:
    if _toml(source) is None:
        return
    for number, match in source.find_lines(r'^\s*command\s*=\s*"([^"]+)"'):
        command = _runlines.normalize(match.group(1))
        yield Fact(
            kind=FactKind.BUILD,
            key=command,
            source="deploy.netlify",
            evidence=(source.evidence(number),),
            scope=scope,
            weight=WEIGHT_DECLARED,
            cwd=_cwd(source.path),
            note="Netlify build command",
            attrs={"via": "netlify.toml"},
        )


def _platform_command(
    source: SourceText,
    scope: Scope,
    kind: FactKind,
    command: str,
    node: YNode,
    via: str,
) -> Fact:
    return Fact(
        kind=kind,
        key=command,
        source="deploy.platform_command",
        evidence=(source.evidence(node.line, node.end_line),),
        scope=scope,
        weight=WEIGHT_DECLARED,
        cwd=_cwd(source.path),
        note=f"stated in {via}",
        attrs={"via": via},
    )


def _fly(index: RepoIndex) -> Iterator[Fact]:
    for source in index.texts(index.named("fly.toml")):
        scope = index.scope(source.path)
        data = _toml(source)
        app = data.get("app") if isinstance(data, dict) else None
        yield _deploy(source, scope, f"fly:{source.path}", "Fly.io app", app=app)
        if data is None:
            continue
        for number, match in source.find_lines(r"^\s*internal_port\s*=\s*(\d{1,5})\b"):
            yield Fact(
                kind=FactKind.PORT,
                key=str(int(match.group(1))),
                source="deploy.fly_port",
                evidence=(source.evidence(number),),
                scope=scope,
                weight=WEIGHT_DECLARED,
                note="the port Fly.io routes to",
                attrs={"role": "internal", "platform": "fly"},
            )
        env = data.get("env")
        if isinstance(env, dict):
            yield from _toml_env(source, scope, env)


def _toml_env(
    source: SourceText, scope: Scope, env: dict[str, object]
) -> Iterator[Fact]:
    for name, value in env.items():
        number = source.find_line(rf"^\s*['\"]?{re.escape(name)}['\"]?\s*=")
        if number is None:
            continue
        attrs: dict[str, object] = {
            "default": _runlines.shown_value(name, str(value)),
            **({"secret": True} if _runlines.secret_name(name) else {}),
        }
        cited = source.evidence(number)
        yield _env_fact(name, "fly_env", cited, scope, f"set in {source.path}", attrs)


def _heroku_app_json(index: RepoIndex) -> Iterator[Fact]:
    for source in index.texts(index.named("app.json")):
        try:
            data = json.loads(source.text)
        except ValueError:
            logger.debug("app.json not parsed", extra={"path": source.path})
            continue
        heroku_keys = {"env", "addons", "buildpacks", "formation", "stack", "scripts"}
        if not isinstance(data, dict) or not heroku_keys & set(data):
            continue
        scope = index.scope(source.path)
        yield _deploy(source, scope, f"heroku:{source.path}", "Heroku app manifest")
        env = data.get("env")
        if isinstance(env, dict):
            yield from _app_json_env(source, scope, env)


def _app_json_env(
    source: SourceText, scope: Scope, env: dict[str, object]
) -> Iterator[Fact]:
    for name, spec in env.items():
        number = source.find_line(rf'^\s*"{re.escape(name)}"\s*:')
        if number is None:
            continue
        value = spec.get("value") if isinstance(spec, dict) else spec
        generated = isinstance(spec, dict) and spec.get("generator") == "secret"
        required = spec.get("required") if isinstance(spec, dict) else None
        attrs: dict[str, object] = {
            "default": _runlines.shown_value(name, str(value)) if value else None,
            "required": required if isinstance(required, bool) else None,
        }
        if generated or _runlines.secret_name(name):
            attrs["secret"] = True
            attrs["default"] = None
        cited = source.evidence(number)
        note = f"declared in {source.path}"
        yield _env_fact(name, "app_json_env", cited, scope, note, attrs)


def _terraform(index: RepoIndex) -> Iterator[Fact]:
    """One DEPLOY fact per directory of ``*.tf`` files, citing the first one."""
    directories: dict[str, str] = {}
    for path in sorted(p for p in index.paths() if p.endswith(".tf")):
        if index.scope(path) in _SKIPPED_SCOPES:
            continue
        directories.setdefault(str(PurePosixPath(path).parent), path)
    for directory, path in sorted(directories.items()):
        source = index.read(path)
        if source is None:
            continue
        where = "" if directory == "." else directory
        note = "Terraform configuration"
        yield _deploy(source, index.scope(path), f"terraform:{where or '.'}", note)


def _nginx(index: RepoIndex) -> Iterator[Fact]:
    paths = [
        p
        for p in index.paths()
        if p.endswith((".conf", ".conf.template")) and _is_nginx_config(p)
    ]
    for source in index.texts(paths):
        if "listen" not in source.text and "server" not in source.text:
            continue
        scope = index.scope(source.path)
        yield _deploy(source, scope, f"nginx:{source.path}", "nginx configuration")
        for number, match in source.find_lines(_LISTEN()):
            port = int(match.group(1))
            if not 0 < port <= 65535:
                continue
            yield Fact(
                kind=FactKind.PORT,
                key=str(port),
                source="deploy.nginx_listen",
                evidence=(source.evidence(number),),
                scope=scope,
                weight=WEIGHT_MANIFEST,
                note=f"nginx listens here ({source.path})",
                attrs={"role": "listen"},
            )


def _is_nginx_config(path: str) -> bool:
    pure = PurePosixPath(path)
    return bool(
        _NGINX_NAME().match(pure.name)
        or pure.parent.name in ("conf.d", "sites-enabled", "sites-available")
        or "nginx" in pure.parent.parts
    )


def _air(index: RepoIndex) -> Iterator[Fact]:
    """Go live reload: ``air`` rebuilds and restarts the program on change."""
    for source in index.texts(index.named(".air.toml")):
        data = _toml(source)
        if data is None:
            continue
        scope = index.scope(source.path)
        cwd = _cwd(source.path)
        lines = [n for n, _ in source.find_lines(r"^\s*(cmd|bin|full_bin)\s*=")]
        evidence = (
            source.evidence(min(lines), max(lines)) if lines else source.file_evidence()
        )
        yield Fact(
            kind=FactKind.DEV,
            key="air",
            source="deploy.air",
            evidence=(evidence,),
            scope=scope,
            weight=WEIGHT_MANIFEST,
            cwd=cwd,
            note="live reload: builds with [build] cmd and restarts the binary",
            attrs={"via": ".air.toml"},
        )
        build = data.get("build")
        command = build.get("cmd") if isinstance(build, dict) else None
        number = source.find_line(r"^\s*cmd\s*=")
        if isinstance(command, str) and command.strip() and number is not None:
            yield Fact(
                kind=FactKind.BUILD,
                key=_runlines.normalize(command),
                source="deploy.air_build",
                evidence=(source.evidence(number),),
                scope=scope,
                weight=WEIGHT_MANIFEST - 10,
                cwd=cwd,
                note="the build air runs before each restart",
                attrs={"via": "air"},
            )


def _env_fact(
    name: str,
    rule: str,
    cited: Evidence,
    scope: Scope,
    note: str,
    attrs: dict[str, object],
) -> Fact:
    """A variable a platform file declares for the application."""
    return Fact(
        kind=FactKind.ENV_VAR,
        key=name,
        source=f"deploy.{rule}",
        evidence=(cited,),
        scope=scope,
        weight=WEIGHT_DECLARED,
        note=note,
        attrs={"declared_only": True, **attrs},
    )


def _toml(source: SourceText) -> dict[str, object] | None:
    import tomllib  # here: most repositories hold no TOML file this reads

    try:
        return tomllib.loads(source.text)
    except (tomllib.TOMLDecodeError, ValueError):
        logger.debug("toml not parsed", extra={"path": source.path})
        return None


def _cwd(path: str) -> str:
    parent = str(PurePosixPath(path).parent)
    return "" if parent == "." else parent
