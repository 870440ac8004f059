"""Puts the gateway in front of the platform's ASGI app."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .app import Gateway

Hook = Callable[[], Awaitable[None]]


def mount(
    app: ASGIApp, gateway: Gateway, *, on_startup: Hook | None = None, on_shutdown: Hook | None = None
) -> ASGIApp:
    """An ASGI app that sends gateway URLs to `gateway` and everything else to `app`.

    The hooks run when `app` reports its lifespan startup or shutdown complete, so they
    see a current schema at startup and run after the app's own cleanup at shutdown.
    """
    handles = gateway.handles

    async def dispatch(scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http" and handles(scope["path"]):
            await gateway(scope, receive, send)
        elif kind == "lifespan" and (on_startup or on_shutdown):
            await app(scope, receive, _lifespan_send(send, on_startup, on_shutdown))
        else:
            await app(scope, receive, send)

    return dispatch


def _lifespan_send(send: Send, on_startup: Hook | None, on_shutdown: Hook | None) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete" and on_startup is not None:
            await on_startup()
        elif message["type"] == "lifespan.shutdown.complete" and on_shutdown is not None:
            await on_shutdown()
        await send(message)

    return wrapped
