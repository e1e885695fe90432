"""The OpenAPI document describes every route, and no route answers 500 to
what schemathesis generates from it (valid and invalid input alike)."""

import os
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    status_code_conformance,
)

from pta_api import create_app
from pta_api.config import load_config
from pta_api.openapi import OPERATIONS, openapi_document
from tests.api.conftest import ADMIN_KEY, API_KEY, ApiServer, Client

EXPLORE = os.environ.get("PTA_EXPLORE")

EXAMPLES_PER_OPERATION = 40


def test_document_covers_every_route_and_method() -> None:
    app = create_app(load_config({}), dispatch=lambda run_id, delay: None)

    document = openapi_document(app, load_config({}))

    routes = {
        (rule.rule.replace("<", "{").replace(">", "}"), method.lower())
        for rule in app.url_map.iter_rules()
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    documented = {
        (path, method)
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert documented == routes
    assert set(OPERATIONS) == {rule.endpoint for rule in app.url_map.iter_rules()}


def test_client_routes_declare_their_key(server: ApiServer) -> None:
    document = requests.get(server.url("/api/openapi.json"), timeout=30).json()

    run = document["paths"]["/api/ci/runs/{run_id}"]["get"]
    health = document["paths"]["/health"]["get"]
    purge = document["paths"]["/api/admin/purge"]["post"]
    assert run["security"] == [{"apiKey": []}, {"bearer": []}]
    assert health["security"] == []
    assert purge["security"] == [{"adminKey": []}]


@pytest.fixture
def api_schema(server: ApiServer, client: Any) -> Any:
    document = requests.get(server.url("/api/openapi.json"), timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    schema.config.update(base_url=server.base)
    return schema


def test_no_route_answers_a_server_error(api_schema: Any) -> None:
    # schemathesis' pytest plugin does not run under this pytest; the same
    # strategies are driven through hypothesis directly, one per operation.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) == len(OPERATIONS)
    for operation in operations:
        _exercise(operation)


def _exercise(operation: Any) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        # Fixed examples, so CI never turns red by chance; PTA_EXPLORE=1 draws
        # new ones on every run to look further.
        derandomize=EXPLORE is None,
    )
    def call(case: Any) -> None:
        headers = {"X-Api-Key": API_KEY, "X-Admin-Key": ADMIN_KEY}
        try:
            response = case.call(headers=headers, timeout=30)
        except ValueError:  # requests refuses to send some header values
            assume(False)
        if _refused_by_gunicorn(response):
            # Header values with control characters never reach the app:
            # gunicorn answers them with its own HTML 400 page.
            assume(False)
        case.validate_response(
            response,
            checks=[
                not_a_server_error,
                status_code_conformance,
                content_type_conformance,
            ],
        )

    call()


def _refused_by_gunicorn(response: Any) -> bool:
    content_type = response.headers.get("Content-Type", "")
    return response.status_code == 400 and content_type.startswith("text/html")


SEGMENT = st.from_regex(r"[A-Za-z0-9._-]{1,12}", fullmatch=True)
JUNK = st.text(max_size=40)
URLS = st.one_of(
    st.builds(
        "{}://{}/{}/{}".format,
        st.sampled_from(["https", "http", "git", "ssh", "file", "ext"]),
        st.sampled_from(["github.com", "127.0.0.1:9", "localhost", "[::1]", "x"]),
        SEGMENT,
        SEGMENT,
    ),
    JUNK,
)
SUBMISSIONS = st.fixed_dictionaries(
    {},
    optional={
        "repo_url": URLS,
        "owner": st.one_of(SEGMENT, JUNK),
        "repo": st.one_of(SEGMENT, JUNK),
        "ref": st.one_of(SEGMENT, st.from_regex(r"[a-z/.+-]{1,20}"), JUNK),
        "commit_sha": st.one_of(st.from_regex(r"[0-9a-f]{40}", fullmatch=True), JUNK),
    },
)


def test_plausible_submissions_never_answer_a_server_error(client: Client) -> None:
    statuses: set[int] = set()

    # Header values with control characters never reach the app: gunicorn
    # answers them with its own 400 page.
    header_text = st.text(
        st.characters(min_codepoint=32, max_codepoint=255, exclude_characters="\x7f"),
        max_size=300,
    )

    @given(body=SUBMISSIONS, key=st.one_of(st.none(), header_text))
    @settings(
        max_examples=150, deadline=None, database=None, derandomize=EXPLORE is None
    )
    def submit(body: dict[str, str], key: str | None) -> None:
        headers = {"Idempotency-Key": key} if key else {}
        try:
            answer = client.post("/api/ci/enqueue", json=body, headers=headers)
        except ValueError:  # requests refuses some header values itself
            return
        statuses.add(answer.status_code)
        assert answer.status_code < 500, answer.text
        assert answer.headers["Content-Type"] == "application/json", (
            answer.status_code,
            answer.text[:200],
            key,
        )
        assert set(answer.json()) >= ({"run_id"} if answer.ok else {"error"})

    submit()
    assert {200, 202} & statuses
    assert 400 in statuses


def test_pta_api_openapi_prints_the_document() -> None:
    import json
    import subprocess
    import sys
    from pathlib import Path

    pta = Path(sys.executable).parent / "pta"
    done = subprocess.run(
        [str(pta), "api", "openapi"],
        env={"PATH": "/usr/bin:/bin", "PTA_STATE_DIR": "/nonexistent/pta"},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["openapi"].startswith("3.")
    assert "/api/ci/enqueue" in document["paths"]
