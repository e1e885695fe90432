"""Running the analyzer and its validator as bounded child processes.

The analyzer is used only through its command line:
``python -m pta_analyzer analyze DIR -o OUT --json --run-id ID`` and
``python -m pta_analyzer validate OUT --repo DIR --json``. Each runs with a
time limit (``ANALYZER_TIMEOUT_MS``) and an address-space limit
(``ANALYZER_MEMORY_MB``), in its own process group, with an environment that
holds no secret of the service.
"""

import hashlib
import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pta_tasks.errors import ErrorCode, RunError
from pta_tasks.limits import ChildGroup, ChildTimeout, Finished
from pta_tasks.settings import MIB, Settings

logger = logging.getLogger(__name__)

# The files every dossier has; a run missing one is invalid.
DOSSIER_FILES = (
    "operate.json",
    "target_howto.json",
    "claims.json",
    "coverage.json",
    "DOSSIER.md",
)
# Exit statuses of the analyzer that mean "the dossier is invalid".
INVALID_EXIT_CODES = frozenset({9, 10})
# Largest single output stored (bytes); a bigger one is an analyzer bug.
MAX_OUTPUT_BYTES = 64 * MIB
PASSED_ENV_NAMES = ("PATH", "LANG", "LC_ALL", "TZ", "PYTHONPATH")
MEDIA_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8"}


@dataclass(frozen=True)
class Output:
    """One stored output file."""

    name: str
    content: bytes
    sha256: str
    media_type: str


def run_analyzer(
    settings: Settings,
    children: ChildGroup,
    repo_dir: Path,
    out_dir: Path,
    run_id: str,
    environ: Mapping[str, str],
    url: str | None = None,
) -> dict[str, Any]:
    """Analyze ``repo_dir`` into ``out_dir``; return the printed summary.

    ``url`` (never with credentials) names the repository in the outputs.

    Raises ``ANALYZER_TIMEOUT``, ``ANALYZER_CRASHED`` (killed, out of memory,
    failed) or ``ANALYZER_SCHEMA_INVALID`` (invalid dossier or summary).
    """
    argv = [
        sys.executable, "-m", settings.analyzer_module, "analyze", str(repo_dir),
        "-o", str(out_dir), "--json", "--quiet", "--run-id", run_id,
        "--jobs", str(settings.analyzer_jobs),
    ]  # fmt: skip
    if url:
        name = url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
        argv += ["--url", url, "--name", name or "repository"]
    finished = _run(settings, children, argv, repo_dir.parent, environ, "analysis")
    if finished.returncode in INVALID_EXIT_CODES:
        raise RunError(_stderr_line(finished), ErrorCode.ANALYZER_SCHEMA_INVALID)
    if finished.returncode != 0:
        raise RunError(_crash_detail(finished), ErrorCode.ANALYZER_CRASHED)
    try:
        summary = json.loads(finished.stdout)
    except ValueError:
        summary = None
    if not isinstance(summary, dict):
        raise RunError(
            "the analyzer printed no JSON summary object",
            ErrorCode.ANALYZER_SCHEMA_INVALID,
        )
    return summary


def validate_outputs(
    settings: Settings,
    children: ChildGroup,
    repo_dir: Path,
    out_dir: Path,
    environ: Mapping[str, str],
) -> None:
    """Re-check schemas and evidence hashes with ``pta_analyzer validate``.

    The validator is always the real analyzer's, whatever module analyzed.
    Raises ``ANALYZER_SCHEMA_INVALID`` naming the first problems.
    """
    missing = [n for n in DOSSIER_FILES if not (out_dir / n).is_file()]
    if missing:
        raise RunError(
            f"missing outputs: {', '.join(missing)}", ErrorCode.ANALYZER_SCHEMA_INVALID
        )
    argv = [
        sys.executable, "-m", "pta_analyzer", "validate", str(out_dir),
        "--repo", str(repo_dir), "--json",
    ]  # fmt: skip
    finished = _run(settings, children, argv, repo_dir.parent, environ, "validation")
    if finished.returncode == 0:
        return
    if finished.returncode in INVALID_EXIT_CODES:
        raise RunError(_problems(finished), ErrorCode.ANALYZER_SCHEMA_INVALID)
    raise RunError(_crash_detail(finished), ErrorCode.ANALYZER_CRASHED)


def collect_outputs(out_dir: Path) -> list[Output]:
    """Every regular file under ``out_dir`` with its SHA-256 (no symlinks).

    Raises ``ANALYZER_SCHEMA_INVALID`` for a symlink or an oversized file.
    """
    outputs = []
    for path in sorted(out_dir.rglob("*")):
        name = path.relative_to(out_dir).as_posix()
        if path.is_symlink():
            raise RunError(f"{name} is a symlink", ErrorCode.ANALYZER_SCHEMA_INVALID)
        if not path.is_file():
            continue
        if path.stat().st_size > MAX_OUTPUT_BYTES:
            raise RunError(
                f"{name} is larger than {MAX_OUTPUT_BYTES} bytes",
                ErrorCode.ANALYZER_SCHEMA_INVALID,
            )
        content = path.read_bytes()
        outputs.append(
            Output(
                name=name,
                content=content,
                sha256=hashlib.sha256(content).hexdigest(),
                media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
            )
        )
    return outputs


def child_environment(home: Path, environ: Mapping[str, str]) -> dict[str, str]:
    """The analyzer's environment: the basics, no credential of the service."""
    env = {name: environ[name] for name in PASSED_ENV_NAMES if name in environ}
    return env | {"HOME": str(home), "PYTHONDONTWRITEBYTECODE": "1"}


def _run(
    settings: Settings,
    children: ChildGroup,
    argv: list[str],
    workdir: Path,
    environ: Mapping[str, str],
    what: str,
) -> Finished:
    timeout_s = settings.analyzer_timeout_ms / 1000
    try:
        return children.run(
            argv,
            cwd=workdir,
            env=child_environment(workdir / "home", environ),
            timeout_s=timeout_s,
            memory_bytes=settings.analyzer_memory_mb * MIB,
        )
    except ChildTimeout:
        raise RunError(
            f"{what} took more than {timeout_s:g} s (ANALYZER_TIMEOUT_MS)",
            ErrorCode.ANALYZER_TIMEOUT,
        ) from None


def _stderr_line(finished: Finished) -> str:
    lines = [line for line in finished.stderr_text.splitlines() if line.strip()]
    if not lines:
        return f"exit status {finished.returncode}"
    return lines[-1].removeprefix("pta: ")[:500]


def _crash_detail(finished: Finished) -> str:
    if finished.returncode < 0:
        return f"killed by signal {-finished.returncode}"
    text = finished.stderr_text
    if "MemoryError" in text or "Cannot allocate memory" in text:
        return f"out of memory (ANALYZER_MEMORY_MB), exit {finished.returncode}"
    return f"exit {finished.returncode}: {_stderr_line(finished)}"


def _problems(finished: Finished) -> str:
    try:
        report = json.loads(finished.stdout)
        problems = [str(p) for p in report.get("problems", [])]
    except (ValueError, AttributeError):
        problems = []
    if not problems:
        return _stderr_line(finished)
    shown = "; ".join(problems[:3])
    return f"{len(problems)} problem(s): {shown}"[:1000]
