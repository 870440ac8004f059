"""The app factory: everything is built here, nothing at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from . import __version__
from .api import ROUTERS, WORKSPACE_ROUTERS
from .api import errors as api_errors
from .api.mcp_server import install as install_mcp
from .api.retry import TransientRetryMiddleware
from .api.workspace_paths import include_workspace_router
from .deployer.worker import start_deployer
from .gateway.install import install as install_services
from .platform import Platform
from .request_id import RequestIdMiddleware
from .schemas.common import ErrorBody
from .settings import Settings
from .store.migrate import upgrade
from .store.secret_check import check_master_secret

log = logging.getLogger("flow_platform")

# Documented on every route: whatever the status, an error has this one body.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorBody, "description": text}
    for status, text in {
        400: "Bad request",
        401: "Missing, invalid, expired or revoked credentials",
        403: "The caller's role does not allow this",
        404: "No such resource in the caller's organization",
        409: "Conflicts with the current state",
        422: "The request failed validation; details name the fields",
        500: "An unexpected error; the request id leads to it in the platform log",
        503: "The store is busy or unavailable; retry after the Retry-After seconds",
    }.items()
}


class PlatformApp(FastAPI):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so even a 500 carries its request id.
        return RequestIdMiddleware(api_errors.UnhandledErrorMiddleware(super().build_middleware_stack()))

    # Set by the app factory: the hosted-service gateway answers its own URLs ahead of
    # FastAPI's routing and per-request telemetry check (docs/hosted-services.md).
    front: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.front is not None:
            await self.front(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)


def create_app(settings: Settings | None = None, *, on_ready: Callable[[], None] | None = None) -> FastAPI:
    """Build the app; ``on_ready`` runs once the schema is current and traffic can flow."""
    settings = settings or Settings.from_env()
    platform = Platform.open(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        upgrade(platform.engine, settings)
        check_master_secret(platform.sessions, settings)
        log.info("schema is current on %s", platform.engine.dialect.name)
        app.state.deployer = start_deployer(platform)  # stops in platform.close()
        if on_ready is not None:
            on_ready()
        try:
            async with mcp.running():
                yield
        finally:
            platform.close()

    app = PlatformApp(
        title="Flow platform (emulator)",
        version=__version__,
        description="The Flow platform's wire API, served by the local emulator.",
        lifespan=lifespan,
    )
    app.state.platform = platform
    app.front = install_services(app, platform).wrap(partial(FastAPI.__call__, app))
    api_errors.install(app)
    app.add_middleware(TransientRetryMiddleware)
    for router in ROUTERS:
        app.include_router(router, responses=ERROR_RESPONSES)
    for router in WORKSPACE_ROUTERS:
        include_workspace_router(app, router, responses=ERROR_RESPONSES)
    mcp = install_mcp(app)
    return app
