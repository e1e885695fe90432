"""The OpenAPI document, generated from the app's own routes.

Paths, methods and security come from the URL map and each view's access
level; what a route takes and answers comes from ``OPERATIONS``, keyed by
endpoint. A route without an entry makes ``openapi_document`` raise, so a
new route cannot go undocumented (a test builds the document).
"""

from typing import Any

from flask import Flask

from pta_api.auth import Access, view_access
from pta_api.config import ApiConfig
from pta_tasks.errors import ErrorCode
from pta_tasks.models import RunStatus
from pta_tasks.runs import MAX_PAGE

OPENAPI_VERSION = "3.0.3"
IGNORED_ENDPOINTS = frozenset({"static"})

ERROR = {"$ref": "#/components/schemas/Error"}
RUN = {"$ref": "#/components/schemas/Run"}
RUN_ID = {
    "name": "run_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 100},
    "description": "The run id (a UUID); any other value is a 404.",
}
OUTPUT_NAME = {
    "name": "name",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "maxLength": 255},
}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {
        400: "invalid input; `field` names it",
        401: "missing or wrong key",
        403: "not allowed",
        404: "unknown run or output",
        409: "the run's state does not allow it",
        413: "body too large",
        415: "not JSON",
        422: "Idempotency-Key reused for another request",
        429: "rate limited; see Retry-After",
        503: "database or feature unavailable",
    }
    return {str(s): _json(ERROR, texts[s]) for s in statuses}


CLIENT_ERRORS = (401, 429, 503)
OPERATIONS: dict[str, dict[str, Any]] = {
    "health.liveness": {
        "summary": "Liveness: the process answers (touches nothing)",
        "responses": {"200": _json({"type": "object"}, "alive")},
    },
    "health.api_health": {
        "summary": "Readiness: the database answers; details for clients only",
        "responses": {
            "200": _json({"$ref": "#/components/schemas/Health"}, "healthy"),
            "503": _json({"$ref": "#/components/schemas/Health"}, "degraded"),
        },
    },
    "health.ci_health": {
        "summary": "Queue health: job counts, last finished run, disk",
        "responses": {"200": _json({"type": "object"}, "queue health")}
        | _errors(*CLIENT_ERRORS),
    },
    "runs.enqueue": {
        "summary": "Submit a repository; 202 created, 200 when an existing run",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/EnqueueRequest"}
                }
            },
        },
        "responses": {
            "202": _json({"$ref": "#/components/schemas/Enqueued"}, "run created"),
            "200": _json({"$ref": "#/components/schemas/Enqueued"}, "existing run"),
        }
        | _errors(400, 403, 413, 415, 422, *CLIENT_ERRORS),
    },
    "runs.list_": {
        "summary": "Runs, newest first, filtered, paged by cursor",
        "parameters": [
            {"name": "owner", "in": "query", "schema": {"type": "string"}},
            {"name": "repo", "in": "query", "schema": {"type": "string"}},
            {
                "name": "status",
                "in": "query",
                "schema": {"type": "string", "enum": [s.value for s in RunStatus]},
            },
            {
                "name": "error_code",
                "in": "query",
                "schema": {"type": "string", "enum": [c.value for c in ErrorCode]},
            },
            {
                "name": "limit",
                "in": "query",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE},
            },
            {"name": "cursor", "in": "query", "schema": {"type": "string"}},
        ],
        "responses": {
            "200": _json(
                {
                    "type": "object",
                    "required": ["runs", "next_cursor"],
                    "properties": {
                        "runs": {"type": "array", "items": RUN},
                        "next_cursor": {"type": "string", "nullable": True},
                    },
                },
                "a page of runs",
            )
        }
        | _errors(400, *CLIENT_ERRORS),
    },
    "runs.show": {
        "summary": "One run with its job",
        "parameters": [RUN_ID],
        "responses": {"200": _json(RUN, "the run")} | _errors(404, *CLIENT_ERRORS),
    },
    "runs.outputs": {
        "summary": "The output files of a run",
        "parameters": [RUN_ID],
        "responses": {"200": _json({"type": "object"}, "the outputs")}
        | _errors(404, *CLIENT_ERRORS),
    },
    "runs.output": {
        "summary": "One output file, with its media type and ETag (SHA-256)",
        "parameters": [RUN_ID, OUTPUT_NAME],
        "responses": {
            "200": {
                "description": "the file",
                "content": {
                    "application/json": {"schema": {}},
                    "text/markdown": {"schema": {"type": "string"}},
                },
            },
            "304": {"description": "unchanged (If-None-Match)"},
        }
        | _errors(404, *CLIENT_ERRORS),
    },
    "runs.cancel": {
        "summary": "Cancel a queued or running run",
        "parameters": [RUN_ID],
        "responses": {"200": _json(RUN, "canceled")}
        | _errors(404, 409, *CLIENT_ERRORS),
    },
    "runs.retry": {
        "summary": "Queue a failed or canceled run again",
        "parameters": [RUN_ID],
        "responses": {"202": _json(RUN, "queued again")}
        | _errors(404, 409, *CLIENT_ERRORS),
    },
    "webhooks.github": {
        "summary": "GitHub deliveries (HMAC-SHA256 in X-Hub-Signature-256)",
        "parameters": [
            {"name": h, "in": "header", "required": True, "schema": {"type": "string"}}
            for h in ("X-Hub-Signature-256", "X-GitHub-Event", "X-GitHub-Delivery")
        ],
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {"payload": {"type": "string"}},
                    }
                },
            },
        },
        "responses": {
            "200": _json({"type": "object"}, "pong, duplicate or ignored"),
            "202": _json({"type": "object"}, "queued"),
            "401": _json(ERROR, "bad or missing signature"),
        }
        | _errors(400, 403, 413, 429, 503),
    },
    "admin.requeue_dead": {
        "summary": "Queue again failed runs whose job is DEAD",
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "additionalProperties": False,
                        "properties": {
                            "limit": {"type": "integer", "minimum": 1},
                            "error_code": {"type": "string"},
                        },
                    }
                }
            },
        },
        "responses": {"200": _json({"type": "object"}, "requeued run ids")}
        | _errors(400, 401, 403, 415, 429, 503),
    },
    "admin.purge": {
        "summary": "Apply the retention now",
        "responses": {"200": _json({"type": "object"}, "purged counts")}
        | _errors(401, 403, 429, 503),
    },
    "metrics.metrics": {
        "summary": "Prometheus metrics",
        "responses": {
            "200": {
                "description": "metrics",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            "401": _json(ERROR, "a key is needed (METRICS_PUBLIC=false)"),
        },
    },
    "openapi.document": {
        "summary": "This document",
        "responses": {"200": _json({"type": "object"}, "the OpenAPI document")},
    },
}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error", "message"],
        "properties": {
            "error": {"type": "string"},
            "message": {"type": "string"},
            "field": {"type": "string"},
        },
    },
    "Health": {
        "type": "object",
        "required": ["status"],
        "properties": {
            "status": {"type": "string", "enum": ["ok", "degraded"]},
            "timestamp": {"type": "string"},
            "uptime": {"type": "number"},
            "db": {"type": "string", "enum": ["connected", "disconnected"]},
            "ci_worker": {"type": "string", "enum": ["enabled", "disabled"]},
        },
    },
    "EnqueueRequest": {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "repo_url": {"type": "string", "maxLength": 2048},
            "owner": {"type": "string", "maxLength": 100},
            "repo": {"type": "string", "maxLength": 100},
            "ref": {"type": "string", "maxLength": 255},
            "commit_sha": {"type": "string", "pattern": "^[0-9a-f]{40}$"},
        },
    },
    "Enqueued": {
        "type": "object",
        "required": ["id", "run_id", "status", "url", "deduplicated"],
        "properties": {
            "id": {"type": "string"},
            "run_id": {"type": "string"},
            "status": {"type": "string"},
            "url": {"type": "string"},
            "deduplicated": {"type": "boolean"},
        },
    },
    "Run": {
        "type": "object",
        "required": ["id", "repository", "status", "created_at", "analyzer_version"],
        "properties": {
            "id": {"type": "string"},
            "repository": {"type": "object"},
            "ref": {"type": "string", "nullable": True},
            "commit_sha": {"type": "string", "nullable": True},
            "status": {"type": "string", "enum": [s.value for s in RunStatus]},
            "created_at": {"type": "string"},
            "error_code": {"type": "string", "nullable": True},
            "error": {"type": "string", "nullable": True},
            "analyzer_version": {"type": "string"},
        },
    },
}


def openapi_document(app: Flask, config: ApiConfig) -> dict[str, Any]:
    """The OpenAPI 3 document of every route of ``app``.

    Raises ``KeyError`` naming a route that has no entry in ``OPERATIONS``.
    """
    from pta_analyzer import tool_version

    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in IGNORED_ENDPOINTS:
            continue
        if rule.endpoint not in OPERATIONS:
            raise KeyError(f"route {rule.rule} ({rule.endpoint}) is not documented")
        path = rule.rule.replace("<", "{").replace(">", "}")
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            operation = dict(OPERATIONS[rule.endpoint])
            operation["operationId"] = rule.endpoint.replace(".", "_")
            operation["security"] = _security(view_access(app, rule.endpoint), config)
            paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": OPENAPI_VERSION,
        "info": {"title": "PTA API", "version": tool_version()},
        "paths": paths,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
                "bearer": {"type": "http", "scheme": "bearer"},
                "adminKey": {"type": "apiKey", "in": "header", "name": "X-Admin-Key"},
            },
        },
    }


def _security(level: Access | None, config: ApiConfig) -> list[dict[str, Any]]:
    if level == Access.ADMIN:
        return [{"adminKey": []}]
    if level == Access.CLIENT or (
        level == Access.METRICS and not config.metrics_public
    ):
        return [{"apiKey": []}, {"bearer": []}]
    return []
