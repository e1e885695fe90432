"""Kubernetes manifests: one DEPLOY fact per object, and the ports,
variables and backing images of its containers.

A manifest is any YAML document with ``apiVersion`` and ``kind``, outside
tests, examples and CI; Helm templates (``{{ }}``) are not YAML and are left
to the chart's ``Chart.yaml``.
"""

import re
from collections.abc import Iterator
from pathlib import PurePosixPath

from pta_analyzer.deferred import regex
from pta_analyzer.extractors import _runlines
from pta_analyzer.facts import (
    WEIGHT_CONTAINER,
    WEIGHT_DECLARED,
    WEIGHT_MANIFEST,
    Fact,
    FactKind,
)
from pta_analyzer.index import RepoIndex, SourceText
from pta_analyzer.scope import Scope
from pta_analyzer.services import service_of_image
from pta_analyzer.yamlmap import YNode, load_yaml

# YAML files that are something else than Kubernetes manifests.
_NOT_MANIFESTS = regex(
    r"^((docker-)?compose.*|\.pre-commit.*|mkdocs|codecov|\.?travis|"
    r"Chart|values.*|skaffold|kustomization|render|serverless|pnpm-.*|"
    r"Taskfile|\.gitlab-ci|action|dependabot)\.ya?ml$",
    re.IGNORECASE,
)
_SKIPPED_SCOPES = (Scope.TEST, Scope.EXAMPLE, Scope.CI)


def kubernetes_facts(index: RepoIndex) -> Iterator[Fact]:
    """Facts from every Kubernetes manifest outside tests and examples."""
    paths = [
        p
        for p in index.paths()
        if p.endswith((".yaml", ".yml"))
        and index.scope(p) not in _SKIPPED_SCOPES
        and not _NOT_MANIFESTS().match(PurePosixPath(p).name)
    ]
    for source in index.texts(paths):
        text = source.text
        if "apiVersion" not in text or "kind" not in text or "{{" in text:
            continue
        scope = index.scope(source.path)
        documents = load_yaml(source)
        backing = _backing_names(documents)
        for document in documents:
            yield from _manifest(source, scope, document, backing)


def _backing_names(documents: list[YNode]) -> frozenset[str]:
    """Names and labels of the file's workloads that only run backing services.

    A Service selecting one of them (a postgres Deployment's Service) exposes
    that backing service, not the application.
    """
    names: set[str] = set()
    for document in documents:
        images = [c.get("image") for c in _containers(document)]
        texts = [i.text() for i in images if i is not None]
        if not texts or not all(t and service_of_image(t) for t in texts):
            continue  # a workload with a sidecar cache is still the application
        metadata = document.get("metadata")
        labels = metadata.get("labels") if metadata is not None else None
        name = metadata.get("name") if metadata is not None else None
        names.update(n.text() or "" for n in (name,) if n is not None)
        names.update(str(v.text()) for _k, v in (labels.items() if labels else ()))
    return frozenset(names - {""})


def _selects_backing(document: YNode, backing: frozenset[str]) -> bool:
    spec = document.get("spec")
    selector = spec.get("selector") if spec is not None else None
    values = {str(v.text()) for _k, v in (selector.items() if selector else ())}
    return bool(values & backing)


def _manifest(
    source: SourceText, scope: Scope, document: YNode, backing: frozenset[str]
) -> Iterator[Fact]:
    api, kind = document.get("apiVersion"), document.get("kind")
    if api is None or kind is None or not kind.text():
        return
    metadata = document.get("metadata")
    name_node = metadata.get("name") if metadata is not None else None
    name = (name_node.text() if name_node is not None else None) or "unnamed"
    cited = [n.line for n in (api, kind, name_node) if n is not None]
    label = f"{kind.text()}/{name}"
    yield Fact(
        kind=FactKind.DEPLOY,
        key=f"k8s:{label}",
        source="deploy.kubernetes",
        evidence=(source.evidence(min(cited), max(cited)),),
        scope=scope,
        weight=WEIGHT_DECLARED,
        note=f"Kubernetes {kind.text()} in {source.path}",
        attrs={"path": source.path, "api_version": api.text()},
    )
    for container in _containers(document):
        yield from _container_facts(source, scope, label, container)
    if kind.text() == "Service":
        is_backing = _selects_backing(document, backing)
        yield from _service_ports(source, scope, label, document, is_backing)


def _containers(node: YNode) -> Iterator[YNode]:
    """Every container mapping under ``containers``/``initContainers``."""
    for key, child in node.items():
        if key in ("containers", "initContainers"):
            yield from (c for c in child.elements() if isinstance(c.value, dict))
        elif isinstance(child.value, dict):
            yield from _containers(child)
        elif isinstance(child.value, list):
            for element in child.elements():
                yield from _containers(element)


def _container_facts(
    source: SourceText, scope: Scope, label: str, container: YNode
) -> Iterator[Fact]:
    image = container.get("image")
    image_text = image.text() if image is not None else None
    backing = service_of_image(image_text) if image_text else None
    if backing is not None and image is not None:
        yield Fact(
            kind=FactKind.SERVICE,
            key=backing,
            source="deploy.kubernetes_image",
            evidence=(source.evidence(image.line, image.end_line),),
            scope=scope,
            weight=WEIGHT_CONTAINER,
            note=f"{label} runs {image_text}",
            attrs={"k8s": label, "image": image_text},
        )
    ports = container.get("ports")
    for port in ports.elements() if ports is not None else ():
        number = port.get("containerPort")
        if number is None or not (number.text() or "").isdigit():
            continue
        yield Fact(
            kind=FactKind.PORT,
            key=str(int(number.text() or "0")),
            source="deploy.container_port",
            evidence=(source.evidence(number.line, number.end_line),),
            scope=scope,
            weight=WEIGHT_DECLARED,
            note=f"containerPort of {label}",
            attrs={"role": "service" if backing else "container", "k8s": label},
        )
    if backing is None:
        yield from _container_env(source, scope, label, container)


def _container_env(
    source: SourceText, scope: Scope, label: str, container: YNode
) -> Iterator[Fact]:
    env = container.get("env")
    for entry in env.elements() if env is not None else ():
        name = entry.get("name")
        if name is None or not name.text():
            continue
        key = name.text() or ""
        value = entry.get("value")
        value_from = entry.get("valueFrom")
        from_secret = value_from is not None and "secretKeyRef" in str(
            value_from.plain()
        )
        attrs: dict[str, object] = {
            "declared_only": True,
            "default": _runlines.shown_value(key, value.text() if value else None),
            "k8s": label,
        }
        if from_secret or _runlines.secret_name(key):
            attrs["secret"] = True
            attrs["default"] = None
        yield Fact(
            kind=FactKind.ENV_VAR,
            key=key,
            source="deploy.kubernetes_env",
            evidence=(source.evidence(entry.line, entry.end_line),),
            scope=scope,
            weight=WEIGHT_DECLARED,
            note=f"set in {label}",
            attrs=attrs,
        )


def _service_ports(
    source: SourceText, scope: Scope, label: str, document: YNode, is_backing: bool
) -> Iterator[Fact]:
    spec = document.get("spec")
    ports = spec.get("ports") if spec is not None else None
    for entry in ports.elements() if ports is not None else ():
        for field, role in (("port", "k8s_service"), ("nodePort", "k8s_node")):
            node = entry.get(field)
            if node is None or not (node.text() or "").isdigit():
                continue
            target = entry.get("targetPort")
            yield Fact(
                kind=FactKind.PORT,
                key=str(int(node.text() or "0")),
                source="deploy.service_port",
                evidence=(source.evidence(entry.line, entry.end_line),),
                scope=scope,
                weight=WEIGHT_MANIFEST,
                note=f"{field} of {label}",
                attrs={
                    "role": "service" if is_backing else role,
                    "k8s": label,
                    "target_port": target.text() if target is not None else None,
                },
            )
