"""The command line: targets, refs, JSON summary, and every bad input's exit code."""

import gc
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from pta_analyzer.cli import main
from tests.analyzer.conftest import write_tree

APP = {
    "requirements.txt": "flask==3.0.0\n",
    "app.py": "from flask import Flask\napp = Flask(__name__)\n",
    "Procfile": "web: gunicorn app:app\n",
}


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@t",
                                *args], cwd=cwd, check=True, capture_output=True,
                               text=True)  # fmt: skip
    return completed.stdout.strip()


@pytest.fixture
def git_repo(tmp_path: Path) -> Path:
    repo = write_tree(tmp_path / "origin", APP)
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "v1")
    (repo / "Procfile").write_text("web: uvicorn app:app\n")
    git(repo, "commit", "-q", "-am", "second")
    return repo


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_analyze_directory_prints_where_the_dossier_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)

    status, out, err = run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"))

    assert status == 0, err
    assert f"Dossier written to {tmp_path / 'o'}" in out
    assert "gunicorn app:app" in out


def test_json_summary_is_machine_readable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)

    status, out, _ = run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"),
                         "--json", "--run-id", "r1")  # fmt: skip

    summary = json.loads(out)
    assert status == 0
    assert summary["run_id"] == "r1"
    assert summary["prod"] == "gunicorn app:app"


def test_file_url_at_a_tag_analyzes_that_commit(
    git_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = git_repo.as_uri()

    status, out, err = run(capsys, "analyze", url, "--ref", "v1", "-o",
                           str(tmp_path / "o"), "--json")  # fmt: skip

    summary = json.loads(out)
    assert status == 0, err
    assert summary["prod"] == "gunicorn app:app"
    assert summary["target"]["commit"] == git(git_repo, "rev-parse", "v1")


def test_local_repository_at_a_commit(
    git_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = git(git_repo, "rev-parse", "HEAD~1")

    status, out, _ = run(capsys, "analyze", str(git_repo), "--ref", first[:10], "-o",
                         str(tmp_path / "o"), "--json")  # fmt: skip

    assert status == 0
    assert json.loads(out)["target"]["commit"] == first


@pytest.mark.parametrize(
    ("target", "ref", "exit_code", "code"),
    [
        ("missing-dir", None, 3, "TARGET_NOT_FOUND"),
        ("a-file.txt", None, 4, "NOT_A_REPOSITORY"),
        ("plain-dir", "main", 4, "NOT_A_REPOSITORY"),
        ("ext::sh -c touch% /tmp/pwned", None, 5, "INVALID_TARGET"),
        ("ftp://example.invalid/repo.git", None, 5, "INVALID_TARGET"),
        ("file:///nonexistent/repo.git", None, 6, "REPO_UNREACHABLE"),
        ("git-repo", "no-such-branch", 7, "REF_NOT_FOUND"),
        ("git-repo", "0123456789abcdef", 7, "REF_NOT_FOUND"),
    ],
)
def test_bad_target_gets_one_line_error_and_its_exit_code(
    target: str, ref: str | None, exit_code: int, code: str, git_repo: Path,
    tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    (tmp_path / "a-file.txt").write_text("x\n")
    (tmp_path / "plain-dir").mkdir()
    places = {
        "a-file.txt": tmp_path / "a-file.txt",
        "plain-dir": tmp_path / "plain-dir",
        "missing-dir": tmp_path / "missing-dir",
        "git-repo": git_repo,
    }
    argv = ["analyze", str(places.get(target, target)), "-o", str(tmp_path / "o")]
    if ref:
        argv += ["--ref", ref]

    status, _, err = run(capsys, *argv)

    assert status == exit_code
    assert err.startswith(f"pta: {code}: ")
    assert len(err.strip().splitlines()) == 1
    assert not Path("/tmp/pwned").exists()


def test_output_path_that_is_a_file_is_unwritable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)
    (tmp_path / "taken").write_text("x\n")

    status, _, err = run(capsys, "analyze", str(repo), "-o", str(tmp_path / "taken"))

    assert status == 8
    assert err.startswith("pta: OUTPUT_UNWRITABLE: ")


def test_output_under_a_file_is_unwritable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)
    (tmp_path / "taken").write_text("x\n")

    status, _, err = run(
        capsys, "analyze", str(repo), "-o", str(tmp_path / "taken" / "o")
    )

    assert status == 8
    assert err.startswith("pta: OUTPUT_UNWRITABLE: ")


def test_validate_reports_problems_with_exit_9(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)
    run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"))
    (repo / "Procfile").write_text("web: something else\n")

    status, out, _ = run(capsys, "validate", str(tmp_path / "o"), "--repo", str(repo),
                         "--json")  # fmt: skip

    result = json.loads(out)
    assert status == 9
    assert result["valid"] is False
    assert any("Procfile:1" in p for p in result["problems"])


def test_validate_accepts_an_untouched_dossier(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)
    run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"))

    status, out, _ = run(capsys, "validate", str(tmp_path / "o"), "--repo", str(repo))

    assert status == 0
    assert "valid (schemas and evidence hashes)" in out


def test_builtin_commands_run_without_loading_plugins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_plugins(**_kwargs: object) -> list[object]:
        raise AssertionError("plugins loaded")

    monkeypatch.setattr(importlib.metadata, "entry_points", no_plugins)
    repo = write_tree(tmp_path / "repo", APP)

    analyzed, _, _ = run(capsys, "-v", "analyze", str(repo), "-o", str(tmp_path / "o"))
    validated, _, _ = run(capsys, "validate", str(tmp_path / "o"))

    assert (analyzed, validated) == (0, 0)


def test_plugin_commands_are_still_offered(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["db", "--help"])

    assert exited.value.code == 0
    assert "usage: pta db" in capsys.readouterr().out


def test_module_entry_point_runs_without_a_terminal(tmp_path: Path) -> None:
    repo = write_tree(tmp_path / "repo", APP)

    completed = subprocess.run(
        [sys.executable, "-m", "pta_analyzer", "analyze", str(repo), "-o",
         str(tmp_path / "o"), "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip

    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert json.loads(completed.stdout)["kind"] == "service"


def test_name_and_url_label_a_checkout_made_elsewhere(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)
    url = "https://github.com/acme/shop.git"

    status, out, _ = run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"),
                         "--json", "--name", "shop", "--url", url)  # fmt: skip

    operate = json.loads((tmp_path / "o" / "operate.json").read_text())
    assert status == 0
    assert operate["target"]["name"] == "shop"
    assert operate["target"]["url"] == url
    assert json.loads(out)["target"]["name"] == "shop"


def test_analyze_leaves_the_garbage_collector_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = write_tree(tmp_path / "repo", APP)

    status, _out, err = run(capsys, "analyze", str(repo), "-o", str(tmp_path / "o"))

    assert status == 0, err
    assert gc.isenabled()
