"""Evidence checks against a checkout: only files inside the repository count."""

import hashlib
from pathlib import Path
from typing import Any

import pytest

from pta_analyzer.evidence import hash_snippet
from pta_analyzer.validate import evidence_problems

LINE = "PORT = 8000"


def cited(path: str) -> dict[str, Any]:
    """A document citing line 1 of ``path``, hashed as if it held ``LINE``."""
    return {
        "evidence": [
            {
                "path": path,
                "line_start": 1,
                "line_end": 1,
                "snippet_hash": hash_snippet([LINE]),
                "file_sha256": hashlib.sha256(f"{LINE}\n".encode()).hexdigest(),
                "display": LINE,
                "kind": "line",
            }
        ]
    }


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "settings.py").write_text(f"{LINE}\n")
    for outside in (tmp_path / "secret.py", tmp_path / "repo-other" / "settings.py"):
        outside.parent.mkdir(exist_ok=True)
        outside.write_text(f"{LINE}\n")
    (repo / "link.py").symlink_to(tmp_path / "secret.py")
    return repo


def test_evidence_inside_the_repository_verifies(repo: Path) -> None:
    assert evidence_problems("operate.json", cited("settings.py"), repo) == []


@pytest.mark.parametrize(
    "path", ["../secret.py", "../repo-other/settings.py", "link.py", "", "."]
)
def test_evidence_outside_the_repository_is_refused(repo: Path, path: str) -> None:
    problems = evidence_problems("operate.json", cited(path), repo)

    assert problems == [
        f"operate.json: {path}: cited file is missing, unreadable or outside the "
        "repository"
    ]
