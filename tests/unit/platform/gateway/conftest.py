"""A gateway and runtime on a loopback port, with an in-memory service table."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import uvicorn

from flow_platform.gateway.app import Gateway
from flow_platform.gateway.auth import Credentials, PlatformAuthenticator, unauthorized
from flow_platform.gateway.authenticators import default_authenticators
from flow_platform.gateway.mount import mount
from flow_platform.gateway.routes import RouteEpoch, RouteTable, ServiceRoute, VersionRoute
from flow_platform.runtime.bundle import Bundle, EndpointSpec
from flow_platform.runtime.supervisor import Supervisor

KEY = "test-signing-key-0123456789abcdef"


class JWTVerifier:
    """Test only: an HS256 JWT with an ``org_id`` claim -> that org id.

    The platform's own verifier is `gateway.platform_auth.PlatformVerifier` (Ed25519
    access tokens, every registered claim required); this stand-in lets the gateway's
    unit tests run without a database.
    """

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, credentials: Credentials) -> str:
        if credentials.bearer is None:
            raise unauthorized("expected a bearer token")
        try:
            claims = jwt.decode(credentials.bearer, self.key, algorithms=["HS256"], options={"require": ["exp"]})
        except jwt.PyJWTError as err:
            raise unauthorized(f"invalid token: {err}") from None
        org = claims.get("org_id")
        if not isinstance(org, str):
            raise unauthorized("token has no organization")
        return org


class GatewayServer:
    def __init__(self, log_dir: Path) -> None:
        self.services: dict[str, ServiceRoute] = {}
        self.epoch = RouteEpoch()
        self.supervisor = Supervisor(log_dir)

        async def load(service_id: str) -> ServiceRoute | None:
            return self.services.get(service_id)

        auth = default_authenticators(PlatformAuthenticator(JWTVerifier(KEY)))
        self.gateway = Gateway(RouteTable(load, self.epoch), self.supervisor, auth, max_body=4096)

        async def platform(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "lifespan":
                while True:
                    message = await receive()
                    if message["type"] == "lifespan.startup":
                        await send({"type": "lifespan.startup.complete"})
                    else:
                        await self.supervisor.aclose()
                        await send({"type": "lifespan.shutdown.complete"})
                        return
            else:
                await send({"type": "http.response.start", "status": 418, "headers": []})
                await send({"type": "http.response.body", "body": b"platform"})

        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
        config = uvicorn.Config(mount(platform, self.gateway), log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]})
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)

    def add_service(
        self,
        *versions: list[EndpointSpec],
        org_id: str = "org-a",
        status: str = "active",
    ) -> str:
        service_id = str(uuid.uuid4())
        routes = {
            n: VersionRoute.of(Bundle(service_id, n, tuple(eps), org_id=org_id))
            for n, eps in enumerate(versions, start=1)
        }
        self.services[service_id] = ServiceRoute(service_id, org_id, "ws-1", status, routes)
        self.epoch.bump()
        return service_id

    def set_status(self, service_id: str, status: str) -> None:
        old = self.services[service_id]
        self.services[service_id] = ServiceRoute(old.id, old.org_id, old.workspace_id, status, old.versions)
        self.epoch.bump()

    def url_for(self, service_id: str, path: str, org_id: str = "org-a") -> str:
        return f"{self.url}/api/v1/orgs/{org_id}/services/{service_id}{path}"


def token(org_id: str = "org-a", ttl: int = 600) -> str:
    return jwt.encode({"org_id": org_id, "exp": int(time.time()) + ttl}, KEY)


@pytest.fixture(scope="module")
def gateway_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[GatewayServer]:
    server = GatewayServer(tmp_path_factory.mktemp("service-logs"))
    yield server
    server.stop()


@pytest.fixture
def make_token() -> Any:
    return token


@pytest.fixture
def caller() -> Iterator[httpx.Client]:
    with httpx.Client(headers={"authorization": f"Bearer {token()}"}, timeout=30) as c:
        yield c


@pytest.fixture
def new_gateway_server(tmp_path: Path) -> Any:
    """Make a private server (for tests that stop it themselves)."""
    return lambda: GatewayServer(tmp_path / "logs")
