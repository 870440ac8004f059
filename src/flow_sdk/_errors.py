"""The exceptions the client raises. Every one is a ``CLIClientError``:

    CLIClientError
     ├── CLIAuthenticationError     401, or a stored token already expired
     ├── CLIPermissionError         403
     ├── CLINotFoundError           404
     ├── CLIConflictError           409
     ├── CLIValidationError         400, 413, 422
     ├── CLIRateLimitError          429 (``retry_after`` in seconds, when the server said)
     ├── CLIServerError             5xx
     ├── CLIConnectionError         the platform could not be reached
     │    └── CLITimeoutError       no answer within the timeout
     └── CLIConfigError             no usable ~/.flow/config.json

This module imports nothing heavy so that the command line can start fast.
"""

from __future__ import annotations

from typing import Any

LOGIN_HINT = "run: flow-sdk login --api-key ... --url ..."


class CLIClientError(Exception):
    """Base of every error; carries what is needed to report or look the failure up."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        method: str | None = None,
        url: str | None = None,
        body: Any = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.method = method
        self.url = url
        self.body = body
        self.hint = hint

    @property
    def error_code(self) -> str | None:
        return self.code

    def __str__(self) -> str:
        parts = []
        if self.status_code is not None:
            parts.append(str(self.status_code))
        if self.code:
            parts.append(self.code)
        head = " ".join(parts)
        text = f"{head}: {self.message}" if head else self.message
        if self.method and self.url:
            text += f" ({self.method} {self.url})"
        if self.request_id:
            text += f" [request {self.request_id}]"
        return text


class CLIAuthenticationError(CLIClientError):
    """The token is missing, expired, revoked or invalid."""


class CLIPermissionError(CLIClientError):
    """The credentials are valid but their role does not allow the action."""


class CLINotFoundError(CLIClientError):
    """No such resource, or it belongs to another organization."""


class CLIConflictError(CLIClientError):
    """The request conflicts with the current state (duplicate, immutable, in use)."""


class CLIValidationError(CLIClientError):
    """The platform refused the request's content; ``body['details']`` names the fields."""


class CLIRateLimitError(CLIClientError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class CLIServerError(CLIClientError):
    """The platform (or a service behind the gateway) failed."""


class CLIConnectionError(CLIClientError):
    """The platform could not be reached."""


class CLITimeoutError(CLIConnectionError):
    """The platform did not answer in time."""


class CLIConfigError(CLIClientError):
    """The stored configuration is missing, unreadable or incomplete."""


STATUS_TO_ERROR: dict[int, type[CLIClientError]] = {
    400: CLIValidationError,
    401: CLIAuthenticationError,
    403: CLIPermissionError,
    404: CLINotFoundError,
    405: CLINotFoundError,
    409: CLIConflictError,
    413: CLIValidationError,
    422: CLIValidationError,
    429: CLIRateLimitError,
}


def error_class_for(status: int) -> type[CLIClientError]:
    if status in STATUS_TO_ERROR:
        return STATUS_TO_ERROR[status]
    return CLIServerError if status >= 500 else CLIClientError
