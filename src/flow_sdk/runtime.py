"""What code running inside a hosted service imports: `HTTPError` (and `FlowSDK`).

This module is loaded by every runtime worker, so it stays light: no network client
is imported until a handler actually calls the platform.
"""

from __future__ import annotations

from typing import Any

__all__ = ["HTTPError"]


class HTTPError(Exception):
    """Raise from a handler to answer `status` with the platform's standard error body."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        details: list[Any] | None = None,
    ) -> None:
        if not 400 <= status <= 599:
            raise ValueError(f"HTTPError status must be 4xx or 5xx, got {status}")
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or _default_code(status)
        self.details = list(details or [])

    def __repr__(self) -> str:
        return f"HTTPError({self.status}, {self.message!r}, code={self.code!r})"


_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    422: "VALIDATION_ERROR",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_ERROR",
    502: "BAD_GATEWAY",
    503: "SERVICE_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


def _default_code(status: int) -> str:
    return _CODES.get(status, "CLIENT_ERROR" if status < 500 else "SERVER_ERROR")
