"""The service gateway: a raw ASGI app for `/api/v1/orgs/{org}/services/{id}[/v{N}][/async]/{path}`.

It is mounted ahead of the FastAPI router (see `mount`), so a call pays for no
middleware stack, dependency injection or pydantic: parse the URL, look the service up
in the route cache, authenticate, read the body (capped), forward the raw request to
the version's worker over a kept-alive Unix socket and stream its answer back.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any
from urllib.parse import quote, unquote

from flow_platform.api.request_id import pick_request_id
from flow_platform.gateway.auth import Authenticator, Credentials, GatewayError, not_found
from flow_platform.gateway.routes import RouteTable, ServiceRoute, VersionRoute
from flow_platform.runtime.bundle import EndpointSpec, RouteMiss
from flow_platform.runtime.supervisor import Supervisor
from flow_platform.runtime.upstream import WorkerCrashed, WorkerTimeout, WorkerUnavailable
from flow_sdk import _wire as wire

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/api/v1/orgs/"
DEFAULT_MAX_BODY = 1 << 20  # 1 MiB

# RFC 9110 section 7.6.1, plus what the gateway sets itself or must never forward:
# the caller's platform credentials stay out of service code (claims carry identity).
_NOT_FORWARDED = frozenset(
    b"connection keep-alive proxy-connection proxy-authenticate proxy-authorization te "
    b"trailer trailers transfer-encoding upgrade host content-length authorization "
    b"x-api-key x-request-id".split()
)


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
        authenticators: dict[str, Authenticator],
        *,
        max_body: int = DEFAULT_MAX_BODY,
        jobs: AsyncSubmitter | None = None,
    ) -> None:
        self.routes = routes
        self.supervisor = supervisor
        self.authenticators = authenticators  # kept, not copied: features register more later
        self.max_body = max_body
        self.jobs = jobs

    @staticmethod
    def handles(path: str) -> bool:
        """True for gateway URLs; everything else goes to the platform API."""
        return path.startswith(PREFIX) and path.split("/", 6)[5:6] == ["services"]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = ""
        chosen: list[int] = []  # the version, once known: errors after that carry it too
        try:
            headers: dict[bytes, bytes] = dict(scope["headers"])
            sent = headers.get(b"x-request-id")
            request_id = pick_request_id(sent.decode("latin-1") if sent else None)
            status, body = await self._handle(scope, receive, headers, request_id, chosen)
        except GatewayError as err:
            extra = [(k.encode(), v.encode()) for k, v in err.headers.items()]
            version = b"%d" % chosen[0] if chosen else b""
            return await _respond(send, err.status, _error(err, request_id), request_id, version, extra)
        await _respond(send, status, body, request_id, b"%d" % chosen[0])

    async def _handle(
        self, scope: Scope, receive: Receive, headers: dict[bytes, bytes], request_id: str, chosen: list[int]
    ) -> tuple[int, bytes]:
        # Parse the URL once, from the raw path, and route exactly once: the worker runs the
        # endpoint matched here, so an encoded "/" cannot move a segment past the checks.
        # ['', 'api', 'v1', 'orgs', org, 'services', id, rest...]
        raw = scope.get("raw_path") or quote(scope["path"]).encode()
        parts = raw.decode("latin-1").split("/", 7)
        if len(parts) < 7:
            raise not_found()
        org_id, service_id = unquote(parts[4]), unquote(parts[6])
        if "/" in org_id or "/" in service_id:
            raise not_found()
        rest_raw = parts[7] if len(parts) > 7 else ""
        service = self.routes.cached(service_id)
        if service is False:
            service = await self.routes.get(service_id) if service_id else None
        if service is None or service.org_id != org_id or service.status == "archived":
            raise not_found()

        pinned: int | None = None
        head_raw, _, tail_raw = rest_raw.partition("/")
        head = unquote(head_raw)
        if _is_marker(head.partition("/")[0]) and head != head.partition("/")[0]:
            raise not_found()  # an encoded "/" after a version or async segment
        if len(head) > 1 and head[0] == "v" and head[1:].isdigit():
            pinned, rest_raw = int(head[1:]), tail_raw
            head_raw, _, tail_raw = rest_raw.partition("/")
            head = unquote(head_raw)
            if head.partition("/")[0] == "async" and head != "async":
                raise not_found()
        is_async = head == "async"
        if is_async:
            rest_raw = tail_raw
        path = "/" + unquote(rest_raw)
        bearer = headers.get(b"authorization")
        api_key = headers.get(b"x-api-key")
        creds = Credentials(
            bearer[7:].decode("latin-1") if bearer and bearer[:7].lower() == b"bearer " else None,
            api_key.decode("latin-1") if api_key else None,
        )

        method = scope["method"]
        version: VersionRoute | None = None
        try:
            version = _pick_version(service, pinned)
            if is_async:
                target = headers.get(b"x-hsl-target-method", b"").decode("latin-1").upper()
                if method != "POST" or not target:
                    raise GatewayError(400, "BAD_REQUEST", "async calls are POST with X-HSL-Target-Method set")
                method = target
            try:
                index, _ = version.router.match(method, path)
            except RouteMiss as miss:
                if miss.status == 405:
                    raise GatewayError(
                        405,
                        "METHOD_NOT_ALLOWED",
                        f"{method} not allowed on {path}",
                        {"allow": ", ".join(miss.allowed)},
                    ) from None
                raise GatewayError(404, "ENDPOINT_NOT_FOUND", f"no endpoint {path}") from None
        except GatewayError as miss:
            # Only a caller with platform access to this service learns why nothing matched;
            # anyone else gets the answer an unknown service gets.
            await self._reveal_to_members(creds, service)
            if version is not None:
                chosen.append(version.number)
            if service.status == "suspended":
                raise _suspended() from None
            raise miss from None
        chosen.append(version.number)
        spec = version.bundle.endpoints[index]

        authenticate = self.authenticators.get(spec.auth_mode)
        if authenticate is None:
            raise GatewayError(500, "AUTH_MODE_UNSUPPORTED", f"auth_mode {spec.auth_mode!r}")
        claims = authenticate(creds, service)
        if inspect.isawaitable(claims):
            claims = await claims
        if service.status == "suspended":
            raise _suspended()

        body = await self._read_body(receive, headers)
        query = scope.get("query_string", b"")
        if is_async:
            if not spec.async_eligible:
                raise GatewayError(400, wire.NOT_ASYNC_ELIGIBLE, f"{method} {path} is not async eligible")
            if self.jobs is None:
                raise GatewayError(404, "NOT_FOUND", "async jobs are not enabled")
            text_headers = {
                k.decode("latin-1"): v.decode("latin-1") for k, v in headers.items() if k not in _NOT_FORWARDED
            }
            status, payload = await self.jobs.submit(
                service,
                version,
                spec,
                method=method,
                path=path,
                query=query.decode("latin-1"),
                headers=text_headers,
                body=body,
                claims=claims,
                request_id=request_id,
                pinned=pinned is not None,
            )
            return status, json.dumps(payload).encode()

        # Forward the path matched above, re-quoted, and the endpoint it matched: the
        # worker runs that endpoint and only checks the path against it.
        upstream = build_request(method, quote_path(path), query, scope["headers"], body, request_id, claims, index)
        try:
            status, answer = await self.supervisor.call(version.bundle, upstream, spec.timeout_seconds)
        except WorkerTimeout:
            raise GatewayError(
                504, "TIMEOUT", f"the handler did not answer within {spec.timeout_seconds:g} s"
            ) from None
        except WorkerCrashed:
            raise GatewayError(502, "WORKER_CRASHED", "the service worker died during the call") from None
        except WorkerUnavailable:
            raise GatewayError(
                502,
                "WORKER_UNAVAILABLE",
                "the service worker could not be started; see the service logs",
            ) from None
        return status, answer

    async def _reveal_to_members(self, creds: Credentials, service: ServiceRoute) -> None:
        """Raise the unknown-service 404 unless the caller has platform access to `service`."""
        check = self.authenticators.get("platform")
        if check is None:
            raise not_found()
        try:
            answer = check(creds, service)
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


def _is_marker(segment: str) -> bool:
    return segment == "async" or (len(segment) > 1 and segment[0] == "v" and segment[1:].isdigit())


def _suspended() -> GatewayError:
    return GatewayError(503, "SERVICE_SUSPENDED", "the service is suspended")


def quote_path(path: str) -> bytes:
    """A decoded path as a request target the worker decodes back to exactly `path`."""
    return quote(path, safe="/!$&'()*+,;=:@~-._").encode("ascii")


def _pick_version(service: ServiceRoute, pinned: int | None) -> VersionRoute:
    if pinned is None:
        latest = service.latest
        if latest is None:
            raise GatewayError(404, "VERSION_NOT_FOUND", "the service has no published version")
        return latest
    version = service.versions.get(pinned)
    if version is None:
        raise GatewayError(404, "VERSION_NOT_FOUND", f"version {pinned} is not published")
    return version


def _too_large(limit: int) -> GatewayError:
    return GatewayError(413, "PAYLOAD_TOO_LARGE", f"request body exceeds {limit} bytes")


def build_request(
    method: str,
    target: bytes,
    query: bytes,
    headers: list[tuple[bytes, bytes]],
    body: bytes,
    request_id: str,
    claims: dict[str, Any],
    endpoint: int | None = None,
) -> bytes:
    """The raw HTTP/1.1 request for the worker, without hop-by-hop or credential headers.

    `endpoint` is the index of the endpoint the gateway matched: the worker runs that one.
    """
    skip = _NOT_FORWARDED
    for name, value in headers:
        if name == b"connection":  # headers it names are hop-by-hop too
            skip = skip | {token.strip().lower() for token in value.split(b",")}
    lines = [method.encode(), b" ", target]
    if query:
        lines += [b"?", query]
    lines.append(b" HTTP/1.1\r\nhost: worker\r\nx-request-id: %s\r\n" % request_id.encode())
    for name, value in headers:
        if name not in skip and not name.startswith(b"x-flow-"):
            lines += [name, b": ", value, b"\r\n"]
    if claims:
        lines += [b"x-flow-claims: ", json.dumps(claims).encode(), b"\r\n"]
    if endpoint is not None:
        lines.append(b"x-flow-endpoint: %d\r\n" % endpoint)
    lines.append(b"content-length: %d\r\n\r\n" % len(body))
    lines.append(body)
    return b"".join(lines)


def _error(err: GatewayError, request_id: str) -> bytes:
    return wire.error_bytes(err.status, err.message, code=err.code, details=err.details, request_id=request_id)


async def _respond(
    send: Send,
    status: int,
    body: bytes,
    request_id: str,
    version: bytes,
    extra: list[tuple[bytes, bytes]] = (),  # type: ignore[assignment]
) -> None:
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        (b"x-request-id", request_id.encode("latin-1")),
    ]
    if version:
        headers.append((b"x-service-version", version))
    headers.extend(extra)
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def mount(
    app: ASGIApp,
    gateway: Gateway,
    *,
    on_startup: Callable[[], Awaitable[None]] | None = None,
    on_shutdown: Callable[[], Awaitable[None]] | None = None,
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


def _lifespan_send(
    send: Send,
    on_startup: Callable[[], Awaitable[None]] | None,
    on_shutdown: Callable[[], Awaitable[None]] | None,
) -> Send:
    async def wrapped(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "lifespan.startup.complete" and on_startup is not None:
            await on_startup()
        elif message["type"] == "lifespan.shutdown.complete" and on_shutdown is not None:
            await on_shutdown()
        await send(message)

    return wrapped
