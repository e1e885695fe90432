"""``operate.json``: the operator's dashboard, built from the assembly.

The shape is the one operators already script against (``boot``,
``integrate``, ``deploy``, ``snapshot``, ``readiness``, ``gaps``,
``runbooks``), extended with build, test, migrate, services and secrets.
Every item has a ``status``, its ``evidence``, and an ``unknown_reason`` when
it is UNKNOWN.
"""

from typing import Any

from pta_analyzer.assemble import Assembly, Claim
from pta_analyzer.facts import FactKind, Status
from pta_analyzer.judge import Gap, KindJudgment, overall_score, readiness
from pta_analyzer.render.common import (
    Header,
    LanguageShare,
    evidence_json,
    header_json,
    unknown_item,
)

COMMAND_SECTIONS: tuple[tuple[str, FactKind], ...] = (
    ("install", FactKind.INSTALL),
    ("build", FactKind.BUILD),
    ("dev", FactKind.DEV),
    ("prod", FactKind.PROD),
    ("test", FactKind.TEST),
    ("migrate", FactKind.MIGRATE),
)
# Sections that get an explicit UNKNOWN item when nothing was found.
EXPECTED_SECTIONS = frozenset({"install", "prod", "test"})
PORT_ROLE_RANK = ("bind", "config", "default", "env", "declared", "expose",
                  "container", "listen", "publish", "documented")  # fmt: skip


def build_operate(
    header: Header,
    assembly: Assembly,
    kind: KindJudgment,
    languages: list[LanguageShare],
    gaps: list[Gap],
) -> dict[str, Any]:
    """The ``operate.json`` document as plain data."""
    rows = readiness(assembly, kind)
    return {
        **header_json(header),
        "boot": _boot(assembly, kind),
        "integrate": _integrate(assembly),
        "services": [_named(c, "name") for c in assembly.of(FactKind.SERVICE)],
        "deploy": [_deploy(c) for c in assembly.of(FactKind.DEPLOY)],
        "snapshot": _snapshot(assembly, kind, languages),
        "secrets": [_secret(c) for c in assembly.of(FactKind.SECRET)],
        "readiness": {
            "score": overall_score(rows),
            "dimensions": [
                {"name": name, "score": score, "reason": reason}
                for name, score, reason in rows
            ],
        },
        "gaps": [gap_json(index, gap) for index, gap in enumerate(gaps, start=1)],
        "runbooks": build_runbooks(assembly),
    }


def command_json(claim: Claim, primary: bool) -> dict[str, Any]:
    """One command item."""
    item = _base(claim)
    item.update(
        command=claim.key,
        cwd=claim.cwd,
        primary=primary,
        process=claim.attrs.get("process"),
    )
    return item


def gap_json(rank: int, gap: Gap) -> dict[str, Any]:
    """One gap item, ranked."""
    return {
        "id": f"gap-{rank:03d}",
        "rank": rank,
        "category": gap.category,
        "question": gap.question,
        "reason_code": gap.reason_code,
        "detail": gap.detail,
        "severity": gap.severity,
        "searched": gap.searched,
        "would_settle": gap.would_settle,
        "claims": gap.claims,
    }


def build_runbooks(assembly: Assembly) -> list[dict[str, Any]]:
    """Ordered steps for local development, production and the test suite."""
    plans = (
        ("local-development", "Run it locally",
         (FactKind.INSTALL, FactKind.MIGRATE, FactKind.DEV)),
        ("production", "Build and start it for production",
         (FactKind.INSTALL, FactKind.BUILD, FactKind.MIGRATE, FactKind.PROD)),
        ("tests", "Run the test suite", (FactKind.INSTALL, FactKind.TEST)),
    )  # fmt: skip
    books = []
    for name, title, kinds in plans:
        steps = [
            _step(kind, claims[0]) for kind in kinds if (claims := assembly.of(kind))
        ]
        if steps:
            for order, step in enumerate(steps, start=1):
                step["order"] = order
            books.append({"name": name, "title": title, "steps": steps})
    return books


def _boot(assembly: Assembly, kind: KindJudgment) -> dict[str, Any]:
    boot: dict[str, Any] = {}
    for section, fact_kind in COMMAND_SECTIONS:
        claims = assembly.of(fact_kind)
        items = [command_json(c, i == 0) for i, c in enumerate(claims)]
        if not items and section in EXPECTED_SECTIONS:
            items = [_unknown_command(section, kind)]
        boot[section] = items
    boot["ports"] = _ports(assembly.of(FactKind.PORT))
    return boot


def _unknown_command(section: str, kind: KindJudgment) -> dict[str, Any]:
    if section == "prod" and kind.value == "library":
        reason = "a library: the repository defines nothing to start"
    else:
        reason = f"no {section} command is stated or implied by the repository's files"
    item = unknown_item(f"unknown-{section}", reason)
    item.update(command=None, cwd="", primary=False, process=None)
    return item


def _ports(claims: list[Claim]) -> list[dict[str, Any]]:
    ordered = sorted(claims, key=_port_rank)
    items = []
    for position, claim in enumerate(ordered):
        item = _base(claim)
        item.update(
            value=int(claim.key),
            roles=claim.attrs.get("roles", []),
            effective=position == 0,
            env=claim.attrs.get("env"),
        )
        items.append(item)
    return items


def _port_rank(claim: Claim) -> tuple[int, int, int, int]:
    ranks = [PORT_ROLE_RANK.index(r) for r in claim.roles if r in PORT_ROLE_RANK]
    status = 0 if claim.status is Status.EVIDENCED else 1
    return (
        status,
        min(ranks, default=len(PORT_ROLE_RANK)),
        -claim.weight,
        int(claim.key),
    )


def _integrate(assembly: Assembly) -> dict[str, Any]:
    env = assembly.of(FactKind.ENV_VAR)
    declared_only = [
        c for c in assembly.claims
        if c.kind is FactKind.ENV_VAR and not c.used and c.attrs.get("declared_only")
        and c.scope.value == "app"
    ]  # fmt: skip
    return {
        "endpoints": [_endpoint(c) for c in assembly.of(FactKind.ENDPOINT)],
        "env_vars": [_env(c) for c in sorted(env, key=lambda c: c.key)],
        "env_declared_only": [
            _env(c) for c in sorted(declared_only, key=lambda c: c.key)
        ],
        "auth": [_named(c, "kind") for c in assembly.of(FactKind.AUTH)],
    }


def _env(claim: Claim) -> dict[str, Any]:
    item = _base(claim)
    default = claim.attrs.get("default")
    is_secret = bool(claim.attrs.get("secret"))
    item.update(
        name=claim.key,
        required=claim.attrs.get("required"),
        default=None if is_secret or default is None else str(default),
        secret=is_secret,
        declared_in=claim.attrs.get("declared_in", []),
    )
    return item


def _endpoint(claim: Claim) -> dict[str, Any]:
    method, _space, path = claim.key.partition(" ")
    item = _base(claim)
    item.update(method=method, path=path or method)
    return item


def _deploy(claim: Claim) -> dict[str, Any]:
    kind, _colon, path = claim.key.partition(":")
    item = _base(claim)
    item.update(kind=kind, path=path or None)
    return item


def _secret(claim: Claim) -> dict[str, Any]:
    kind = str(claim.attrs.get("kind") or claim.key.split("@", 1)[0])
    first = claim.evidence[0] if claim.evidence else None
    item = _base(claim)
    item.update(
        kind=kind,
        path=first.path if first else None,
        line=first.line_start if first else None,
        scope=str(claim.scope),
    )
    return item


def _named(claim: Claim, field: str) -> dict[str, Any]:
    item = _base(claim)
    item[field] = claim.key
    if claim.attrs.get("for"):
        item["for"] = claim.attrs["for"]
    return item


def _snapshot(
    assembly: Assembly, kind: KindJudgment, languages: list[LanguageShare]
) -> dict[str, Any]:
    descriptions = assembly.of(FactKind.DESCRIPTION)
    kind_item: dict[str, Any] = {
        "value": kind.value,
        "status": str(kind.status),
        "evidence": evidence_json(kind.evidence),
        "reason": kind.reason,
    }
    if kind.status is Status.UNKNOWN:
        kind_item["unknown_reason"] = kind.reason
    description = (
        {**_base(descriptions[0]), "value": descriptions[0].key}
        if descriptions
        else {**unknown_item("unknown-description", "no description in the "
              "manifests or the README"), "value": None}
    )  # fmt: skip
    return {
        "kind": kind_item,
        "languages": [lang.to_json() for lang in languages],
        "description": description,
        "frameworks": [_named(c, "name") for c in assembly.of(FactKind.FRAMEWORK)],
        "package_managers": [
            _named(c, "name") for c in assembly.of(FactKind.PACKAGE_MANAGER)
        ],
        "runtimes": [_named(c, "name") for c in assembly.of(FactKind.RUNTIME)],
        "components": [_named(c, "path") for c in assembly.of(FactKind.COMPONENT)],
    }


def _step(kind: FactKind, claim: Claim) -> dict[str, Any]:
    return {
        "order": 0,
        "action": str(kind),
        "command": claim.key,
        "cwd": claim.cwd,
        "status": str(claim.status),
        "claim": claim.id,
        "evidence": evidence_json(claim.evidence[:1]),
    }


def _base(claim: Claim) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": claim.id,
        "status": str(claim.status),
        "evidence": evidence_json(claim.evidence),
        "sources": claim.sources,
    }
    if claim.notes:
        item["notes"] = claim.notes
    if claim.status is Status.UNKNOWN:
        item["unknown_reason"] = claim.unknown_reason
    return item
