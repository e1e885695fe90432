"""The analyzer's entry point: one repository directory in, one dossier out.

``analyze_repository`` walks, extracts, assembles, judges and renders, then
validates every document against its schema and every evidence hash against
the files before it writes anything. Each output is written to a temporary
name and renamed, so a dossier directory never holds half a file.
"""

import json
import logging
import math
import os
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import orjson

from pta_analyzer import tool_version
from pta_analyzer.assemble import assemble
from pta_analyzer.errors import OutputUnwritable, SchemaInvalid
from pta_analyzer.extract import ExtractorRun, run_all_extractors
from pta_analyzer.index import RepoIndex
from pta_analyzer.inventory import language_shares
from pta_analyzer.judge import Gap, find_gaps, judge_kind
from pta_analyzer.render.claims import build_claims
from pta_analyzer.render.common import Header, Target
from pta_analyzer.render.coverage import build_coverage
from pta_analyzer.render.dossier import build_dossier
from pta_analyzer.render.howto import build_howto
from pta_analyzer.render.operate import build_operate
from pta_analyzer.validate import document_problems
from pta_analyzer.walk import WalkLimits

logger = logging.getLogger(__name__)

Progress = Callable[[str], None]

# orjson and json spell a float alike from here up (json writes 1e-05 below).
SAME_SPELLING_MIN_FLOAT = 1e-4
# Most values of a document: written alike by both, checked by type alone.
_PLAIN_LEAVES = frozenset({str, int, bool, type(None)})


class AnalysisResult(NamedTuple):
    """Where the dossier is, and the summary printed by the command line."""

    out_dir: Path
    summary: dict[str, Any]


def analyze_repository(
    root: Path,
    out_dir: Path,
    *,
    target: Target | None = None,
    run_id: str | None = None,
    limits: WalkLimits | None = None,
    progress: Progress | None = None,
    jobs: int = 1,
) -> AnalysisResult:
    """Analyze the directory ``root`` and write its dossier into ``out_dir``.

    Raises OutputUnwritable when ``out_dir`` cannot be written, SchemaInvalid
    when a rendered document breaks its own schema or cites lines wrongly (a
    bug: nothing is written then). ``jobs`` processes run the extractors (the
    dossier is the same for any number).
    """
    started = time.monotonic()
    report = progress or (lambda _stage: None)
    root = root.resolve()
    limits = limits or WalkLimits(exclude_dirs=_excluded_output(root, out_dir))
    header = Header(
        tool_version=tool_version(),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        run_id=run_id or _random_run_id(),
        target=target or Target(name=root.name),
    )

    report("walk")
    index = RepoIndex(root, limits)
    report("extract")
    runs = run_all_extractors(index, jobs=jobs, progress=report)
    facts = [fact for run in runs for fact in run.facts]
    report("assemble")
    assembly = assemble(facts)
    kind = judge_kind(assembly)
    gaps = find_gaps(assembly, kind) + _failure_gaps(runs)
    index.sniff_unread()
    languages = language_shares(index)

    report("render")
    operate = build_operate(header, assembly, kind, languages, gaps)
    documents = {
        "operate.json": operate,
        "target_howto.json": build_howto(header, assembly, kind, gaps),
        "claims.json": build_claims(header, assembly),
        "coverage.json": build_coverage(
            header, index, limits, languages, [run.to_json() for run in runs]
        ),
    }
    report("validate")
    _check(documents, root)
    dossier = build_dossier(operate, documents["coverage.json"])

    report("write")
    _write_outputs(out_dir, documents, dossier)
    summary = _summary(header, out_dir, operate, time.monotonic() - started)
    logger.info(
        "analysis written", extra={"out_dir": str(out_dir), "run_id": header.run_id}
    )
    return AnalysisResult(out_dir=out_dir, summary=summary)


def _failure_gaps(runs: list[ExtractorRun]) -> list[Gap]:
    return [
        Gap(
            category="analysis",
            question=f"Are the {run.name} facts complete?",
            reason_code="EXTRACTOR_FAILED",
            detail=f"the {run.name} extractor failed ({run.error})",
            severity="medium",
            searched=[run.name],
            would_settle="a fixed analyzer; please report this error",
        )
        for run in runs
        if run.error
    ]


def _check(documents: dict[str, Any], root: Path) -> None:
    problems = document_problems(documents, root)
    if problems:
        raise SchemaInvalid("; ".join(problems[:5]))


def _write_outputs(out_dir: Path, documents: dict[str, Any], dossier: str) -> None:
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, document in documents.items():
            _write_atomically(
                out_dir / name,
                json_text(document),
            )
        _write_atomically(out_dir / "DOSSIER.md", dossier)
    except OSError as error:
        raise OutputUnwritable(f"{out_dir}: {error.strerror or error}") from error


def json_text(document: Any) -> str:
    """``document`` as the dossier holds it: indented by two spaces, non-ASCII
    characters as they are, and a newline at the end.

    The text is ``json.dumps(document, indent=2, ensure_ascii=False)``'s.
    orjson writes it (json's indenting encoder is pure Python) unless the
    document holds what orjson spells otherwise (a float below 1e-4 or not
    finite, a value of a type json does not know) or refuses (an integer
    past 64 bits, a key that is not a string, a lone surrogate).
    """
    if _spelled_alike(document):
        try:
            return orjson.dumps(
                document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE
            ).decode()
        except orjson.JSONEncodeError:
            logger.debug("document left to json")
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _spelled_alike(document: Any) -> bool:
    """True when json and orjson write every value in ``document`` the same way."""
    pending = [document]
    while pending:
        node = pending.pop()
        if type(node) in _PLAIN_LEAVES:
            continue
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list | tuple):
            pending.extend(node)
        elif not _leaf_spelled_alike(node):
            return False
    return True


def _leaf_spelled_alike(value: Any) -> bool:
    if isinstance(value, float):
        return value == 0.0 or SAME_SPELLING_MIN_FLOAT <= abs(value) < math.inf
    return isinstance(value, str | int)  # StrEnum and IntEnum members among them


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def _random_run_id() -> str:
    return uuid.uuid4().hex


def _excluded_output(root: Path, out_dir: Path) -> tuple[str, ...]:
    resolved = out_dir.resolve()
    if resolved == root or root not in resolved.parents:
        return ()
    return (resolved.relative_to(root).as_posix(),)


def _summary(
    header: Header, out_dir: Path, operate: dict[str, Any], seconds: float
) -> dict[str, Any]:
    boot = operate["boot"]

    def primary(section: str) -> str | None:
        items = [i for i in boot[section] if i["status"] != "UNKNOWN"]
        return items[0]["command"] if items else None

    return {
        "tool_version": header.tool_version,
        "run_id": header.run_id,
        "target": header.target.to_json(),
        "out_dir": str(out_dir),
        "kind": operate["snapshot"]["kind"]["value"],
        "languages": [lang["name"] for lang in operate["snapshot"]["languages"][:5]],
        "install": primary("install"),
        "dev": primary("dev"),
        "prod": primary("prod"),
        "test": primary("test"),
        "ports": [p["value"] for p in boot["ports"]],
        "env_vars": len(operate["integrate"]["env_vars"]),
        "services": [s["name"] for s in operate["services"]],
        "gaps": len(operate["gaps"]),
        "secrets": len(operate["secrets"]),
        "readiness": operate["readiness"]["score"],
        "duration_s": round(seconds, 3),
    }
