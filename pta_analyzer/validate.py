"""Validation of a dossier: its schemas, and every evidence hash against the files.

Used twice: before the analyzer writes anything (a document that fails its
own schema is a bug and nothing is written), and by ``pta validate`` to
re-check a dossier later, possibly on another machine, against a checkout.
"""

import hashlib
import json
import logging
import os
import pkgutil
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pta_analyzer.evidence import hash_snippet, split_lines
from pta_analyzer.index import decode_bytes

if TYPE_CHECKING:
    import jsonschema_rs
    from jsonschema import Draft202012Validator

logger = logging.getLogger(__name__)

JSON_OUTPUTS: dict[str, str] = {
    "operate.json": "operate.schema.json",
    "target_howto.json": "target_howto.schema.json",
    "claims.json": "claims.schema.json",
    "coverage.json": "coverage.schema.json",
}
MARKDOWN_OUTPUT = "DOSSIER.md"
ALL_OUTPUTS = (*JSON_OUTPUTS, MARKDOWN_OUTPUT)
MAX_PROBLEMS = 50
_CHECKED_FIELDS = (
    "path", "kind", "line_start", "line_end", "snippet_hash", "file_sha256"
)  # fmt: skip


def schema_problems(name: str, document: Any) -> list[str]:
    """Schema violations of one output document, as ``file: path: message``.

    A compiled validator answers first when it is installed; only a document
    it rejects is checked again by jsonschema, whose verdict and messages are
    the ones reported.
    """
    fast = _fast_validator(JSON_OUTPUTS[name])
    if fast is not None and fast.is_valid(document):
        return []

    validator = _validator(JSON_OUTPUTS[name])
    problems = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path)):
        where = "/".join(str(part) for part in error.absolute_path) or "(root)"
        problems.append(f"{name}: {where}: {error.message}")
        if len(problems) >= MAX_PROBLEMS:
            break
    return problems


def evidence_problems(name: str, document: Any, repo: Path) -> list[str]:
    """Evidence in ``document`` whose lines or file hash differ from ``repo``."""
    return _evidence_problems(name, document, _EvidenceChecker(repo.resolve()))


def document_problems(documents: Mapping[str, Any], repo: Path) -> list[str]:
    """Schema and evidence problems of each document, in order.

    A file cited by several documents is read and hashed once.
    """
    checker = _EvidenceChecker(repo.resolve())
    problems: list[str] = []
    for name, document in documents.items():
        problems.extend(schema_problems(name, document))
        problems.extend(_evidence_problems(name, document, checker))
    return problems


def _evidence_problems(
    name: str, document: Any, checker: "_EvidenceChecker"
) -> list[str]:
    problems = []
    for evidence in iter_evidence(document):
        problem = checker.check(evidence)
        if problem:
            problems.append(f"{name}: {problem}")
            if len(problems) >= MAX_PROBLEMS:
                break
    return problems


def validate_dossier(out_dir: Path, repo: Path | None) -> list[str]:
    """Every problem of the dossier in ``out_dir``; empty when it is valid.

    With ``repo``, every evidence hash is re-checked against that checkout.
    """
    problems: list[str] = []
    checker = _EvidenceChecker(repo.resolve()) if repo is not None else None
    for name in ALL_OUTPUTS:
        if not (out_dir / name).is_file():
            problems.append(f"{name}: missing")
    for name in JSON_OUTPUTS:
        path = out_dir / name
        if not path.is_file():
            continue
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            problems.append(f"{name}: not readable JSON: {error}")
            continue
        problems.extend(schema_problems(name, document))
        if checker is not None:
            problems.extend(_evidence_problems(name, document, checker))
    return problems[:MAX_PROBLEMS]


def iter_evidence(node: Any) -> Iterator[dict[str, Any]]:
    """Every evidence object anywhere in a JSON document, in document order."""
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            if "snippet_hash" in item and "path" in item:
                yield item
            pending.extend(reversed(item.values()))
        elif isinstance(item, list):
            pending.extend(reversed(item))


class _EvidenceChecker:
    """Re-reads cited files once each and compares hashes.

    Evidence cited again (by another claim or document) gets the verdict
    computed the first time.
    """

    def __init__(self, repo: Path) -> None:
        self._repo = repo
        self._inside = str(repo).rstrip(os.sep) + os.sep  # how paths below start
        self._files: dict[str, tuple[bytes, list[str]] | None] = {}
        self._file_hashes: dict[str, str] = {}
        self._verdicts: dict[str, str] = {}

    def check(self, evidence: dict[str, Any]) -> str:
        key = repr(  # repr: a malformed dossier may hold unhashable values
            [evidence.get(name) for name in _CHECKED_FIELDS]
        )
        if key not in self._verdicts:
            self._verdicts[key] = self._check(evidence)
        return self._verdicts[key]

    def _check(self, evidence: dict[str, Any]) -> str:
        path = str(evidence.get("path", ""))
        loaded = self._load(path)
        if loaded is None:
            return (
                f"{path}: cited file is missing, unreadable or outside the repository"
            )
        data, lines = loaded
        if not lines and evidence.get("kind") == "file":
            lines = [""]  # an empty file's evidence cites its one empty line

        start, end = int(evidence["line_start"]), int(evidence["line_end"])
        if start < 1 or end < start or end > len(lines):
            return f"{path}:{start}-{end}: lines out of range ({len(lines)} lines)"
        if hash_snippet(lines[start - 1 : end]) != evidence["snippet_hash"]:
            return f"{path}:{start}-{end}: snippet_hash does not match the file"
        expected_file_hash = evidence.get("file_sha256")
        if expected_file_hash and self._file_hash(path, data) != expected_file_hash:
            return f"{path}: file_sha256 does not match the file"
        return ""

    def _file_hash(self, path: str, data: bytes) -> str:
        if path not in self._file_hashes:
            self._file_hashes[path] = hashlib.sha256(data).hexdigest()
        return self._file_hashes[path]

    def _load(self, path: str) -> tuple[bytes, list[str]] | None:
        if path not in self._files:
            self._files[path] = self._read(path)
        return self._files[path]

    def _read(self, path: str) -> tuple[bytes, list[str]] | None:
        # A string, not a Path: Path.resolve and Path.parents take longer.
        full = os.path.realpath(self._repo / path)
        if not full.startswith(self._inside):
            return None
        try:
            with open(full, "rb") as file:
                data = file.read()
        except OSError:
            return None
        decoded = decode_bytes(data)
        if decoded is None:
            return (data, [])
        text, _encoding, bom = decoded
        return (data, split_lines(bom + text))


@cache
def _fast_validator(schema_name: str) -> "jsonschema_rs.Validator | None":
    """The schema compiled by jsonschema-rs, or None when it is not installed.

    It checks formats, so it is no more lenient than jsonschema's checker.
    """
    registry = _fast_registry()
    if registry is None:
        return None

    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(
        _load_schema(schema_name), registry=registry, validate_formats=True
    )


@cache
def _fast_registry() -> "jsonschema_rs.Registry | None":
    """Every schema, for jsonschema-rs to resolve references; None without it."""
    try:
        import jsonschema_rs
    except ImportError:
        return None

    names = (*JSON_OUTPUTS.values(), "common.schema.json")
    return jsonschema_rs.Registry(
        [(_load_schema(name).get("$id", name), _load_schema(name)) for name in names]
    )


@cache
def _validator(schema_name: str) -> "Draft202012Validator":
    # Imported here: jsonschema takes longer to import than most runs spend
    # validating, and it is only needed for a document that fails.
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource

    registry: Registry[Any] = Registry()
    for name in (*JSON_OUTPUTS.values(), "common.schema.json"):
        resource = Resource.from_contents(_load_schema(name))
        registry = registry.with_resource(resource.id() or name, resource)
    schema = _load_schema(schema_name)
    return Draft202012Validator(
        schema, registry=registry, format_checker=FormatChecker()
    )


@cache
def _load_schema(name: str) -> dict[str, Any]:
    # pkgutil reads through the package's loader as importlib.resources does,
    # without importing and setting up importlib.resources (4 ms a run).
    data = pkgutil.get_data("pta_schemas", name)
    if data is None:
        raise FileNotFoundError(f"pta_schemas/{name}: its loader reads no files")
    loaded: dict[str, Any] = json.loads(data)
    return loaded
