"""The output contract: schemas, evidence hashes, determinism, no secret values."""

import json
import re
import shutil
from pathlib import Path

import pytest

from pta_analyzer import validate
from pta_analyzer.api import analyze_repository
from pta_analyzer.validate import ALL_OUTPUTS, iter_evidence, validate_dossier

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo-service"
PLANTED_SECRET = "AKIAIOSFODNN7EXAMPLQ"
PLANTED_PASSWORD = "s3cr3t-Pa55w0rd-9f8e7d"


@pytest.fixture
def demo_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "demo"
    shutil.copytree(DEMO, repo)
    return repo


def test_dossier_has_every_output_and_validates(
    demo_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"

    analyze_repository(demo_repo, out)

    assert sorted(p.name for p in out.iterdir()) == sorted(ALL_OUTPUTS)
    assert validate_dossier(out, demo_repo) == []


def test_every_evidence_hash_matches_the_cited_lines(
    demo_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    analyze_repository(demo_repo, out)

    operate = json.loads((out / "operate.json").read_text())
    evidence = list(iter_evidence(operate))

    assert len(evidence) > 10
    for item in evidence:
        lines = (demo_repo / item["path"]).read_bytes().decode().splitlines()
        cited = "\n".join(lines[item["line_start"] - 1 : item["line_end"]])
        import hashlib

        assert hashlib.sha256(cited.encode()).hexdigest() == item["snippet_hash"]


def test_validate_catches_a_changed_cited_line(demo_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyze_repository(demo_repo, out)
    procfile = demo_repo / "Procfile"
    procfile.write_text(procfile.read_text().replace("gunicorn", "uwsgi"))

    problems = validate_dossier(out, demo_repo)

    assert any("Procfile:1" in p and "snippet_hash" in p for p in problems)


def test_a_changed_line_is_reported_in_every_document_citing_it(
    demo_repo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    analyze_repository(demo_repo, out)
    documents = {
        name: json.loads((out / name).read_text())
        for name in ("operate.json", "claims.json")
    }
    procfile = demo_repo / "Procfile"
    procfile.write_text(procfile.read_text().replace("gunicorn", "uwsgi"))

    problems = validate.document_problems(documents, demo_repo)

    for name in documents:
        assert any(p.startswith(f"{name}: Procfile:1") for p in problems)


def test_validate_catches_a_schema_violation(demo_repo: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    analyze_repository(demo_repo, out)
    operate = json.loads((out / "operate.json").read_text())
    del operate["boot"]["ports"]
    (out / "operate.json").write_text(json.dumps(operate))

    problems = validate_dossier(out, None)

    assert any(p.startswith("operate.json: boot") and "'ports'" in p for p in problems)


@pytest.mark.parametrize("valid", [True, False])
def test_schema_problems_are_the_same_without_the_compiled_validator(
    demo_repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, valid: bool
) -> None:
    out = tmp_path / "out"
    analyze_repository(demo_repo, out)
    operate = json.loads((out / "operate.json").read_text())
    if not valid:
        operate["boot"]["ports"] = "8000"
    with_fast = validate.schema_problems("operate.json", operate)

    monkeypatch.setattr(validate, "_fast_validator", lambda _name: None)
    without_fast = validate.schema_problems("operate.json", operate)

    assert with_fast == without_fast
    assert bool(with_fast) is not valid


def test_same_repository_gives_identical_outputs(
    demo_repo: Path, tmp_path: Path
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"

    analyze_repository(demo_repo, first, run_id="run")
    analyze_repository(demo_repo, second, run_id="run")

    for name in ALL_OUTPUTS:
        a = _without_timestamp((first / name).read_text())
        b = _without_timestamp((second / name).read_text())
        assert a == b, name


def test_committed_secret_values_appear_in_no_output(
    demo_repo: Path, tmp_path: Path
) -> None:
    (demo_repo / "settings.py").write_text(
        f'AWS_ACCESS_KEY_ID = "{PLANTED_SECRET}"\n'
        f'DB_PASSWORD = "{PLANTED_PASSWORD}"\n'
        f'DATABASE_URL = "postgres://app:{PLANTED_PASSWORD}@db/app"\n'
    )
    (demo_repo / ".env").write_text(f"SECRET_KEY={PLANTED_PASSWORD}\n")
    out = tmp_path / "out"

    analyze_repository(demo_repo, out)

    for name in ALL_OUTPUTS:
        text = (out / name).read_text()
        assert PLANTED_SECRET not in text, name
        assert PLANTED_PASSWORD not in text, name


def test_output_directory_inside_the_target_is_not_analyzed(demo_repo: Path) -> None:
    out = demo_repo / "dossier"
    analyze_repository(demo_repo, out)

    analyze_repository(demo_repo, out)

    coverage = json.loads((out / "coverage.json").read_text())
    listed = {e["path"] for e in coverage["skipped"]}
    assert not any(path.startswith("dossier/") for path in listed)
    assert coverage["files_listed"] == len(
        [p for p in demo_repo.rglob("*") if p.is_file() and "dossier" not in p.parts]
    )


def _without_timestamp(text: str) -> str:
    text = re.sub(r'"generated_at": "[^"]+"', '"generated_at": ""', text)
    return re.sub(r"at \d{4}-\d\d-\d\dT[\d:]+Z", "at T", text)


def test_empty_manifest_is_cited_and_validates(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "tools").mkdir(parents=True)
    (repo / "go.mod").write_text("module example.com/app\n\ngo 1.22\n")
    (repo / "main.go").write_text("package main\n\nfunc main() {}\n")
    (repo / "tools" / "go.mod").write_text("")
    (repo / "requirements.txt").write_text("")
    out = tmp_path / "out"

    analyze_repository(repo, out)

    assert validate_dossier(out, repo) == []
