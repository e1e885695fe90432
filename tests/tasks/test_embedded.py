"""The embedded default: no DATABASE_URL, no REDIS_URL; ``pta serve`` runs the
API, a worker and beat on a SQLite file and a file-backed broker."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from .gitserver import git
from .service import REPO_ROOT

pytestmark = pytest.mark.slow

SERVICE_VARS = ("DATABASE_URL", "REDIS_URL", "PTA_ENV", "API_KEYS", "ADMIN_KEY")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _local_repo(path: Path) -> None:
    path.mkdir()
    (path / "app.py").write_text("print('hello')\n")
    git("init", "-q", "-b", "main", str(path))
    git("add", "-A", cwd=path)
    git("commit", "-q", "-m", "initial", cwd=path)


def _status(db: Path, run_id: str) -> str | None:
    if not db.exists():
        return None
    with sqlite3.connect(db) as connection:
        row = connection.execute(
            "SELECT status FROM ci_runs WHERE id = ?", (run_id.replace("-", ""),)
        ).fetchone()
    return None if row is None else str(row[0])


def test_serve_runs_the_whole_service_without_servers(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in SERVICE_VARS}
    env |= {
        "PTA_STATE_DIR": str(tmp_path / "state"),
        "CI_TMP_DIR": str(tmp_path / "ci"),
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "CI_MIN_FREE_BYTES": "1",
        "PYTHONPATH": str(REPO_ROOT),
    }
    repo = tmp_path / "demo"
    _local_repo(repo)
    log = (tmp_path / "serve.log").open("wb")
    serve = subprocess.Popen(
        [sys.executable, "-m", "pta_tasks", "serve"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(3)  # the SQLite file is migrated by serve
        submitted = subprocess.run(
            [sys.executable, "-m", "pta_tasks", "submit", str(repo)],
            env=env, capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        run_id = json.loads(submitted.stdout)["run_id"]
        db = tmp_path / "state" / "pta.db"
        deadline = time.monotonic() + 90
        while _status(db, run_id) not in ("SUCCEEDED", "FAILED"):
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.2)
        assert _status(db, run_id) == "SUCCEEDED", (tmp_path / "serve.log").read_text()

        url = f"http://127.0.0.1:{port}/api/ci/runs/{run_id}"
        with urllib.request.urlopen(url, timeout=10) as response:
            shown = json.loads(response.read())
        assert shown["status"] == "SUCCEEDED"
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=30)
        log.close()
    assert code == 0
