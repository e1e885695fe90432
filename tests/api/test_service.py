"""The whole service as a new user meets it: ``pta-api``, a real Celery worker,
Postgres, Redis, and repositories served by ``git daemon`` on loopback."""

import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import (
    WEBHOOK_SECRET,
    ApiServer,
    Client,
    free_port,
    server_env,
)

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PTA = Path(sys.executable).parent / "pta"
RUN_TIMEOUT_S = 120
GIT_ENV = {
    "GIT_AUTHOR_NAME": "PTA Test",
    "GIT_AUTHOR_EMAIL": "test@pta.invalid",
    "GIT_COMMITTER_NAME": "PTA Test",
    "GIT_COMMITTER_EMAIL": "test@pta.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}
APP_FILES = {
    "app.py": "from flask import Flask\n\napp = Flask(__name__)\n",
    "requirements.txt": "flask==3.1.0\n",
    "README.md": "# demo\n\nRun `flask run`.\n",
}


def git(*args: str, cwd: Path | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=dict(os.environ) | GIT_ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def publish(root: Path, name: str, files: dict[str, str]) -> str:
    """Commit ``files`` to the bare repository ``root/name``; return the commit."""
    work = root.parent / "work" / name
    if not work.exists():
        work.mkdir(parents=True)
        git("init", "-q", "-b", "main", str(work))
    for rel, content in files.items():
        (work / rel).write_text(content)
    git("add", "-A", cwd=work)
    git("commit", "-q", "-m", "change", cwd=work)
    if not (root / name).exists():
        git("init", "-q", "--bare", str(root / name))
    git("push", "-q", str(root / name), "main", cwd=work)
    return git("rev-parse", "HEAD", cwd=work)


class Service:
    """A git daemon, a worker and an API sharing one configuration."""

    def __init__(self, tmp: Path, pg_url: str, redis_url: str) -> None:
        self.repos = tmp / "srv"
        self.repos.mkdir()
        self.git_port = free_port()
        self.env = server_env(
            pg_url,
            redis_url,
            tmp,
            CI_ANALYZER_MODULE="tests.api.slow_analyzer",
            CI_HEARTBEAT_S="0.5",
            CI_HEARTBEAT_TIMEOUT_S="5",
            PYTHONPATH=str(ROOT),
        )
        self.api = ApiServer(self.env, tmp / "api.log")
        self.worker_log = tmp / "worker.log"
        self.processes: list[subprocess.Popen[bytes]] = []

    def url(self, name: str) -> str:
        return f"git://127.0.0.1:{self.git_port}/{name}"

    def start(self) -> "Service":
        self._spawn(
            [
                "git", "daemon", "--reuseaddr", "--export-all",
                f"--base-path={self.repos}", "--listen=127.0.0.1",
                f"--port={self.git_port}", str(self.repos),
            ],
            self.worker_log.with_name("git.log"),
        )  # fmt: skip
        self._spawn([str(PTA), "worker", "--concurrency", "1"], self.worker_log)
        self.api.start()
        return self

    def stop(self) -> None:
        self.api.stop()
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _spawn(self, argv: list[str], log_path: Path) -> None:
        environ = {k: v for k, v in os.environ.items() if not k.startswith("PTA_")}
        with log_path.open("wb") as log:
            self.processes.append(
                subprocess.Popen(
                    argv,
                    env=environ | self.env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=ROOT,
                    start_new_session=True,
                )
            )


@pytest.fixture(scope="module")
def service(
    pg_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    running = Service(tmp_path_factory.mktemp("service"), pg_url, redis_url).start()
    yield running
    running.stop()


def wait_for(client: Client, run_url: str, statuses: set[str]) -> dict[str, Any]:
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while time.monotonic() < deadline:
        run: dict[str, Any] = client.session.get(run_url, timeout=30).json()
        if run["status"] in statuses:
            return run
        time.sleep(0.3)
    raise AssertionError(f"run still {run['status']} after {RUN_TIMEOUT_S} s")


def test_submitted_repository_is_analyzed_and_its_dossier_served(
    service: Service,
) -> None:
    commit = publish(service.repos, "demo.git", APP_FILES)
    client = Client(service.api)

    submitted = client.post(
        "/api/ci/enqueue", json={"repo_url": service.url("demo.git"), "ref": "main"}
    )
    run = wait_for(client, submitted.json()["url"], {"SUCCEEDED", "FAILED"})
    listing = client.session.get(submitted.json()["url"] + "/outputs", timeout=30)
    operate = client.get(f"/api/ci/runs/{run['id']}/outputs/operate.json")
    dossier = client.get(f"/api/ci/runs/{run['id']}/outputs/DOSSIER.md")

    assert submitted.status_code == 202
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["commit_sha"] == commit
    names = {item["name"] for item in listing.json()["outputs"]}
    assert {"operate.json", "DOSSIER.md"} <= names
    assert operate.headers["Content-Type"] == "application/json"
    assert operate.headers["ETag"] == f'"{hashlib.sha256(operate.content).hexdigest()}"'
    assert operate.json()["run_id"] == run["id"]
    assert dossier.headers["Content-Type"].startswith("text/markdown")
    assert commit in dossier.text


def test_hand_signed_push_delivery_is_analyzed(service: Service) -> None:
    commit = publish(service.repos, "hooked.git", APP_FILES)
    payload = {
        "ref": "refs/heads/main",
        "after": commit,
        "deleted": False,
        "repository": {"full_name": "acme/app", "clone_url": service.url("hooked.git")},
    }
    body = json.dumps(payload).encode()
    digest = hmac.new(WEBHOOK_SECRET.encode(), body, hashlib.sha256).hexdigest()
    github = Client(service.api, key=None)

    delivered = github.post(
        "/api/webhooks/github",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "hand-signed-1",
            "X-Hub-Signature-256": f"sha256={digest}",
        },
    )
    run = wait_for(
        Client(service.api), delivered.json()["url"], {"SUCCEEDED", "FAILED"}
    )

    assert delivered.status_code == 202
    assert run["status"] == "SUCCEEDED", run["error"]
    assert run["commit_sha"] == commit
    assert run["event_type"] == "github:push"


def test_cancel_stops_a_running_analysis_and_cleans_up(
    service: Service, tmp_path: Path
) -> None:
    pidfile = tmp_path / "analyzer.pid"
    slow = json.dumps({"sleep": 300, "pidfile": str(pidfile)})
    publish(service.repos, "slow.git", APP_FILES | {"pta-slow.json": slow})
    client = Client(service.api)
    submitted = client.post(
        "/api/ci/enqueue", json={"repo_url": service.url("slow.git"), "ref": "main"}
    )
    run_url = submitted.json()["url"]
    wait_for(client, run_url, {"RUNNING"})
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    analyzer_pid = int(pidfile.read_text())

    canceled = client.session.post(run_url + "/cancel", timeout=30)
    deadline = time.monotonic() + 30
    while _alive(analyzer_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    run = client.session.get(run_url, timeout=30).json()
    workdir = Path(service.env["CI_TMP_DIR"]) / f"run-{run['id']}"
    deadline = time.monotonic() + 30
    while (workdir.exists() or run["job"]["status"] == "IN_PROGRESS") and (
        time.monotonic() < deadline
    ):
        time.sleep(0.3)
        run = client.session.get(run_url, timeout=30).json()

    assert canceled.status_code == 200
    assert canceled.json()["status"] == "CANCELED"
    assert not _alive(analyzer_pid)
    assert run["status"] == "CANCELED"
    assert run["job"]["status"] != "IN_PROGRESS"
    assert not workdir.exists()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/stat")
    return status.exists() and ") Z " not in status.read_text()
