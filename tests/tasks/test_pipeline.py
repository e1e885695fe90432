"""The run task end to end: real Postgres, Redis, Celery workers and a git
server on loopback. Each error code is produced by a real condition."""

import hashlib
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import select

from pta_tasks.models import RunOutput
from pta_tasks.runs import cancel_run, list_outputs, read_output

from .conftest import GIT_TOKEN, fake_repo
from .gitserver import GitHttpServer, git
from .service import Service

pytestmark = pytest.mark.slow

DOSSIER = [
    "DOSSIER.md",
    "claims.json",
    "coverage.json",
    "operate.json",
    "target_howto.json",
]


def _leftover_workdirs(service: Service) -> list[str]:
    tmp = service.settings.tmp_dir
    return sorted(p.name for p in tmp.glob("run-*")) if tmp.exists() else []


def test_a_run_goes_from_submit_to_stored_outputs(
    service: Service, git_server: GitHttpServer
) -> None:
    service.start_worker()

    run_id = service.submit(git_server.url("acme/app.git"), ref="main")
    run = service.wait(run_id)

    assert run["status"] == "SUCCEEDED", run
    assert run["error"] is None
    assert len(run["commit_sha"]) == 40
    assert run["summary"]
    assert run["job"]["status"] == "DONE"
    outputs = list_outputs(service.factory, run_id)
    assert [o["name"] for o in outputs] == DOSSIER
    for output in outputs:
        content, _media, sha = read_output(service.factory, run_id, output["name"])
        assert hashlib.sha256(content).hexdigest() == sha == output["sha256"]
        assert len(content) == output["size_bytes"]
    operate, _media, _sha = read_output(service.factory, run_id, "operate.json")
    target = json.loads(operate)["target"]
    assert target["name"] == "app"
    assert target["url"] == git_server.url("acme/app.git")
    assert target["commit"] == run["commit_sha"]
    assert _leftover_workdirs(service) == []


def test_a_second_submit_of_the_same_commit_is_the_same_run(
    service: Service, git_server: GitHttpServer
) -> None:
    service.start_worker()
    first = service.wait(service.submit(git_server.url("acme/app.git")))

    again = service.submit(git_server.url("acme/app.git"), ref=first["commit_sha"])

    assert str(again) == first["id"]


@pytest.mark.parametrize(
    ("path", "ref", "code"),
    [
        ("acme/missing.git", None, "REPO_NOT_FOUND"),
        ("private/app.git", None, "AUTH_REQUIRED"),
        ("acme/app.git", "no-such-branch", "REF_NOT_FOUND"),
        ("acme/bad-checkout.git", None, "GIT_CHECKOUT_FAILED"),
        ("throttled/big.git", None, "REPO_TOO_LARGE"),
        ("acme/many.git", None, "TOO_MANY_FILES"),
    ],
)
def test_permanent_failures_fail_at_once_with_their_code(
    service: Service, git_server: GitHttpServer, path: str, ref: str | None, code: str
) -> None:
    service.start_worker(GITHUB_TOKEN="")

    run = service.wait(service.submit(git_server.url(path), ref=ref))

    assert run["status"] == "FAILED"
    assert run["error_code"] == code
    assert run["error"].startswith(f"{code}: ")
    assert run["attempts"] == 1
    assert run["job"]["status"] == "DEAD"
    assert _leftover_workdirs(service) == []


def test_download_is_stopped_by_the_byte_budget(
    service: Service, git_server: GitHttpServer
) -> None:
    service.start_worker()

    run = service.wait(service.submit(git_server.url("throttled/big.git")))

    assert run["error_code"] == "REPO_TOO_LARGE"
    assert "download passed" in run["error"]


def test_token_reaches_git_through_the_environment_only(
    service: Service, git_server: GitHttpServer
) -> None:
    worker = service.start_worker()

    run = service.wait(service.submit(git_server.url("private/app.git")))

    assert run["status"] == "SUCCEEDED", run
    assert GIT_TOKEN not in worker.output()
    assert GIT_TOKEN not in str(run)


def test_clone_that_hangs_is_stopped_by_its_time_limit(
    service: Service, git_server: GitHttpServer
) -> None:
    service.start_worker(CLONE_TIMEOUT_MS="1500")

    run = service.wait(service.submit(git_server.url("hang/app.git")))

    assert run["error_code"] == "CLONE_TIMEOUT"
    assert run["attempts"] == 1


def test_network_failure_is_retried_then_max_attempts_exceeded(
    service: Service,
) -> None:
    service.start_worker()

    # Nothing listens on port 9 of loopback: connection refused, a transient
    # failure.
    run = service.wait(service.submit("http://127.0.0.1:9/acme/app.git"))

    assert run["error_code"] == "MAX_ATTEMPTS_EXCEEDED"
    assert "GIT_CLONE_FAILED" in run["error"]
    assert run["attempts"] == 2


def test_low_disk_space_is_retried_then_reported(
    service: Service, git_server: GitHttpServer
) -> None:
    # A floor of the whole volume can never be met.
    service.start_worker(CI_MIN_FREE_BYTES=str(2**62), CI_MIN_FREE_PERCENT="100")

    run = service.wait(service.submit(git_server.url("acme/app.git")))

    assert run["error_code"] == "LOW_DISK_SPACE"
    assert run["attempts"] == 2


def test_unusable_tmp_dir_is_workdir_invalid(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    service.start_worker(CI_TMP_DIR=str(not_a_dir / "ci"))

    run = service.wait(service.submit(git_server.url("acme/app.git")))

    assert run["error_code"] == "WORKDIR_INVALID"


def test_workdir_symlinked_outside_is_workdir_escape(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    run_id = service.submit(git_server.url("acme/app.git"))
    outside = tmp_path / "outside"
    outside.mkdir()
    service.settings.tmp_dir.mkdir(parents=True)
    (service.settings.tmp_dir / f"run-{run_id}").symlink_to(outside)
    service.start_worker()

    run = service.wait(run_id)

    assert run["error_code"] == "WORKDIR_ESCAPE"
    assert outside.is_dir() and list(outside.iterdir()) == []


def test_analyzer_past_its_time_limit_is_analyzer_timeout(
    service: Service, git_server: GitHttpServer
) -> None:
    url = fake_repo(git_server, "sleepy", {"sleep": 30})
    service.start_worker(
        CI_ANALYZER_MODULE="tests.tasks.fake_analyzer", ANALYZER_TIMEOUT_MS="1500"
    )

    run = service.wait(service.submit(url))

    assert run["error_code"] == "ANALYZER_TIMEOUT"


def test_analyzer_over_its_memory_limit_is_analyzer_crashed(
    service: Service, git_server: GitHttpServer
) -> None:
    service.start_worker(ANALYZER_MEMORY_MB="8")

    run = service.wait(service.submit(git_server.url("acme/app.git")))

    assert run["error_code"] == "ANALYZER_CRASHED"


def test_invalid_dossier_is_analyzer_schema_invalid(
    service: Service, git_server: GitHttpServer
) -> None:
    url = fake_repo(git_server, "invalid", {"mode": "invalid"})
    service.start_worker(CI_ANALYZER_MODULE="tests.tasks.fake_analyzer")

    run = service.wait(service.submit(url))

    assert run["error_code"] == "ANALYZER_SCHEMA_INVALID"
    with service.factory() as session:
        stored = session.scalars(select(RunOutput.name)).all()
    assert stored == []


def test_cancel_stops_a_running_analysis_and_its_processes(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    pidfile = tmp_path / "analyzer.pid"
    url = fake_repo(git_server, "cancel-me", {"sleep": 60, "pidfile": str(pidfile)})
    service.start_worker(CI_ANALYZER_MODULE="tests.tasks.fake_analyzer")
    run_id = service.submit(url)
    _wait_for_file(pidfile)

    cancel_run(service.factory, run_id)
    run = service.wait(run_id)

    assert run["status"] == "CANCELED"
    assert run["error_code"] == "CANCELED"
    assert run["job"]["status"] == "DEAD"
    assert not _alive(int(pidfile.read_text()))
    assert _leftover_workdirs(service) == []


def _wait_for_file(path: Path, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    while not (path.exists() and path.read_text()):
        assert time.monotonic() < deadline, f"{path} never written"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    import time

    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        try:
            # Reap nothing (not our child), but a zombie counts as gone.
            status = Path(f"/proc/{pid}/stat").read_text().split()[2]
            if status == "Z":
                return False
        except FileNotFoundError:
            return False
        time.sleep(0.05)
    return True


def test_disabled_worker_refuses_to_start(service: Service) -> None:
    import subprocess
    import sys

    env = service.env | {"CI_WORKER_ENABLED": "false"}
    done = subprocess.run(
        [sys.executable, "-m", "pta_tasks", "worker"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert done.returncode == 3
    assert "CI_WORKER_ENABLED is false" in done.stderr


def test_symlinks_in_the_repository_never_reach_outside_on_cleanup(
    service: Service, git_server: GitHttpServer, tmp_path: Path
) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    (victim / "keep.txt").write_text("precious\n")
    work = tmp_path / "links"
    git("init", "-q", "-b", "main", str(work))
    (work / "app.py").write_text("print('hi')\n")
    (work / "escape").symlink_to(victim)
    (work / "file-escape").symlink_to(victim / "keep.txt")
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "links", cwd=work)
    git("clone", "-q", "--bare", str(work), str(git_server.root / "acme/links.git"))
    service.start_worker()

    run = service.wait(service.submit(git_server.url("acme/links.git")))

    assert run["status"] in ("SUCCEEDED", "FAILED")
    assert (victim / "keep.txt").read_text() == "precious\n"
    assert _leftover_workdirs(service) == []
