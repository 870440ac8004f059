"""Wires hosted services into the platform app: runtime, route cache, gateway, jobs.

`install(app, platform)` is the one call the app factory makes; `wrap` then puts the
gateway in front of the FastAPI app (`PlatformApp.front`). It also watches the ASGI
lifespan: after startup (schema current) it starts listening for changes made by other
platform processes and recovers async jobs; at shutdown it stops every worker process.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from typing import Any

from starlette.types import ASGIApp

from ..domain.access_tokens import issue_access_token
from ..domain.roles import Role
from ..domain.service_token_verifier import ServiceTokenVerifier
from ..platform import Platform
from ..runtime.bundle import Bundle
from ..runtime.logs import LogPolicy
from ..runtime.supervisor import Supervisor
from ..sandbox.policy import DEFAULTS, LIMIT_NAMES, Limits
from ..settings import Settings
from ..store.db import read_only_engine
from ..store.tables import ApiKey, HostedService
from .app import Gateway
from .auth import PlatformAuthenticator
from .authenticators import default_authenticators
from .jobs import JobRunner
from .loader import load_service_route
from .mount import mount
from .notify import ChangeListener, notify
from .platform_auth import PlatformVerifier
from .routes import RouteEpoch, RouteTable, ServiceRoute
from .service_token_auth import ServiceTokenAuthenticator

RUNTIME_ROLE = Role.VIEWER  # the least role that may call services
RUNTIME_TOKEN_TTL_MINUTES = 60
RUNTIME_TOKEN_RENEW_SECONDS = (RUNTIME_TOKEN_TTL_MINUTES - 10) * 60  # a worker's age limit


class ServicesRuntime:
    def __init__(self, platform: Platform) -> None:
        settings = platform.settings
        self.platform = platform
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        _not_dumpable()
        self.epoch = RouteEpoch(settings.data_dir / "services.epoch")
        outbound = {v.strip() for v in settings.outbound_network.split(",") if v.strip()}
        self.supervisor = Supervisor(
            settings.data_dir / "service-logs",
            credentials=self._runtime_credentials,
            max_age=RUNTIME_TOKEN_RENEW_SECONDS,
            log_policy=LogPolicy(file_bytes=settings.service_log_bytes, files=settings.service_log_files),
            scratch=platform.scratch,
            sandbox=not settings.unsafe_no_sandbox,
            limits=worker_limits(settings),
            outbound=lambda bundle: bool({bundle.service_id, bundle.ring_id} & outbound),
            idle_seconds=settings.worker_idle_seconds,
            max_workers=settings.max_workers,
        )
        self.routes = RouteTable(self._load, self.epoch)
        self.jobs = JobRunner(platform.sessions, self.routes, self.supervisor)
        platform_auth = PlatformAuthenticator(
            PlatformVerifier(settings, platform.sessions, read_sessions=platform.read_sessions)
        )
        self.service_tokens = ServiceTokenVerifier(settings, read_only_engine(platform.engine))
        authenticators = default_authenticators(platform_auth, ServiceTokenAuthenticator(self.service_tokens))
        self.gateway = Gateway(self.routes, self.supervisor, authenticators, jobs=self.jobs)
        engine = platform.engine
        self._shared_db = engine.dialect.name == "postgresql"
        self._listener = ChangeListener(engine, self.epoch.bump_local) if self._shared_db else None

    def changed(self) -> None:
        """Call after any committed change to a service, version or endpoint."""
        self.epoch.bump()
        if self._shared_db:  # platform processes on other hosts share only the database
            notify(self.platform.engine)

    async def _load(self, service_id: str) -> ServiceRoute | None:
        return await asyncio.to_thread(self._load_sync, service_id)

    def _load_sync(self, service_id: str) -> ServiceRoute | None:
        with self.platform.read_sessions() as session:
            return load_service_route(session, service_id, lambda s: self._worker_env(session, s))

    def _worker_env(self, session: Any, service: HostedService) -> dict[str, str]:
        """What a worker's FlowSDK reads, but its token: tenant ids and the platform URL."""
        settings = self.platform.settings
        env = {
            "ORG_ID": service.org_id,
            "WORKSPACE_ID": service.workspace_id,
            "SERVICE_ID": service.id,
            "RING_ID": service.ring_id or "",
            "PLATFORM_API_URL": f"http://{settings.host}:{settings.port}",
        }
        if settings.api_socket:
            # A worker has no network of its own: FlowSDK reaches the API over this socket.
            env["PLATFORM_API_SOCKET"] = settings.api_socket
        return env

    async def _runtime_credentials(self, bundle: Bundle) -> dict[str, str]:
        """A fresh AUTH_TOKEN for each worker start (the supervisor replaces a worker
        before its token expires), handed over in the child's environment only."""
        return await asyncio.to_thread(self._mint_runtime_token, bundle.service_id)

    def _mint_runtime_token(self, service_id: str) -> dict[str, str]:
        settings = self.platform.settings
        env: dict[str, str] = {}
        with self.platform.read_sessions() as session:
            service = session.get(HostedService, service_id)
            key = session.get(ApiKey, service.created_by) if service is not None else None
            if service is None or key is None or key.revoked_at is not None:
                return env
            # Service code may call services (FlowSDK) and read, nothing more: the viewer
            # role whatever its creator's role, bound to the service's workspace, and
            # still ended by revoking the key that created the service.
            env["AUTH_TOKEN"] = issue_access_token(
                settings,
                key_id=key.id,
                org_id=service.org_id,
                workspace_id=service.workspace_id,
                role=RUNTIME_ROLE.value,
                ttl_minutes=RUNTIME_TOKEN_TTL_MINUTES,
                bound_workspace=True,
            ).token
        return env

    def wrap(self, app: ASGIApp) -> ASGIApp:
        return mount(app, self.gateway, on_startup=self.start, on_shutdown=self.aclose)

    async def start(self) -> None:
        """After the app's startup (schema current): listen for changes, recover jobs."""
        if self._listener is not None:
            self._listener.start()
        await self.jobs.recover()

    async def aclose(self) -> None:
        if self._listener is not None:
            await asyncio.to_thread(self._listener.stop)
        await self.jobs.aclose()
        await self.supervisor.aclose()
        self.epoch.close()
        await self.service_tokens.aclose()


def _not_dumpable() -> None:
    """Make this process's /proc files (environ: database URL, secrets) unreadable to
    service workers, which run as the same user, and refuse them ptrace (Linux only)."""
    import ctypes
    import sys

    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0


def worker_limits(settings: Settings) -> Limits:
    """The workers' resource limits: FLOW_WORKER_* settings over the defaults, within the maxima."""
    chosen = {name: getattr(settings, f"worker_{name}") for name in LIMIT_NAMES}
    return replace(DEFAULTS, **{k: v for k, v in chosen.items() if v is not None}).clamp()


def install(app: Any, platform: Platform) -> ServicesRuntime:
    runtime = ServicesRuntime(platform)
    app.state.services = runtime
    # Workers stop at lifespan shutdown (`aclose`); if the platform dies without one,
    # each worker sees its parent pipe close and exits (runtime/worker.py).
    platform.on_shutdown.append(runtime.service_tokens.close)
    return runtime
