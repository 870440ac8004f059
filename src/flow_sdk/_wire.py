"""The platform's error vocabulary: UPPER_SNAKE codes and the one JSON error body.

Stdlib only, because everything imports it: the API's exception handlers, the service
gateway, runtime workers and ``FlowSDK`` inside handlers. One table answers "what code
is a 401?" so that those places cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

BAD_REQUEST = "BAD_REQUEST"
UNAUTHENTICATED = "UNAUTHENTICATED"
FORBIDDEN = "FORBIDDEN"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
CONFLICT = "CONFLICT"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
VALIDATION_ERROR = "VALIDATION_ERROR"
RATE_LIMITED = "RATE_LIMITED"
INTERNAL_ERROR = "INTERNAL_ERROR"
BAD_GATEWAY = "BAD_GATEWAY"
UNAVAILABLE = "UNAVAILABLE"
GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
NOT_ASYNC_ELIGIBLE = "NOT_ASYNC_ELIGIBLE"

STATUS_CODES: dict[int, str] = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    409: CONFLICT,
    413: PAYLOAD_TOO_LARGE,
    422: VALIDATION_ERROR,
    429: RATE_LIMITED,
    500: INTERNAL_ERROR,
    502: BAD_GATEWAY,
    503: UNAVAILABLE,
    504: GATEWAY_TIMEOUT,
}


def code_for_status(status: int) -> str:
    """The default code of an HTTP status: the table's, else the status phrase in UPPER_SNAKE."""
    if status in STATUS_CODES:
        return STATUS_CODES[status]
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "CLIENT_ERROR" if status < 500 else "SERVER_ERROR"
    return re.sub(r"[^A-Z0-9]+", "_", phrase.upper()).strip("_")


def error_body(
    status: int,
    message: str,
    *,
    request_id: str | None,
    code: str | None = None,
    details: Iterable[Any] = (),
) -> dict[str, Any]:
    """``{"code", "message", "details", "request_id"}``, the shape of every error."""
    return {
        "code": code or code_for_status(status),
        "message": message,
        "details": list(details),
        "request_id": request_id,
    }


def error_bytes(
    status: int,
    message: str,
    *,
    request_id: str | None,
    code: str | None = None,
    details: Iterable[Any] = (),
) -> bytes:
    """``error_body`` serialized, for the places that write raw HTTP."""
    return json.dumps(error_body(status, message, request_id=request_id, code=code, details=details)).encode()
