import json
import uuid

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.errors import ErrorCode
from pta_tasks.models import RunStatus
from pta_tasks.runs import get_run
from tests.api.conftest import ApiServer, Client
from tests.api.runs import make_run, make_runs

URL = "http://127.0.0.1:9/acme/app.git"
SHA = "a" * 40


def test_enqueue_creates_a_run_and_sends_only_its_id(
    client: Client, server: ApiServer, factory: sessionmaker[Session]
) -> None:
    queue = redis.Redis.from_url(server.env["REDIS_URL"])
    before = queue.llen(server.env["CI_QUEUE"])

    answer = client.post("/api/ci/enqueue", json={"repo_url": URL, "ref": "main"})

    assert answer.status_code == 202
    body = answer.json()
    run_id = uuid.UUID(body["run_id"])
    assert body["id"] == body["run_id"]
    assert body["status"] == "QUEUED"
    assert body["deduplicated"] is False
    assert body["url"] == server.url(f"/api/ci/runs/{run_id}")
    assert answer.headers["Location"] == body["url"]
    assert get_run(factory, run_id)["repository"]["url"] == URL
    assert queue.llen(server.env["CI_QUEUE"]) == before + 1
    message = json.loads(queue.lindex(server.env["CI_QUEUE"], 0) or b"{}")
    assert URL not in json.dumps(message)


def test_enqueue_of_the_same_commit_returns_the_existing_run(client: Client) -> None:
    first = client.post("/api/ci/enqueue", json={"repo_url": URL, "commit_sha": SHA})
    again = client.post("/api/ci/enqueue", json={"repo_url": URL, "commit_sha": SHA})

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["deduplicated"] is True
    assert again.json()["run_id"] == first.json()["run_id"]


def test_enqueue_by_owner_and_repo_names_github(
    client: Client, factory: sessionmaker[Session]
) -> None:
    answer = client.post("/api/ci/enqueue", json={"owner": "acme", "repo": "app"})

    assert answer.status_code == 202
    run = get_run(factory, uuid.UUID(answer.json()["run_id"]))
    assert run["repository"] == {
        "url": "https://github.com/acme/app.git",
        "owner": "acme",
        "name": "app",
    }


def test_idempotency_key_returns_the_first_answer(client: Client) -> None:
    headers = {"Idempotency-Key": "build-1234"}
    body = {"repo_url": URL, "ref": "feature/x"}

    first = client.post("/api/ci/enqueue", json=body, headers=headers)
    client.post(f"/api/ci/runs/{first.json()['run_id']}/cancel")
    again = client.post("/api/ci/enqueue", json=body, headers=headers)
    fresh = client.post("/api/ci/enqueue", json=body)

    assert first.status_code == 202
    assert again.status_code == 202
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert fresh.json()["run_id"] != first.json()["run_id"]


def test_idempotency_key_reused_for_another_request_is_refused(
    client: Client,
) -> None:
    headers = {"Idempotency-Key": "build-1"}
    client.post("/api/ci/enqueue", json={"repo_url": URL}, headers=headers)

    answer = client.post(
        "/api/ci/enqueue", json={"repo_url": URL, "ref": "other"}, headers=headers
    )

    assert answer.status_code == 422
    assert answer.json()["error"] == "IDEMPOTENCY_KEY_REUSED"


def test_idempotency_keys_of_two_clients_do_not_meet(
    client: Client, server: ApiServer
) -> None:
    from tests.api.conftest import OTHER_KEY

    headers = {"Idempotency-Key": "same-key"}
    client.post("/api/ci/enqueue", json={"repo_url": URL}, headers=headers)

    other = Client(server, key=OTHER_KEY).post(
        "/api/ci/enqueue", json={"repo_url": URL, "ref": "dev"}, headers=headers
    )

    assert other.status_code == 202


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "repo_url"),
        ({"repo_url": ""}, "repo_url"),
        ({"repo_url": 12}, "repo_url"),
        ({"repo_url": URL, "owner": "acme"}, "repo_url"),
        ({"owner": "acme"}, "repo"),
        ({"owner": "ac me", "repo": "app"}, "owner"),
        ({"owner": "acme", "repo": "-app"}, "repo"),
        ({"repo_url": URL, "ref": "--upload-pack=x"}, "ref"),
        ({"repo_url": URL, "ref": "a..b"}, "ref"),
        ({"repo_url": URL, "commit_sha": "abc"}, "commit_sha"),
        ({"repo_url": URL, "commit_sha": ["a" * 40]}, "commit_sha"),
        ({"repo_url": URL, "priority": 1}, "priority"),
        ({"repo_url": "x" * 3000}, "repo_url"),
    ],
)
def test_enqueue_validation_names_the_field(
    client: Client, body: dict[str, object], field: str
) -> None:
    answer = client.post("/api/ci/enqueue", json=body)

    assert answer.status_code == 400
    assert answer.json()["error"] == "INVALID_REQUEST"
    assert answer.json()["field"] == field


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("ext::sh -c touch% /tmp/pwned", 400, "INVALID_REPO_URL"),
        ("--upload-pack=touch /tmp/pwned", 400, "INVALID_REPO_URL"),
        ("file:///etc", 400, "INVALID_REPO_URL"),
        ("https://user:pw@github.com/a/b.git", 400, "INVALID_REPO_URL"),
        ("https://evil.example/a/b.git", 403, "HOST_NOT_ALLOWED"),
    ],
)
def test_enqueue_refuses_hostile_urls(
    client: Client, url: str, status: int, code: str
) -> None:
    answer = client.post("/api/ci/enqueue", json={"repo_url": url})

    assert answer.status_code == status
    assert answer.json()["error"] == code
    assert answer.json()["field"] == "repo_url"


def test_enqueue_needs_json(client: Client) -> None:
    as_form = client.post("/api/ci/enqueue", data={"repo_url": URL})
    broken = client.post(
        "/api/ci/enqueue",
        data="{not json",
        headers={"Content-Type": "application/json"},
    )
    a_list = client.post("/api/ci/enqueue", json=[URL])

    assert as_form.status_code == 415
    assert as_form.json()["error"] == "UNSUPPORTED_MEDIA_TYPE"
    assert broken.status_code == 400
    assert broken.json()["error"] == "INVALID_JSON"
    assert a_list.status_code == 400
    assert a_list.json()["field"] == "body"


def test_enqueue_refuses_a_body_over_the_size_limit(client: Client) -> None:
    big = {"repo_url": URL, "ref": "x" * (70 * 1024)}

    answer = client.post("/api/ci/enqueue", json=big)

    assert answer.status_code == 413
    assert answer.json()["error"] == "PAYLOAD_TOO_LARGE"


def test_enqueue_refuses_a_malformed_idempotency_key(client: Client) -> None:
    answer = client.post(
        "/api/ci/enqueue",
        json={"repo_url": URL},
        headers={"Idempotency-Key": "x" * 300},
    )

    assert answer.status_code == 400
    assert answer.json()["field"] == "Idempotency-Key"


def test_run_is_shown_with_its_job(
    client: Client, factory: sessionmaker[Session]
) -> None:
    run_id = make_run(factory, RunStatus.RUNNING)

    body = client.get(f"/api/ci/runs/{run_id}").json()

    assert body["id"] == str(run_id)
    assert body["status"] == "RUNNING"
    assert body["job"]["status"] == "IN_PROGRESS"


@pytest.mark.parametrize(
    "run_id",
    [str(uuid.UUID(int=7)), "not-a-uuid", "1" * 300, "%00", "..%2f..%2fetc"],
)
def test_unknown_or_malformed_run_id_is_a_404(client: Client, run_id: str) -> None:
    for path in ("", "/outputs", "/outputs/DOSSIER.md"):
        answer = client.get(f"/api/ci/runs/{run_id}{path}")
        assert answer.status_code == 404, path
        assert answer.json()["error"] in {"RUN_NOT_FOUND", "NOT_FOUND"}
    for action in ("cancel", "retry"):
        answer = client.post(f"/api/ci/runs/{run_id}/{action}")
        assert answer.status_code == 404, action


def test_list_filters_by_owner_repo_status_and_error_code(
    client: Client, factory: sessionmaker[Session]
) -> None:
    make_run(factory, RunStatus.QUEUED, owner="acme", name="api")
    wanted = make_run(
        factory,
        RunStatus.FAILED,
        owner="acme",
        name="web",
        error_code=ErrorCode.REPO_TOO_LARGE,
    )
    make_run(factory, RunStatus.FAILED, owner="acme", name="web")
    make_run(factory, RunStatus.FAILED, owner="other", name="web")

    def ids(query: str) -> set[str]:
        return {run["id"] for run in client.get(f"/api/ci/runs?{query}").json()["runs"]}

    assert len(ids("")) == 4
    assert len(ids("owner=acme")) == 3
    assert len(ids("owner=acme&repo=web")) == 2
    assert len(ids("status=FAILED")) == 3
    assert ids("owner=acme&error_code=REPO_TOO_LARGE") == {str(wanted)}
    assert ids("status=SUCCEEDED") == set()


def test_list_pages_by_cursor_newest_first(
    client: Client, factory: sessionmaker[Session]
) -> None:
    created = make_runs(factory, 5)

    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = "limit=2" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(f"/api/ci/runs?{query}").json()
        seen += [run["id"] for run in body["runs"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break

    assert seen == [str(run_id) for run_id in reversed(created)]
    assert pages == 3


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("limit=ten", "limit"),
        ("status=DONE", "status"),
        ("error_code=OOPS", "error_code"),
        ("cursor=!!!", "cursor"),
        ("cursor=bm90IGEgY3Vyc29y", "cursor"),
        ("sort=asc", "sort"),
        ("repo=a%00b", "repo"),
        ("owner=%F2%90%90%9F%00x", "owner"),
    ],
)
def test_list_validation_names_the_parameter(
    client: Client, query: str, field: str
) -> None:
    answer = client.get(f"/api/ci/runs?{query}")

    assert answer.status_code == 400
    assert answer.json()["field"] == field


def test_outputs_are_listed_and_served_with_type_and_etag(
    client: Client, factory: sessionmaker[Session]
) -> None:
    files = {
        "operate.json": (b'{"ok": true}', "application/json"),
        "DOSSIER.md": (b"# Dossier\n", "text/markdown; charset=utf-8"),
    }
    run_id = make_run(factory, RunStatus.SUCCEEDED, outputs=files)

    listing = client.get(f"/api/ci/runs/{run_id}/outputs").json()
    dossier = client.get(f"/api/ci/runs/{run_id}/outputs/DOSSIER.md")
    again = client.get(
        f"/api/ci/runs/{run_id}/outputs/DOSSIER.md",
        headers={"If-None-Match": dossier.headers["ETag"]},
    )

    assert [item["name"] for item in listing["outputs"]] == [
        "DOSSIER.md",
        "operate.json",
    ]
    assert listing["outputs"][0]["url"].endswith(f"/{run_id}/outputs/DOSSIER.md")
    assert dossier.status_code == 200
    assert dossier.content == b"# Dossier\n"
    assert dossier.headers["Content-Type"] == "text/markdown; charset=utf-8"
    assert dossier.headers["ETag"] == f'"{listing["outputs"][0]["sha256"]}"'
    assert again.status_code == 304
    assert again.content == b""


def test_missing_output_of_an_existing_run_is_a_404(
    client: Client, factory: sessionmaker[Session]
) -> None:
    run_id = make_run(factory, RunStatus.QUEUED)

    answer = client.get(f"/api/ci/runs/{run_id}/outputs/operate.json")
    listing = client.get(f"/api/ci/runs/{run_id}/outputs")

    assert answer.status_code == 404
    assert answer.json()["error"] == "OUTPUT_NOT_FOUND"
    assert listing.json()["outputs"] == []


def test_cancel_of_a_queued_run_and_of_a_finished_one(
    client: Client, factory: sessionmaker[Session]
) -> None:
    queued = make_run(factory, RunStatus.QUEUED)
    done = make_run(factory, RunStatus.SUCCEEDED)

    canceled = client.post(f"/api/ci/runs/{queued}/cancel")
    conflict = client.post(f"/api/ci/runs/{done}/cancel")

    assert canceled.status_code == 200
    assert canceled.json()["status"] == "CANCELED"
    assert canceled.json()["error_code"] == "CANCELED"
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "RUN_STATE_CONFLICT"


def test_retry_of_a_failed_run_and_of_a_queued_one(
    client: Client, factory: sessionmaker[Session]
) -> None:
    failed = make_run(factory, RunStatus.FAILED)
    queued = make_run(factory, RunStatus.QUEUED)

    retried = client.post(f"/api/ci/runs/{failed}/retry")
    conflict = client.post(f"/api/ci/runs/{queued}/retry")

    assert retried.status_code == 202
    assert retried.json()["status"] == "QUEUED"
    assert retried.json()["error_code"] is None
    assert conflict.status_code == 409


def test_unknown_route_and_wrong_method_answer_in_the_error_shape(
    client: Client,
) -> None:
    missing = client.get("/api/nothing")
    wrong = client.get("/api/ci/enqueue")

    assert missing.status_code == 404
    assert missing.json()["error"] == "NOT_FOUND"
    assert wrong.status_code == 405
    assert wrong.json()["error"] == "METHOD_NOT_ALLOWED"
    assert "POST" in wrong.headers["Allow"]
