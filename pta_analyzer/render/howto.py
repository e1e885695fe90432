"""``target_howto.json``: the shortest path from a checkout to a running target.

One step per phase (install, build, migrate, run, test), each the best claim
of its kind, plus what must be present first: runtimes, services, and the
variables that must be set.
"""

from typing import Any

from pta_analyzer.assemble import Assembly, Claim
from pta_analyzer.facts import FactKind
from pta_analyzer.judge import Gap, KindJudgment
from pta_analyzer.render.common import Header, evidence_json, header_json

PHASES: tuple[tuple[str, tuple[FactKind, ...]], ...] = (
    ("install", (FactKind.INSTALL,)),
    ("build", (FactKind.BUILD,)),
    ("migrate", (FactKind.MIGRATE,)),
    ("run", (FactKind.PROD, FactKind.DEV)),
    ("test", (FactKind.TEST,)),
)


def build_howto(
    header: Header, assembly: Assembly, kind: KindJudgment, gaps: list[Gap]
) -> dict[str, Any]:
    """The ``target_howto.json`` document as plain data."""
    env = assembly.of(FactKind.ENV_VAR)
    return {
        **header_json(header),
        "kind": kind.value,
        "prerequisites": {
            "runtimes": [_ref(c) for c in assembly.of(FactKind.RUNTIME)],
            "package_managers": [
                _ref(c) for c in assembly.of(FactKind.PACKAGE_MANAGER)
            ],
            "services": [_ref(c) for c in assembly.of(FactKind.SERVICE)],
        },
        "configure": {
            "required_env": [_ref(c) for c in env if c.attrs.get("required") is True],
            "optional_env": [
                _ref(c) for c in env if c.attrs.get("required") is not True
            ],
        },
        "steps": [_step(phase, kinds, assembly) for phase, kinds in PHASES],
        "ports": [int(c.key) for c in assembly.of(FactKind.PORT)],
        "open_questions": [gap.question + " " + gap.detail for gap in gaps],
    }


def _step(
    phase: str, kinds: tuple[FactKind, ...], assembly: Assembly
) -> dict[str, Any]:
    claims = [c for kind in kinds for c in assembly.of(kind)]
    if not claims:
        return {
            "phase": phase,
            "command": None,
            "cwd": "",
            "status": "UNKNOWN",
            "claim": None,
            "evidence": [],
            "unknown_reason": f"no {phase} step found in the repository",
        }
    best = claims[0]
    return {
        "phase": phase,
        "command": best.key,
        "cwd": best.cwd,
        "status": str(best.status),
        "claim": best.id,
        "evidence": evidence_json(best.evidence[:2]),
    }


def _ref(claim: Claim) -> dict[str, Any]:
    return {
        "name": claim.key,
        "claim": claim.id,
        "status": str(claim.status),
        "evidence": evidence_json(claim.evidence[:1]),
    }
