import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from pta_api.auth import Access, view_access
from tests.api.conftest import (
    ADMIN_KEY,
    API_KEY,
    OTHER_KEY,
    WEBHOOK_SECRET,
    ApiServer,
    Client,
    server_env,
)

RUN = str(uuid.UUID(int=1))
CLIENT_ROUTES = [
    ("GET", "/api/ci/health"),
    ("GET", "/api/ci/runs"),
    ("GET", f"/api/ci/runs/{RUN}"),
    ("GET", f"/api/ci/runs/{RUN}/outputs"),
    ("GET", f"/api/ci/runs/{RUN}/outputs/operate.json"),
    ("POST", f"/api/ci/runs/{RUN}/cancel"),
    ("POST", f"/api/ci/runs/{RUN}/retry"),
    ("POST", "/api/ci/enqueue"),
]
ADMIN_ROUTES = ["/api/admin/requeue-dead", "/api/admin/purge"]
STRICT_LIMIT = 8
STRICT_ENQUEUE_LIMIT = 2


@pytest.fixture(scope="module")
def strict(
    pg_url: str, redis_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ApiServer]:
    """A server with low limits, no admin key, private metrics, no webhooks."""
    state = tmp_path_factory.mktemp("strict")
    env = server_env(
        pg_url,
        redis_url,
        state,
        RATE_LIMIT_PER_MINUTE=str(STRICT_LIMIT),
        RATE_LIMIT_ENQUEUE_PER_MINUTE=str(STRICT_ENQUEUE_LIMIT),
        METRICS_PUBLIC="false",
        ADMIN_KEY="",
        GITHUB_WEBHOOK_SECRET="",
    )
    server = ApiServer(env, state / "out.log").start()
    yield server
    server.stop()


def test_every_client_route_is_declared_as_such() -> None:
    from pta_api import create_app
    from pta_api.config import load_config

    app = create_app(load_config({}), dispatch=lambda run_id, delay: None)
    levels = {
        rule.rule: view_access(app, rule.endpoint) for rule in app.url_map.iter_rules()
    }

    public = {path for path, level in levels.items() if level != Access.CLIENT}
    assert public == {
        "/health",
        "/api/health",
        "/api/openapi.json",
        "/metrics",
        "/api/webhooks/github",
        *ADMIN_ROUTES,
    }


@pytest.mark.parametrize(("method", "path"), CLIENT_ROUTES)
def test_client_routes_refuse_a_missing_or_wrong_key(
    server: ApiServer, method: str, path: str
) -> None:
    for key in (None, "wrong-key", API_KEY + "x", ""):
        answer = Client(server, key=key).session.request(
            method, server.url(path), json={}, timeout=30
        )
        assert answer.status_code == 401, (key, path)
        assert answer.json()["error"] == "UNAUTHORIZED"


def test_a_bearer_token_is_a_client_key(client: Client, server: ApiServer) -> None:
    bearer = Client(server, key=None)
    bearer.session.headers["Authorization"] = f"Bearer {OTHER_KEY}"
    basic = Client(server, key=None)
    basic.session.headers["Authorization"] = f"Basic {OTHER_KEY}"

    assert bearer.get("/api/ci/runs").status_code == 200
    assert basic.get("/api/ci/runs").status_code == 401


@pytest.mark.parametrize("path", ADMIN_ROUTES)
def test_admin_routes_need_the_admin_key(client: Client, path: str) -> None:
    as_client = client.post(path)
    as_admin = client.post(path, headers={"X-Admin-Key": ADMIN_KEY})
    wrong = client.post(path, headers={"X-Admin-Key": ADMIN_KEY[:-1] + "b"})

    assert as_client.status_code == 401
    assert wrong.status_code == 401
    assert as_admin.status_code == 200


def test_admin_requeue_dead_requeues_failed_runs(client: Client, factory) -> None:  # type: ignore[no-untyped-def]
    from pta_tasks.models import RunStatus
    from tests.api.runs import make_run

    failed = make_run(factory, RunStatus.FAILED)
    make_run(factory, RunStatus.SUCCEEDED)

    answer = client.post(
        "/api/admin/requeue-dead", headers={"X-Admin-Key": ADMIN_KEY}, json={}
    )

    assert answer.json() == {"requeued": [str(failed)], "count": 1}
    assert client.get(f"/api/ci/runs/{failed}").json()["status"] == "QUEUED"


def test_admin_routes_are_disabled_without_an_admin_key(strict: ApiServer) -> None:
    answer = Client(strict).post("/api/admin/purge", headers={"X-Admin-Key": ADMIN_KEY})

    assert answer.status_code == 403
    assert answer.json()["error"] == "ADMIN_DISABLED"


def test_metrics_can_be_restricted_to_clients(strict: ApiServer) -> None:
    assert Client(strict, key=None).get("/metrics").status_code == 401
    assert Client(strict).get("/metrics").status_code == 200


def test_webhook_is_disabled_without_a_secret(strict: ApiServer) -> None:
    answer = Client(strict, key=None).post("/api/webhooks/github", data=b"{}")

    assert answer.status_code == 503
    assert answer.json()["error"] == "WEBHOOK_DISABLED"


def test_rate_limit_answers_429_with_retry_after(strict: ApiServer) -> None:
    anonymous = Client(strict, key=None)

    answers = [anonymous.get("/api/ci/runs") for _ in range(3 * STRICT_LIMIT)]

    statuses = [answer.status_code for answer in answers]
    assert 429 in statuses
    # A fixed window may turn over once during the loop.
    assert statuses.index(429) <= 2 * STRICT_LIMIT
    limited = answers[statuses.index(429)]
    assert limited.json()["error"] == "RATE_LIMITED"
    assert int(limited.headers["Retry-After"]) >= 1


def test_enqueue_has_its_own_lower_limit_per_client_key(strict: ApiServer) -> None:
    writer = Client(strict, key=OTHER_KEY)
    url = "http://127.0.0.1:9/acme/limited.git"

    statuses = [
        writer.post(
            "/api/ci/enqueue", json={"repo_url": url, "ref": f"b{i}"}
        ).status_code
        for i in range(3 * STRICT_ENQUEUE_LIMIT)
    ]
    reads = Client(strict, key=API_KEY).get("/api/ci/runs")

    assert 429 in statuses
    assert statuses.index(429) <= 2 * STRICT_ENQUEUE_LIMIT
    assert reads.status_code == 200


def test_security_headers_and_request_id(client: Client) -> None:
    given = client.get("/api/ci/runs", headers={"X-Request-Id": "ci-build-42"})
    made = client.get("/api/ci/runs", headers={"X-Request-Id": "bad id <script>"})

    headers = given.headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Request-Id"] == "ci-build-42"
    assert len(made.headers["X-Request-Id"]) == 32


def test_cors_only_for_configured_origins(client: Client) -> None:
    allowed = client.get("/api/ci/runs", headers={"Origin": "https://ci.example.test"})
    other = client.get("/api/ci/runs", headers={"Origin": "https://evil.test"})
    preflight = Client(client.server, key=None).session.options(
        client.server.url("/api/ci/enqueue"),
        headers={
            "Origin": "https://ci.example.test",
            "Access-Control-Request-Method": "POST",
        },
        timeout=30,
    )

    assert allowed.headers["Access-Control-Allow-Origin"] == "https://ci.example.test"
    assert "Access-Control-Allow-Origin" not in other.headers
    assert preflight.status_code == 200
    assert "X-Api-Key" in preflight.headers["Access-Control-Allow-Headers"]
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_request_log_lines_carry_no_secret(
    pg_url: str, redis_url: str, tmp_path: Path
) -> None:
    token = "ghp_" + "S" * 36
    password = "PLANTEDPASSWORD99"
    env = server_env(pg_url, redis_url, tmp_path, GITHUB_TOKEN=token)
    server = ApiServer(env, tmp_path / "out.log").start()
    try:
        keyed = Client(server)
        keyed.get(f"/api/ci/runs?api_key={API_KEY}&token={password}")
        keyed.get(f"/api/ci/runs/{token}")
        keyed.post(
            "/api/ci/enqueue",
            json={"repo_url": f"https://user:{password}@github.com/a/b.git"},
        )
        keyed.post(
            "/api/ci/enqueue",
            json={"repo_url": "http://127.0.0.1:9/a/b.git", "ref": password},
        )
        bearer = Client(server, key=None)
        bearer.session.headers["Authorization"] = f"Bearer {OTHER_KEY}"
        bearer.get("/api/ci/runs", headers={"X-Request-Id": "planted-1"})
        Client(server).post("/api/admin/purge", headers={"X-Admin-Key": ADMIN_KEY})
        Client(server, key=None).post(
            "/api/webhooks/github",
            data=WEBHOOK_SECRET.encode(),
            headers={"X-Hub-Signature-256": f"sha256={WEBHOOK_SECRET}"},
        )
    finally:
        server.stop()

    log = server.output()
    for secret in (API_KEY, OTHER_KEY, ADMIN_KEY, WEBHOOK_SECRET, token, password):
        assert secret not in log
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    planted = [line for line in lines if line.get("request_id") == "planted-1"]
    assert len(planted) == 1
    assert planted[0]["method"] == "GET"
    assert planted[0]["path"] == "/api/ci/runs"
    assert planted[0]["status"] == 200
    assert planted[0]["duration_ms"] >= 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": "5"}, "limit"),
        ({"error_code": "X"}, "error_code"),
        ({"other": 1}, "other"),
    ],
)
def test_admin_requeue_dead_validates_its_body(
    client: Client, body: dict[str, object], field: str
) -> None:
    answer = client.post(
        "/api/admin/requeue-dead", headers={"X-Admin-Key": ADMIN_KEY}, json=body
    )

    assert answer.status_code == 400
    assert answer.json()["field"] == field
