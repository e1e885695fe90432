import hashlib
import hmac
import json
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from pta_tasks.models import Run, WebhookDelivery
from pta_tasks.runs import get_run
from tests.api.conftest import WEBHOOK_SECRET, Client

HEAD = "b" * 40
REPOSITORY = {
    "full_name": "acme/app",
    "clone_url": "http://127.0.0.1:9/acme/app.git",
}
PUSH = {
    "ref": "refs/heads/main",
    "after": HEAD,
    "deleted": False,
    "repository": REPOSITORY,
}


def sign(body: bytes, secret: str = WEBHOOK_SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def deliver(
    client: Client,
    event: str,
    payload: object,
    delivery: str | None = None,
    signature: str | None = None,
    form: bool = False,
) -> "requests.Response":  # noqa: F821
    if form:
        body = urlencode({"payload": json.dumps(payload)}).encode()
        content_type = "application/x-www-form-urlencoded"
    else:
        body = json.dumps(payload).encode()
        content_type = "application/json"
    headers = {
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": signature if signature is not None else sign(body),
    }
    return client.post("/api/webhooks/github", data=body, headers=headers)


@pytest.fixture
def github(anonymous: Client, factory: sessionmaker[Session]) -> Client:
    """GitHub: no client key, on emptied tables."""
    return anonymous


def test_signed_push_enqueues_the_pushed_commit(
    github: Client, factory: sessionmaker[Session]
) -> None:
    answer = deliver(github, "push", PUSH)

    assert answer.status_code == 202
    run = get_run(factory, uuid.UUID(answer.json()["run_id"]))
    assert run["commit_sha"] == HEAD
    assert run["ref"] == "main"
    assert run["event_type"] == "github:push"
    assert run["repository"]["url"] == REPOSITORY["clone_url"]


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", sign(b"other body"), sign(b"{}", "nope")],
)
def test_bad_or_missing_signature_is_refused(
    github: Client, factory: sessionmaker[Session], signature: str
) -> None:
    answer = deliver(github, "push", PUSH, signature=signature)

    assert answer.status_code == 401
    assert answer.json()["error"] == "INVALID_SIGNATURE"
    with factory() as session:
        assert session.scalars(select(Run)).first() is None


def test_replayed_delivery_is_answered_as_a_duplicate(
    github: Client, factory: sessionmaker[Session]
) -> None:
    first = deliver(github, "push", PUSH, delivery="delivery-1")
    again = deliver(github, "push", PUSH | {"after": "c" * 40}, delivery="delivery-1")

    assert first.status_code == 202
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    with factory() as session:
        assert len(list(session.scalars(select(Run)))) == 1
        delivery = session.get(WebhookDelivery, "delivery-1")
        assert delivery is not None
        assert str(delivery.run_id) == first.json()["run_id"]


def test_a_delivery_that_failed_is_processed_when_redelivered(
    github: Client,
) -> None:
    broken = PUSH | {"repository": {"full_name": "acme/app"}}

    failed = deliver(github, "push", broken, delivery="delivery-2")
    redelivered = deliver(github, "push", PUSH, delivery="delivery-2")

    assert failed.status_code == 400
    assert failed.json()["field"] == "repository.clone_url"
    assert redelivered.status_code == 202


def test_form_encoded_delivery_is_accepted(github: Client) -> None:
    answer = deliver(github, "push", PUSH, form=True)

    assert answer.status_code == 202


def test_ping_answers(github: Client) -> None:
    answer = deliver(github, "ping", {"zen": "Keep it logically awesome."})

    assert answer.status_code == 200
    assert answer.json() == {"status": "pong"}


@pytest.mark.parametrize(
    ("event", "payload"),
    [
        ("push", PUSH | {"deleted": True, "after": "0" * 40}),
        ("issues", {"action": "opened"}),
        ("pull_request", {"action": "closed", "pull_request": {}}),
        ("release", {}),
    ],
)
def test_deletions_and_other_events_are_acknowledged_and_ignored(
    github: Client, factory: sessionmaker[Session], event: str, payload: object
) -> None:
    answer = deliver(github, event, payload)

    assert answer.status_code == 200
    assert answer.json()["status"] == "ignored"
    with factory() as session:
        assert session.scalars(select(Run)).first() is None


@pytest.mark.parametrize("action", ["opened", "synchronize", "reopened"])
def test_pull_request_enqueues_its_head_commit_from_the_base_repository(
    github: Client, factory: sessionmaker[Session], action: str
) -> None:
    payload = {
        "action": action,
        "number": 7,
        "pull_request": {"number": 7, "head": {"sha": HEAD, "ref": "feature"}},
        "repository": REPOSITORY,
    }

    answer = deliver(github, "pull_request", payload)

    assert answer.status_code == 202
    run = get_run(factory, uuid.UUID(answer.json()["run_id"]))
    assert run["commit_sha"] == HEAD
    assert run["ref"] == "pull/7/head"
    assert run["event_type"] == "github:pull_request"


def test_payload_near_githubs_size_limit_is_accepted(github: Client) -> None:
    # A push with many commits: several MB, far above the client-route limit.
    commits = [{"id": HEAD, "message": "x" * 1000} for _ in range(5000)]

    answer = deliver(github, "push", PUSH | {"commits": commits})

    assert answer.status_code == 202


def test_malformed_payloads_are_a_400_naming_the_field(github: Client) -> None:
    no_ref = {k: v for k, v in PUSH.items() if k != "ref"}
    not_json = deliver(github, "push", "x")
    missing_ref = deliver(github, "push", no_ref)
    no_event = github.post(
        "/api/webhooks/github",
        data=b"{}",
        headers={"X-Hub-Signature-256": sign(b"{}"), "X-GitHub-Delivery": "d"},
    )

    assert not_json.status_code == 400
    assert missing_ref.json()["field"] == "ref"
    assert no_event.json()["field"] == "X-GitHub-Event"


def test_payload_over_githubs_size_limit_is_refused(github: Client) -> None:
    body = b"{" + b" " * (26 * 1024 * 1024) + b"}"

    answer = github.post(
        "/api/webhooks/github",
        data=body,
        headers={
            "X-Hub-Signature-256": sign(body),
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "big",
        },
    )

    assert answer.status_code == 413
    assert answer.json()["error"] == "PAYLOAD_TOO_LARGE"


def test_repository_outside_the_allow_list_is_refused(
    github: Client, factory: sessionmaker[Session]
) -> None:
    other = PUSH | {"repository": REPOSITORY | {"full_name": "acme/OTHER"}}
    evil = PUSH | {"repository": REPOSITORY | {"full_name": "evil/app"}}

    allowed = deliver(github, "push", other)
    refused = deliver(github, "push", evil)

    assert allowed.status_code == 202
    assert refused.status_code == 403
    assert refused.json()["error"] == "REPO_NOT_ALLOWED"
