from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.errors import ErrorCode
from pta_tasks.models import RunStatus
from tests.api.conftest import ApiServer, Client, server_env
from tests.api.runs import make_run


def test_liveness_touches_nothing_and_needs_no_key(anonymous: Client) -> None:
    answer = anonymous.get("/health")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_api_health_reports_details_to_a_client(client: Client) -> None:
    answer = client.get("/api/health")

    body = answer.json()
    assert answer.status_code == 200
    assert body["status"] == "ok"
    assert body["db"] == "connected"
    assert body["ci_worker"] == "enabled"
    assert body["uptime"] >= 0
    assert body["timestamp"].endswith("+00:00")


def test_api_health_hides_details_without_a_key(anonymous: Client) -> None:
    answer = anonymous.get("/api/health")

    assert answer.status_code == 200
    assert answer.json() == {"status": "ok"}


def test_api_health_is_degraded_when_the_database_is_unreachable(
    redis_url: str, tmp_path: Path
) -> None:
    unreachable = "postgresql://postgres@127.0.0.1:1/nothing"
    env = server_env(unreachable, redis_url, tmp_path, CI_WORKER_ENABLED="false")
    server = ApiServer(env, tmp_path / "out.log").start()
    try:
        answer = Client(server).get("/api/health")
        runs = Client(server).get("/api/ci/runs")
        submission = Client(server).post(
            "/api/ci/enqueue", json={"repo_url": "http://127.0.0.1:9/acme/app.git"}
        )
    finally:
        server.stop()

    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "degraded"
    assert body["db"] == "disconnected"
    assert body["ci_worker"] == "disabled"
    assert runs.status_code == 503
    assert runs.json()["error"] == "DB_UNAVAILABLE"
    assert runs.headers["Retry-After"]
    assert submission.status_code == 503
    assert submission.json()["error"] == "DB_UNAVAILABLE"


def test_ci_health_counts_jobs_and_names_the_last_completed_run(
    client: Client, factory: sessionmaker[Session]
) -> None:
    make_run(factory, RunStatus.QUEUED)
    make_run(factory, RunStatus.QUEUED)
    make_run(factory, RunStatus.RUNNING)
    make_run(factory, RunStatus.SUCCEEDED)
    last = make_run(factory, RunStatus.FAILED, error_code=ErrorCode.REPO_TOO_LARGE)

    body = client.get("/api/ci/health").json()

    assert body["jobCounts"] == {"QUEUED": 2, "IN_PROGRESS": 1, "DONE": 1, "DEAD": 1}
    assert body["lastCompleted"]["id"] == str(last)
    assert body["lastCompleted"]["status"] == "FAILED"
    assert body["lastCompleted"]["errorCode"] == "REPO_TOO_LARGE"
    assert body["ciTmpDirFreeBytes"] > 0
    assert body["ciTmpDirLowDisk"] is False
    assert body["status"] == "ok"
    assert body["ciTmpDir"].endswith("ci")


def test_ci_health_needs_a_key(anonymous: Client) -> None:
    answer = anonymous.get("/api/ci/health")

    assert answer.status_code == 401
    assert answer.json()["error"] == "UNAUTHORIZED"


def test_ci_health_reports_low_disk(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    env = server_env(pg_url, redis_url, tmp_path, CI_MIN_FREE_PERCENT="100")
    server = ApiServer(env, tmp_path / "out.log").start()
    try:
        body = Client(server).get("/api/ci/health").json()
    finally:
        server.stop()

    assert body["ciTmpDirLowDisk"] is True
    assert body["status"] == "degraded"


def test_redis_down_keeps_submissions_and_reads_working(
    pg_url: str, tmp_path: Path, factory: sessionmaker[Session]
) -> None:
    env = server_env(pg_url, "redis://127.0.0.1:1/0", tmp_path)
    server = ApiServer(env, tmp_path / "out.log").start()
    client = Client(server)
    url = "http://127.0.0.1:9/acme/app.git"
    try:
        plain = client.post("/api/ci/enqueue", json={"repo_url": url})
        keyed = client.post(
            "/api/ci/enqueue",
            json={"repo_url": url, "ref": "dev"},
            headers={"Idempotency-Key": "k-1"},
        )
        read = client.get(f"/api/ci/runs/{plain.json()['run_id']}")
    finally:
        server.stop()

    assert plain.status_code == 202
    assert read.json()["status"] == "QUEUED"
    assert keyed.status_code == 503
    assert keyed.json()["error"] == "REDIS_UNAVAILABLE"
