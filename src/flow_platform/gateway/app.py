"""The service gateway: a raw ASGI app for `/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}`.

It is mounted ahead of the FastAPI router (see `mount.py`), so a call pays for no
middleware stack, dependency injection or pydantic. A call goes through four steps,
each a method that refines one `Call`: read the target from the URL (`target.py`),
resolve the service, version and endpoint from the route cache, authenticate with the
endpoint's auth mode, and forward the raw request to the version's worker over a
kept-alive Unix socket (or stage it as an async job).
"""

from __future__ import annotations

import inspect
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from starlette.types import Receive, Scope, Send

from flow_platform.gateway.auth import Claims, Credentials, GatewayError, not_found
from flow_platform.gateway.authenticators import Authenticators, require_every_mode
from flow_platform.gateway.forward import build_request, forwarded_headers, quote_path
from flow_platform.gateway.routes import Cache, RouteTable, ServiceRoute, VersionRoute
from flow_platform.gateway.target import NEVER_PUBLISHED, Target, parse_target
from flow_platform.request_id import pick_request_id
from flow_platform.runtime.bundle import EndpointSpec, RouteMiss
from flow_platform.runtime.supervisor import Supervisor
from flow_platform.runtime.upstream import WorkerCrashed, WorkerTimeout, WorkerUnavailable
from flow_sdk import _wire as wire

log = logging.getLogger("flow_platform.gateway")

PREFIX = "/api/v1/orgs/"
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB


@dataclass(slots=True)
class Call:
    """One gateway call, refined step by step: what each step found, the next one reads."""

    request_id: str
    target: Target
    method: str  # for an async call, the target method (X-HSL-Target-Method)
    headers: dict[bytes, bytes]
    credentials: Credentials
    service: ServiceRoute | None = None
    version: VersionRoute | None = None
    endpoint: int = -1
    claims: Claims = field(default_factory=dict)

    @property
    def spec(self) -> EndpointSpec:
        assert self.version is not None and self.endpoint >= 0
        return self.version.bundle.endpoints[self.endpoint]


class AsyncSubmitter:
    """What the gateway needs from the async-jobs feature (`/async/` URLs)."""

    async def submit(
        self,
        service: ServiceRoute,
        version: VersionRoute,
        spec: EndpointSpec,
        *,
        method: str,
        path: str,
        query: str,
        headers: dict[str, str],
        body: bytes,
        claims: dict[str, Any],
        request_id: str,
        pinned: bool,
    ) -> tuple[int, dict[str, Any]]:
        raise NotImplementedError


class Gateway:
    def __init__(
        self,
        routes: RouteTable,
        supervisor: Supervisor,
        authenticators: Authenticators,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        jobs: AsyncSubmitter | None = None,
    ) -> None:
        self.routes = routes
        self.supervisor = supervisor
        self.authenticators = require_every_mode(authenticators)
        self.max_body = max_body
        self.jobs = jobs

    @staticmethod
    def handles(path: str) -> bool:
        """True for gateway URLs; everything else goes to the platform API."""
        return path.startswith(PREFIX) and path.split("/", 6)[5:6] == ["services"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ""
        call: Call | None = None
        try:
            headers: dict[bytes, bytes] = dict(scope["headers"])
            sent = headers.get(b"x-request-id")
            request_id = pick_request_id(sent.decode("latin-1") if sent else None)
            call = _start(scope, headers, request_id)
            await self._resolve(call)
            await self._authenticate(call)
            body = await self._read_body(receive, headers)
            if call.target.is_async:
                status, answer = await self._submit(call, scope.get("query_string", b""), body)
            else:
                status, answer = await self._forward(call, scope, body)
        except GatewayError as err:
            extra = [(k.encode(), v.encode()) for k, v in err.headers.items()]
            await _respond(send, err.status, _error(err, request_id), request_id, _version_of(call), extra)
            return
        except Exception as exc:
            # A bug, not the caller's doing: the one error body, the traceback in the log only,
            # and the connection closed, as the platform API does (api/errors.py).
            request_id = request_id or pick_request_id(None)
            log.error("unhandled gateway error (request %s)", request_id, exc_info=exc)
            bug = GatewayError(500, "INTERNAL_ERROR", "internal error; the request id is in the platform log")
            await _respond(send, 500, _error(bug, request_id), request_id, b"", [(b"connection", b"close")])
            return
        await _respond(send, status, answer, request_id, _version_of(call))

    async def _resolve(self, call: Call) -> None:
        """Find the service, the version and the endpoint, or say only what the caller may learn."""
        target = call.target
        service = self.routes.cached(target.service_id)
        if service is Cache.MISS:
            service = await self.routes.get(target.service_id)
        if service is None or service.org_id != target.org_id or service.status == "archived":
            raise not_found()
        call.service = service
        version: VersionRoute | None = None
        try:
            version = _pick_version(service, target.pinned)
            if target.is_async:
                method = call.headers.get(b"x-hsl-target-method", b"").decode("latin-1").upper()
                if call.method != "POST" or not method:
                    raise GatewayError(400, "BAD_REQUEST", "async calls are POST with X-HSL-Target-Method set")
                call.method = method
            call.endpoint = _match(version, call.method, target.path)
        except GatewayError as miss:
            # Only a caller with platform access to this service learns why nothing matched
            # (or which version answered); anyone else gets the unknown-service answer.
            await self._reveal_to_members(call.credentials, service)
            call.version = version
            if service.status == "suspended":
                raise _suspended() from None
            raise miss from None
        call.version = version

    async def _authenticate(self, call: Call) -> None:
        assert call.service is not None
        claims = self.authenticators[call.spec.auth_mode](call.credentials, call.service)
        call.claims = await claims if inspect.isawaitable(claims) else claims
        if call.service.status == "suspended":
            raise _suspended()

    async def _forward(self, call: Call, scope: Scope, body: bytes) -> tuple[int, bytes]:
        assert call.version is not None
        spec = call.spec
        # Forward the path matched in _resolve, re-quoted, and the endpoint it matched:
        # the worker runs that endpoint and only checks the path against it.
        upstream = build_request(
            call.method,
            quote_path(call.target.path),
            scope.get("query_string", b""),
            scope["headers"],
            body,
            call.request_id,
            call.claims,
            call.endpoint,
        )
        try:
            return await self.supervisor.call(call.version.bundle, upstream, spec.timeout_seconds)
        except WorkerTimeout:
            raise GatewayError(
                504, "TIMEOUT", f"the handler did not answer within {spec.timeout_seconds:g} s"
            ) from None
        except WorkerCrashed:
            raise GatewayError(502, "WORKER_CRASHED", "the service worker died during the call") from None
        except WorkerUnavailable:
            raise GatewayError(
                502, "WORKER_UNAVAILABLE", "the service worker could not be started; see the service logs"
            ) from None

    async def _submit(self, call: Call, query: bytes, body: bytes) -> tuple[int, bytes]:
        assert call.service is not None and call.version is not None
        spec = call.spec
        if not spec.async_eligible:
            raise GatewayError(400, wire.NOT_ASYNC_ELIGIBLE, f"{call.method} {call.target.path} is not async eligible")
        if self.jobs is None:
            raise GatewayError(404, "NOT_FOUND", "async jobs are not enabled")
        status, payload = await self.jobs.submit(
            call.service,
            call.version,
            spec,
            method=call.method,
            path=call.target.path,
            query=query.decode("latin-1"),
            headers=forwarded_headers(call.headers),
            body=body,
            claims=call.claims,
            request_id=call.request_id,
            pinned=call.target.pinned is not None,
        )
        return status, json.dumps(payload).encode()

    async def _reveal_to_members(self, creds: Credentials, service: ServiceRoute) -> None:
        """Raise the unknown-service 404 unless the caller has platform access to `service`."""
        try:
            answer = self.authenticators["platform"](creds, service)
            if inspect.isawaitable(answer):
                await answer
        except GatewayError:
            raise not_found() from None

    async def _read_body(self, receive: Receive, headers: dict[bytes, bytes]) -> bytes:
        declared = headers.get(b"content-length")
        if declared in (None, b"0") and b"transfer-encoding" not in headers:
            return b""  # nothing to read; ASGI lets us skip receive()
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            raise _too_large(self.max_body)
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise GatewayError(400, "BAD_REQUEST", "client disconnected")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                raise _too_large(self.max_body)
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks)


def _start(scope: Scope, headers: dict[bytes, bytes], request_id: str) -> Call:
    raw = scope.get("raw_path") or quote(scope["path"]).encode()
    bearer = headers.get(b"authorization")
    api_key = headers.get(b"x-api-key")
    credentials = Credentials(
        bearer[7:].decode("latin-1") if bearer and bearer[:7].lower() == b"bearer " else None,
        api_key.decode("latin-1") if api_key else None,
    )
    return Call(request_id, parse_target(raw), scope["method"], headers, credentials)


def _pick_version(service: ServiceRoute, pinned: int | None) -> VersionRoute:
    if pinned is None:
        latest = service.latest
        if latest is None:
            raise GatewayError(404, "VERSION_NOT_FOUND", "the service has no published version")
        return latest
    version = service.versions.get(pinned)
    if version is None:
        shown = "that version" if pinned == NEVER_PUBLISHED else f"version {pinned}"
        raise GatewayError(404, "VERSION_NOT_FOUND", f"{shown} is not published")
    return version


def _match(version: VersionRoute, method: str, path: str) -> int:
    try:
        index, _ = version.router.match(method, path)
    except RouteMiss as miss:
        if miss.status == 405:
            raise GatewayError(
                405, "METHOD_NOT_ALLOWED", f"{method} not allowed on {path}", {"allow": ", ".join(miss.allowed)}
            ) from None
        raise GatewayError(404, "ENDPOINT_NOT_FOUND", f"no endpoint {path}") from None
    return index


def _version_of(call: Call | None) -> bytes:
    """The X-Service-Version header's value: set once a version was chosen, errors included."""
    return b"%d" % call.version.number if call is not None and call.version is not None else b""


def _suspended() -> GatewayError:
    return GatewayError(503, "SERVICE_SUSPENDED", "the service is suspended")


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes")


def _error(err: GatewayError, request_id: str) -> bytes:
    return wire.error_bytes(err.status, err.message, code=err.code, details=err.details, request_id=request_id)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    request_id: str,
    version: bytes,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"x-request-id", request_id.encode("latin-1")),
    ]
    if version:
        headers.append((b"x-service-version", version))
    if extra:
        headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
