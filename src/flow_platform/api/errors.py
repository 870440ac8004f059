"""Every error leaves the platform as one JSON shape, with the request id in it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from flow_sdk import _wire as wire

from ..domain.errors import DomainError
from .request_id import current_request_id

log = logging.getLogger("flow_platform.errors")


def error_response(
    status: int,
    message: str,
    *,
    code: str | None = None,
    details: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = wire.error_body(status, message, code=code, details=details or (), request_id=current_request_id())
    headers = dict(headers or {})
    if status == 401:
        headers.setdefault("WWW-Authenticate", 'Bearer realm="flow", error="invalid_token"')
    return JSONResponse(body, status_code=status, headers=headers)


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc)


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        return error_response(exc.status_code, exc.message, code=exc.code, details=exc.details)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": _field(e["loc"]), "message": e["msg"]} for e in exc.errors()]
        first = details[0] if details else {"field": "", "message": "invalid request"}
        return error_response(422, f"{first['field']}: {first['message']}", details=details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return error_response(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error (request %s)", current_request_id())
        return error_response(500, "internal error; the request id is in the platform log")
