"""Every error leaves the platform as one JSON shape, with the request id in it."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flow_sdk import _wire as wire

from ..domain.errors import DomainError
from ..request_id import current_request_id
from ..store.conflicts import Transient

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


# Seconds a client is asked to wait when the store stayed busy (SQLite's busy timeout
# ran out, or a conflict outlived the server's own retries).
STORE_BUSY_RETRY_AFTER = 1


def store_busy_response(kind: Transient = Transient.BUSY) -> JSONResponse:
    """503 + Retry-After: nothing of the request is half-applied, so sending it again is safe."""
    if kind is Transient.UNAVAILABLE:
        message, code = "the database cannot take the request now (out of space or resources)", "STORE_UNAVAILABLE"
    else:
        message, code = "the database is busy; retry the request shortly", "STORE_BUSY"
    return error_response(503, message, code=code, headers={"Retry-After": str(STORE_BUSY_RETRY_AFTER)})


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
        return error_response(exc.status_code, str(exc.detail), headers=dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        return unexpected_error(exc)


def unexpected_error(exc: BaseException) -> JSONResponse:
    """The answer to a bug: the one error body, the traceback in the log only.

    ``Connection: close`` because the server cannot vouch for the connection after an
    error it did not foresee (an unread request body, say); the client then opens a
    new one instead of finding this one reset under its next request.
    """
    log.error("unhandled error (request %s)", current_request_id(), exc_info=exc)
    return error_response(500, "internal error; the request id is in the platform log", headers={"connection": "close"})


class UnhandledErrorMiddleware:
    """Keeps an exception that escaped the app from reaching the server.

    Starlette's own error middleware answers through ``unexpected`` and then re-raises;
    uvicorn would log that a second time and drop the connection without a word. Here an
    exception after a complete answer ends quietly, one before any answer gets the error
    body, and one in the middle of an answer still drops the connection: that is all
    HTTP allows once the head has gone out.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = {"started": False, "done": False}

        async def tracked(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
            elif message["type"] == "http.response.body" and not message.get("more_body", False):
                state["done"] = True
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as exc:
            if state["done"]:
                return  # answered and logged by ``unexpected`` already
            if state["started"]:
                raise
            await unexpected_error(exc)(scope, receive, send)
