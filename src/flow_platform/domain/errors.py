"""Domain errors. The API layer turns each into the one error body of the wire API.

DomainError
 ├── InvalidRequest      400  BAD_REQUEST
 ├── Unauthenticated     401  UNAUTHENTICATED
 ├── Forbidden           403  FORBIDDEN
 ├── NotFound            404  NOT_FOUND
 ├── Conflict            409  CONFLICT
 ├── Unprocessable       422  VALIDATION_ERROR
 └── Unavailable         503  UNAVAILABLE
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status_code = 500
    code = "INTERNAL_ERROR"

    def __init__(self, message: str, *, code: str | None = None, details: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        self.details = details or []


class InvalidRequest(DomainError):
    status_code = 400
    code = "BAD_REQUEST"


class Unauthenticated(DomainError):
    status_code = 401
    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    status_code = 403
    code = "FORBIDDEN"


class NotFound(DomainError):
    status_code = 404
    code = "NOT_FOUND"


class Conflict(DomainError):
    status_code = 409
    code = "CONFLICT"


class Unprocessable(DomainError):
    status_code = 422
    code = "VALIDATION_ERROR"


class Unavailable(DomainError):
    status_code = 503
    code = "UNAVAILABLE"


def field_error(field: str, message: str) -> Unprocessable:
    """A 422 that names the offending field in ``details``, like request validation does."""
    return Unprocessable(message, details=[{"field": field, "message": message}])
