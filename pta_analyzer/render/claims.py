"""``claims.json``: every claim, the ones used and the ones kept out, and why."""

from typing import Any

from pta_analyzer.assemble import Assembly, Claim
from pta_analyzer.render.common import Header, evidence_json, header_json

JSON_SCALARS = (str, int, float, bool, type(None))


def build_claims(header: Header, assembly: Assembly) -> dict[str, Any]:
    """The ``claims.json`` document as plain data."""
    return {
        **header_json(header),
        "claims": [claim_json(claim) for claim in assembly.claims],
    }


def claim_json(claim: Claim) -> dict[str, Any]:
    """One claim with its statement, status, evidence and fate."""
    item: dict[str, Any] = {
        "id": claim.id,
        "kind": str(claim.kind),
        "key": claim.key,
        "cwd": claim.cwd,
        "statement": statement(claim),
        "status": str(claim.status),
        "scope": str(claim.scope),
        "used": claim.used,
        "excluded_reason": claim.excluded_reason or None,
        "evidence": evidence_json(claim.evidence),
        "sources": claim.sources,
        "notes": claim.notes,
        "attrs": _json_attrs(claim.attrs),
    }
    if claim.unknown_reason:
        item["unknown_reason"] = claim.unknown_reason
    return item


def statement(claim: Claim) -> str:
    """The claim as one sentence for people."""
    where = f" (in {claim.cwd}/)" if claim.cwd else ""
    kind = str(claim.kind)
    if kind in ("install", "build", "dev", "prod", "test", "migrate"):
        return f"{kind} command: `{claim.key}`{where}"
    if kind == "env_var":
        return f"environment variable {claim.key}"
    return f"{kind.replace('_', ' ')}: {claim.key}{where}"


def _json_attrs(attrs: dict[str, object]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in sorted(attrs.items()):
        if isinstance(value, JSON_SCALARS):
            clean[name] = value
        elif isinstance(value, list | tuple | set | frozenset):
            clean[name] = sorted(str(v) for v in value)
        else:
            clean[name] = str(value)
    return clean
