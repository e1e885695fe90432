import re
import time

from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.errors import ErrorCode
from pta_tasks.models import RunStatus
from tests.api.conftest import Client
from tests.api.runs import make_run


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if found == labels:
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_sum_requests_across_gunicorn_workers(
    client: Client, anonymous: Client
) -> None:
    before = anonymous.get("/metrics").text
    start = sample(
        before, "pta_http_requests_total", method="GET", route="/health", status="200"
    )

    for _ in range(20):
        anonymous.get("/health")
    after = anonymous.get("/metrics")

    assert after.status_code == 200
    assert after.headers["Content-Type"].startswith("text/plain")
    count = sample(
        after.text,
        "pta_http_requests_total",
        method="GET",
        route="/health",
        status="200",
    )
    assert count == (start or 0) + 20
    assert "pta_http_request_duration_seconds_bucket" in after.text


def test_metrics_show_queue_depth_and_outcomes_by_error_code(
    client: Client, factory: sessionmaker[Session], anonymous: Client
) -> None:
    make_run(factory, RunStatus.QUEUED)
    make_run(factory, RunStatus.FAILED, error_code=ErrorCode.CLONE_TIMEOUT)
    time.sleep(5.1)  # the database snapshot is cached for five seconds

    text = anonymous.get("/metrics").text

    assert sample(text, "pta_jobs", status="QUEUED") == 1
    assert sample(text, "pta_jobs", status="DEAD") == 1
    assert sample(text, "pta_runs", status="FAILED", error_code="CLONE_TIMEOUT") == 1
    assert sample(text, "pta_db_up") == 1
    free = sample(text, "pta_ci_tmp_free_bytes") or 0
    assert 0 < free <= (sample(text, "pta_ci_tmp_size_bytes") or 0)
    uuid_shape = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
    assert re.search(uuid_shape, text) is None
    assert "acme" not in text


def test_metrics_count_submissions_by_outcome(
    client: Client, anonymous: Client
) -> None:
    url = "http://127.0.0.1:9/acme/metrics.git"
    before = anonymous.get("/metrics").text
    start = sample(
        before, "pta_submissions_total", source="api", outcome="deduplicated"
    )

    client.post("/api/ci/enqueue", json={"repo_url": url, "commit_sha": "d" * 40})
    client.post("/api/ci/enqueue", json={"repo_url": url, "commit_sha": "d" * 40})

    text = anonymous.get("/metrics").text
    deduplicated = sample(
        text, "pta_submissions_total", source="api", outcome="deduplicated"
    )
    assert deduplicated == (start or 0) + 1
