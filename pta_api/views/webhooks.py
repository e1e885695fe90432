"""GitHub webhooks: every push and pull request becomes a run.

A delivery is accepted only with a valid ``X-Hub-Signature-256`` (HMAC-SHA256
of the raw body with ``GITHUB_WEBHOOK_SECRET``, compared in constant time).
``push`` and ``pull_request`` (opened, synchronize, reopened) enqueue; ``ping``
answers; branch deletions and other events are acknowledged and ignored. A
delivery id is remembered only once it was processed, so GitHub's redelivery
of a delivery that failed here is processed again, and one that succeeded is
answered as a duplicate.
"""

import hashlib
import hmac
import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select

from pta_api.auth import Access, access
from pta_api.errors import ApiError, ApiErrorCode, InvalidRequest
from pta_api.views import base_url, services
from pta_tasks.enqueue import enqueue_run
from pta_tasks.models import WebhookDelivery
from pta_tasks.runs import record_webhook_delivery

logger = logging.getLogger(__name__)
blueprint = Blueprint("webhooks", __name__)

PR_ACTIONS = frozenset({"opened", "synchronize", "reopened"})
DELIVERY_ID = re.compile(r"[A-Za-z0-9._:-]{1,255}")
EVENT_NAME = re.compile(r"[a-z_]{1,64}")
ZERO_SHA = "0" * 40


@blueprint.post("/api/webhooks/github")
@access(Access.WEBHOOK)
def github() -> tuple[Response, int]:
    """Handle one GitHub delivery (see the module docstring)."""
    metrics = services().metrics
    raw = _verified_body()
    event = _header("X-GitHub-Event", EVENT_NAME)
    delivery = _header("X-GitHub-Delivery", DELIVERY_ID)

    if event == "ping":
        metrics.webhook_deliveries.labels(event, "pong").inc()
        return jsonify({"status": "pong"}), 200
    if _seen(delivery):
        metrics.webhook_deliveries.labels(event, "duplicate").inc()
        return jsonify({"status": "duplicate", "delivery": delivery}), 200

    target = _target(event, _payload(raw))
    if isinstance(target, str):
        record_webhook_delivery(services().factory, delivery, event)
        metrics.webhook_deliveries.labels(event, "ignored").inc()
        return jsonify({"status": "ignored", "reason": target}), 200
    return jsonify(_enqueue(event, delivery, target)), 202


def _verified_body() -> bytes:
    # The raw body, once its size and its signature were checked.
    config = services().config
    if config.webhook_secret is None:
        raise ApiError(
            "webhooks are disabled: set GITHUB_WEBHOOK_SECRET",
            ApiErrorCode.WEBHOOK_DISABLED,
            503,
        )
    request.max_content_length = config.webhook_max_bytes
    raw = request.get_data(cache=True)
    _check_signature(config.webhook_secret, raw)
    return raw


def _enqueue(event: str, delivery: str, target: "Target") -> dict[str, Any]:
    found = services()
    config = found.config
    url, ref, commit_sha, full_name = target
    allowed = config.webhook_allowed_repos
    if allowed and full_name.lower() not in allowed:
        found.metrics.webhook_deliveries.labels(event, "refused").inc()
        raise ApiError(
            f"repository {full_name[:200]!r} is not in WEBHOOK_ALLOWED_REPOS",
            ApiErrorCode.REPO_NOT_ALLOWED,
            403,
        )
    result = enqueue_run(
        found.factory,
        config.settings,
        found.dispatch,
        url,
        ref=ref,
        commit_sha=commit_sha,
        event_type=f"github:{event}",
    )
    # Recorded only now: a delivery that failed above is processed again
    # when GitHub redelivers it.
    record_webhook_delivery(found.factory, delivery, event, result.run_id)
    found.metrics.webhook_deliveries.labels(event, "queued").inc()
    outcome = "created" if result.created else "deduplicated"
    found.metrics.submissions.labels("webhook", outcome).inc()
    return {
        "status": "queued",
        "run_id": str(result.run_id),
        "url": f"{base_url()}/api/ci/runs/{result.run_id}",
        "deduplicated": not result.created,
    }


def _check_signature(secret: str, raw: bytes) -> None:
    given = request.headers.get("X-Hub-Signature-256", "")
    if not given:
        raise ApiError(
            "X-Hub-Signature-256 is missing", ApiErrorCode.INVALID_SIGNATURE, 401
        )
    digest = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), f"sha256={digest}".encode()):
        raise ApiError(
            "X-Hub-Signature-256 does not match the body",
            ApiErrorCode.INVALID_SIGNATURE,
            401,
        )


def _header(name: str, shape: re.Pattern[str]) -> str:
    value = request.headers.get(name, "")
    if not shape.fullmatch(value):
        raise InvalidRequest(f"{name} is missing or malformed", field=name)
    return value


def _seen(delivery: str) -> bool:
    query = select(WebhookDelivery.delivery_id).where(
        WebhookDelivery.delivery_id == delivery
    )
    with services().reader() as session:
        return session.scalar(query) is not None


def _payload(raw: bytes) -> dict[str, Any]:
    # GitHub sends JSON, or a form with the JSON in its ``payload`` field.
    text = raw.decode("utf-8", errors="replace")
    if request.mimetype == "application/x-www-form-urlencoded":
        fields = parse_qs(text, max_num_fields=10)
        if len(fields.get("payload", [])) != 1:
            raise InvalidRequest(
                "the form has no single payload field", field="payload"
            )
        text = fields["payload"][0]
    try:
        payload = json.loads(text)
    except ValueError:
        raise InvalidRequest("the payload is not JSON", field="payload") from None
    if not isinstance(payload, dict):
        raise InvalidRequest("the payload is not a JSON object", field="payload")
    return payload


Target = tuple[str, str | None, str | None, str]


def _target(event: str, payload: dict[str, Any]) -> Target | str:
    """What to analyze (url, ref, commit, full name), or why nothing."""
    if event == "push":
        return _push_target(payload)
    if event == "pull_request":
        return _pull_request_target(payload)
    return f"event {event!r} is not analyzed"


def _push_target(payload: dict[str, Any]) -> Target | str:
    after = _text(payload, "after", required=False)
    if payload.get("deleted") is True or after == ZERO_SHA:
        return "the push deleted a branch or tag"
    ref = _text(payload, "ref")
    for prefix in ("refs/heads/", "refs/tags/"):
        if ref.startswith(prefix):
            ref = ref.removeprefix(prefix)
            break
    url, full_name = _repository(payload, "repository")
    return url, ref, after or None, full_name


def _pull_request_target(payload: dict[str, Any]) -> Target | str:
    action = _text(payload, "action")
    if action not in PR_ACTIONS:
        return f"pull request action {action[:64]!r} is not analyzed"
    pull = _object(payload, "pull_request")
    head = _object(pull, "head", "pull_request.")
    sha = _text(head, "sha", prefix="pull_request.head.")
    number = pull.get("number")
    ref = f"pull/{number}/head" if isinstance(number, int) and number > 0 else None
    # The base repository serves the head commit, also for a fork's pull
    # request, and the allow-list speaks of base repositories.
    url, full_name = _repository(payload, "repository")
    return url, ref, sha, full_name


def _repository(payload: dict[str, Any], name: str) -> tuple[str, str]:
    repository = _object(payload, name)
    url = repository.get("clone_url") or repository.get("html_url")
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{name}.clone_url is missing", field=f"{name}.clone_url")
    full_name = _text(repository, "full_name", prefix=f"{name}.")
    return url, full_name


def _object(data: dict[str, Any], name: str, prefix: str = "") -> dict[str, Any]:
    value = data.get(name)
    if not isinstance(value, dict):
        raise InvalidRequest(f"{prefix}{name} is missing", field=prefix + name)
    return value


def _text(
    data: dict[str, Any], name: str, prefix: str = "", required: bool = True
) -> str:
    value = data.get(name)
    if isinstance(value, str) and value:
        return value
    if not required and value is None:
        return ""
    raise InvalidRequest(f"{prefix}{name} is missing", field=prefix + name)
