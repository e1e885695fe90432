"""The API's one error shape and the handlers that produce it.

Every failure leaves as ``{"error": "<CODE>", "message": "<what to do>"}``
with the right status (and ``"field"`` when one input is to blame). Errors of
``pta_tasks`` keep their codes; HTTP errors raised by Flask, Werkzeug or the
rate limiter are mapped to codes of their own; anything else is a bug, logged
with its traceback, and answered with ``INTERNAL_ERROR``.

Exception tree::

    ApiError                   (any API code; status and field on the error)
    ├── InvalidRequest         (INVALID_REQUEST, 400)
    ├── Unauthorized           (UNAUTHORIZED, 401)
    └── Forbidden              (FORBIDDEN, 403)
"""

import logging
import time
from enum import StrEnum
from typing import Any

from flask import Flask, Response, current_app, jsonify
from redis.exceptions import RedisError
from sqlalchemy.exc import InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from pta_tasks.errors import ErrorCode, PtaError

logger = logging.getLogger(__name__)


class ApiErrorCode(StrEnum):
    """Codes of failures the API itself reports."""

    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_JSON = "INVALID_JSON"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    ADMIN_DISABLED = "ADMIN_DISABLED"
    NOT_FOUND = "NOT_FOUND"
    OUTPUT_NOT_FOUND = "OUTPUT_NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    RATE_LIMITED = "RATE_LIMITED"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    INVALID_SIGNATURE = "INVALID_SIGNATURE"
    WEBHOOK_DISABLED = "WEBHOOK_DISABLED"
    REPO_NOT_ALLOWED = "REPO_NOT_ALLOWED"
    DB_UNAVAILABLE = "DB_UNAVAILABLE"
    REDIS_UNAVAILABLE = "REDIS_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"


DEFAULT_RETRY_AFTER_S = 60
# Status of each ``pta_tasks`` code the API can meet.
TASK_ERROR_STATUS = {
    ErrorCode.INVALID_REPO_URL: 400,
    ErrorCode.HOST_NOT_ALLOWED: 403,
    ErrorCode.RUN_NOT_FOUND: 404,
    ErrorCode.RUN_STATE_CONFLICT: 409,
    ErrorCode.DB_SCHEMA_OUTDATED: 503,
}
HTTP_CODES = {
    400: ApiErrorCode.INVALID_REQUEST,
    401: ApiErrorCode.UNAUTHORIZED,
    403: ApiErrorCode.FORBIDDEN,
    404: ApiErrorCode.NOT_FOUND,
    405: ApiErrorCode.METHOD_NOT_ALLOWED,
    413: ApiErrorCode.PAYLOAD_TOO_LARGE,
    415: ApiErrorCode.UNSUPPORTED_MEDIA_TYPE,
    429: ApiErrorCode.RATE_LIMITED,
}
HTTP_MESSAGES = {
    404: "no such route; see /api/openapi.json",
    405: "this route does not accept that method; see /api/openapi.json",
    413: "the request body is larger than this route accepts",
    429: "too many requests; wait for Retry-After seconds",
}


class ApiError(Exception):
    """Raised by a view to answer with an error; carries code, status, field."""

    code: ApiErrorCode = ApiErrorCode.INTERNAL_ERROR
    status: int = 500

    def __init__(
        self,
        message: str,
        code: ApiErrorCode | None = None,
        status: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code
        if status is not None:
            self.status = status


class InvalidRequest(ApiError):
    """Raised when a request's input fails validation (names the field)."""

    code = ApiErrorCode.INVALID_REQUEST
    status = 400


class Unauthorized(ApiError):
    """Raised when a route needs a key and none, or a wrong one, was sent."""

    code = ApiErrorCode.UNAUTHORIZED
    status = 401


class Forbidden(ApiError):
    """Raised when the key is valid but not allowed on this route."""

    code = ApiErrorCode.FORBIDDEN
    status = 403


def error_response(
    code: str, message: str, status: int, field: str | None = None
) -> Response:
    """The JSON error response every failure uses."""
    body: dict[str, Any] = {"error": str(code), "message": message}
    if field is not None:
        body["field"] = field
    response = jsonify(body)
    response.status_code = status
    return response


def register_error_handlers(app: Flask) -> None:
    """Answer every exception with the one error shape."""
    app.register_error_handler(ApiError, _api_error)
    app.register_error_handler(PtaError, _task_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(OperationalError, _database_down)
    app.register_error_handler(InterfaceError, _database_down)
    app.register_error_handler(RedisError, _redis_down)
    app.register_error_handler(Exception, _unexpected)


def _api_error(error: ApiError) -> Response:
    return error_response(error.code, error.message, error.status, error.field)


def _task_error(error: PtaError) -> Response:
    status = TASK_ERROR_STATUS.get(error.code, 500)
    if status == 500:
        logger.error("unexpected pta_tasks error", exc_info=error)
    field = "repo_url" if error.code in _URL_CODES else None
    return error_response(error.code, error.detail, status, field)


_URL_CODES = (ErrorCode.INVALID_REPO_URL, ErrorCode.HOST_NOT_ALLOWED)


def _http_error(error: HTTPException) -> Response:
    status = error.code or 500
    code = HTTP_CODES.get(status, ApiErrorCode.INTERNAL_ERROR)
    message = HTTP_MESSAGES.get(status) or error.description or "request failed"
    response = error_response(code, message, status)
    if status == 429:
        response.headers["Retry-After"] = str(_retry_after_s())
    if status == 405 and error.valid_methods:  # type: ignore[attr-defined]
        response.headers["Allow"] = ", ".join(error.valid_methods)  # type: ignore[attr-defined]
    return response


def _retry_after_s() -> int:
    # Seconds until the window of the limit that was hit turns over.
    try:
        limit = current_app.extensions["pta"].limiter.current_limit
        return max(1, int(limit.reset_at - time.time()))
    except Exception:
        logger.warning("rate limit window unknown", exc_info=True)
        return DEFAULT_RETRY_AFTER_S


def _database_down(error: Exception) -> Response:
    logger.warning("database unavailable", extra={"error_type": type(error).__name__})
    message = "the database cannot be reached; try again shortly"
    response = error_response(ApiErrorCode.DB_UNAVAILABLE, message, 503)
    response.headers["Retry-After"] = "5"
    return response


def _redis_down(error: Exception) -> Response:
    # Only Idempotency-Key answers need Redis on the request path (rate
    # limits are skipped and broker messages resent by the reconciler).
    logger.warning("redis unavailable", extra={"error_type": type(error).__name__})
    message = "Redis cannot be reached; retry shortly (or without Idempotency-Key)"
    response = error_response(ApiErrorCode.REDIS_UNAVAILABLE, message, 503)
    response.headers["Retry-After"] = "5"
    return response


def _unexpected(error: Exception) -> Response:
    logger.error("unhandled error", exc_info=error)
    message = "an unexpected error occurred; it was logged with the request id"
    return error_response(ApiErrorCode.INTERNAL_ERROR, message, 500)
