"""``X-Request-ID``: echoed when the caller sends one, generated otherwise, on every answer."""

from __future__ import annotations

import os
import re
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# A caller's id is echoed into logs and audit rows, so only a safe, bounded form is kept.
_SAFE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def current_request_id() -> str | None:
    return _request_id.get()


def pick_request_id(sent: str | None) -> str:
    if sent and _SAFE.match(sent):
        return sent
    # The same 128 random bits as uuid4().hex, without building a UUID object on the hot path.
    return "req_" + os.urandom(16).hex()


class RequestIdMiddleware:
    """Pure ASGI (no BaseHTTPMiddleware) so it costs next to nothing per request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                sent = value.decode("latin-1")
                break
        request_id = pick_request_id(sent)
        scope.setdefault("state", {})["request_id"] = request_id
        token = _request_id.set(request_id)
        raw = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"x-request-id"]
                headers.append((b"x-request-id", raw))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
