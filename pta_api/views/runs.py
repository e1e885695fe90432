"""Runs: submit a repository, list and follow runs, fetch outputs, cancel, retry."""

import base64
import binascii
import logging
import re
import uuid
from datetime import datetime
from typing import Any

from flask import Blueprint, Response, jsonify, request
from sqlalchemy import select, tuple_
from sqlalchemy.orm import joinedload, selectinload

from pta_api.auth import rate_limit_key
from pta_api.errors import ApiError, ApiErrorCode, InvalidRequest
from pta_api.idempotency import Stored, check_key, fingerprint
from pta_api.views import (
    base_url,
    json_object,
    optional_text,
    parse_run_id,
    services,
)
from pta_tasks.enqueue import enqueue_run
from pta_tasks.errors import ErrorCode, InvalidRepoUrl, RunNotFound
from pta_tasks.models import Run, RunStatus
from pta_tasks.runs import (
    MAX_PAGE,
    cancel_run,
    get_run,
    list_outputs,
    read_output,
    retry_run,
    run_to_dict,
)
from pta_tasks.urls import MAX_REF_LENGTH, MAX_URL_LENGTH, is_commit_sha, validate_ref

logger = logging.getLogger(__name__)
blueprint = Blueprint("runs", __name__)

DEFAULT_PAGE = 50
ENQUEUE_FIELDS = frozenset({"repo_url", "owner", "repo", "ref", "commit_sha"})
LIST_PARAMS = frozenset({"owner", "repo", "status", "error_code", "limit", "cursor"})
NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
OUTPUT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
# Where ``owner`` + ``repo`` submissions live.
OWNER_REPO_URL = "https://github.com/{owner}/{repo}.git"


@blueprint.post("/api/ci/enqueue")
def enqueue() -> Response:
    """Queue a repository (or find its run); 202 when created, 200 when found."""
    body = json_object(ENQUEUE_FIELDS)
    url = _repository_url(body)
    ref = _ref(body)
    commit_sha = _commit_sha(body)
    key = check_key(request.headers.get("Idempotency-Key"))
    found = services()
    owner = print_ = ""  # who asked what: only an Idempotency-Key needs them

    if key is not None:
        owner = rate_limit_key()
        print_ = fingerprint({"url": url, "ref": ref, "commit_sha": commit_sha})
        stored = found.idempotency.find(owner, key, print_)
        if stored is not None:
            return _replay(stored)

    result = enqueue_run(
        found.factory,
        found.config.settings,
        found.dispatch,
        url,
        ref=ref,
        commit_sha=commit_sha,
        event_type="api",
    )
    outcome = "created" if result.created else "deduplicated"
    found.metrics.submissions.labels("api", outcome).inc()
    answer = {
        "id": str(result.run_id),
        "run_id": str(result.run_id),
        "status": str(result.status),
        "url": _run_url(result.run_id),
        "deduplicated": not result.created,
    }
    stored = Stored(print_, 202 if result.created else 200, answer)
    if key is not None:
        return _replay(found.idempotency.keep(owner, key, stored), replayed=False)
    return _replay(stored, replayed=False)


@blueprint.get("/api/ci/runs")
def list_() -> Response:
    """Runs, newest first, filtered and paged by an opaque cursor."""
    args = request.args
    for name in args:
        if name not in LIST_PARAMS:
            raise InvalidRequest(f"unknown parameter {name[:64]!r}", field=name[:64])
    limit = _limit(args.get("limit"))
    query = (
        select(Run)
        .options(selectinload(Run.job))
        .order_by(Run.created_at.desc(), Run.id.desc())
        .limit(limit + 1)
    )
    for name, column in (("owner", Run.repo_owner), ("repo", Run.repo_name)):
        value = args.get(name)
        if value is not None:
            if len(value) > 255:
                raise InvalidRequest(f"{name} is too long", field=name)
            if not value.isprintable():
                raise InvalidRequest(f"{name} contains control characters", field=name)
            query = query.where(column == value)
    status = args.get("status")
    if status is not None:
        query = query.where(Run.status == _member(RunStatus, status, "status"))
    code = args.get("error_code")
    if code is not None:
        query = query.where(Run.error_code == _member(ErrorCode, code, "error_code"))
    cursor = args.get("cursor")
    if cursor is not None:
        created, after_id = _decode_cursor(cursor)
        query = query.where(tuple_(Run.created_at, Run.id) < tuple_(created, after_id))

    with services().reader() as session:
        rows = list(session.scalars(query))
        page = [run_to_dict(run) for run in rows[:limit]]
        next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return jsonify({"runs": page, "next_cursor": next_cursor})


@blueprint.get("/api/ci/runs/<run_id>")
def show(run_id: str) -> Response:
    """One run with its job (one query: this is the route CI systems poll)."""
    parsed = parse_run_id(run_id)
    query = select(Run).options(joinedload(Run.job)).where(Run.id == parsed)
    with services().reader() as session:
        run = session.scalars(query).first()
        if run is None:
            raise RunNotFound(f"no run {parsed}")
        return jsonify(run_to_dict(run))


@blueprint.get("/api/ci/runs/<run_id>/outputs")
def outputs(run_id: str) -> Response:
    """The output files of a run (empty until it succeeded)."""
    parsed = parse_run_id(run_id)
    files = list_outputs(services().reader, parsed)
    for item in files:
        item["url"] = _run_url(parsed, f"/outputs/{item['name']}")
    return jsonify({"run_id": str(parsed), "outputs": files})


@blueprint.get("/api/ci/runs/<run_id>/outputs/<name>")
def output(run_id: str, name: str) -> Response:
    """One output file, with its media type and its SHA-256 as ETag."""
    parsed = parse_run_id(run_id)
    factory = services().reader
    try:
        if not OUTPUT_NAME.fullmatch(name):
            raise RunNotFound("no such output")
        content, media_type, sha256 = read_output(factory, parsed, name)
    except RunNotFound:
        get_run(factory, parsed)  # RUN_NOT_FOUND when the run itself is missing
        raise ApiError(
            f"run {parsed} has no output {name[:64]!r}; see its outputs list",
            ApiErrorCode.OUTPUT_NOT_FOUND,
            404,
        ) from None
    response = Response(content, content_type=media_type)
    response.set_etag(sha256)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    response.make_conditional(request)
    return response


@blueprint.post("/api/ci/runs/<run_id>/cancel")
def cancel(run_id: str) -> Response:
    """Cancel a queued or running run (a running one stops within a heartbeat)."""
    return jsonify(cancel_run(services().factory, parse_run_id(run_id)))


@blueprint.post("/api/ci/runs/<run_id>/retry")
def retry(run_id: str) -> tuple[Response, int]:
    """Queue a failed or canceled run again."""
    found = services()
    shown = retry_run(found.factory, found.dispatch, parse_run_id(run_id))
    return jsonify(shown), 202


def _repository_url(body: dict[str, Any]) -> str:
    url = optional_text(body, "repo_url", MAX_URL_LENGTH)
    owner = optional_text(body, "owner", 100)
    repo = optional_text(body, "repo", 100)
    if url is not None:
        if owner is not None or repo is not None:
            raise InvalidRequest(
                "give repo_url, or owner and repo, not both", field="repo_url"
            )
        return url
    if owner is None and repo is None:
        raise InvalidRequest(
            "repo_url (or owner and repo) is required", field="repo_url"
        )
    for name, value in (("owner", owner), ("repo", repo)):
        if value is None:
            raise InvalidRequest(f"{name} is required with the other", field=name)
        if not NAME.fullmatch(value) or value.startswith(("-", ".")):
            raise InvalidRequest(f"{name} has characters that are refused", field=name)
    return OWNER_REPO_URL.format(owner=owner, repo=repo)


def _ref(body: dict[str, Any]) -> str | None:
    ref = optional_text(body, "ref", MAX_REF_LENGTH)
    try:
        return validate_ref(ref)
    except InvalidRepoUrl as error:
        raise InvalidRequest(f"ref: {error.detail}", field="ref") from None


def _commit_sha(body: dict[str, Any]) -> str | None:
    sha = optional_text(body, "commit_sha", 64)
    if sha is not None and not is_commit_sha(sha):
        raise InvalidRequest(
            "commit_sha must be a full 40 or 64 hex digit commit id",
            field="commit_sha",
        )
    return sha


def _replay(stored: Stored, replayed: bool = True) -> Response:
    response = jsonify(stored.body)
    response.status_code = stored.status
    response.headers["Location"] = stored.body["url"]
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return response


def _run_url(run_id: uuid.UUID, suffix: str = "") -> str:
    return f"{base_url()}/api/ci/runs/{run_id}{suffix}"


def _limit(value: str | None) -> int:
    if value is None:
        return DEFAULT_PAGE
    if not value.isdigit() or not 1 <= int(value) <= MAX_PAGE:
        raise InvalidRequest(f"limit must be 1 to {MAX_PAGE}", field="limit")
    return int(value)


def _member(enum: Any, value: str, name: str) -> str:
    if value not in {member.value for member in enum}:
        raise InvalidRequest(f"{name} {value[:64]!r} is not known", field=name)
    return value


def _encode_cursor(run: Run) -> str:
    text = f"{run.created_at.isoformat()}|{run.id}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
        created, _, run_id = text.partition("|")
        return datetime.fromisoformat(created), uuid.UUID(run_id)
    except (ValueError, UnicodeError, binascii.Error):
        raise InvalidRequest(
            "cursor is not one this API returned", field="cursor"
        ) from None
