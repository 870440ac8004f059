"""Entry point of a runtime worker: one OS process serving one published service version.

    python -m flow_platform.runtime.worker --bundle -|B --socket S --ready-fd R --parent-fd P

The worker compiles the bundle's code, listens on a Unix socket (and on a loopback TCP
port with --port, which the benchmarks use to call it directly), writes one byte to the
ready pipe and serves HTTP/1.1 with keep-alive. The gateway resolves auth, versions and
limits; the worker routes within its version, validates schemas and runs handlers.

Each connection is served by its own thread with blocking I/O: the gateway keeps one
connection per concurrent call, so a slow call holds only its own thread and never
blocks a second caller, and a fast sync call costs no hand-off between threads (an
asyncio loop plus a thread pool measured twice the CPU per call). `async def` handlers
run on one event-loop thread. The supervisor, not the worker, enforces timeouts, by
replacing the whole process: a thread cannot be killed, a process can.
"""

from __future__ import annotations

import argparse
import asyncio
import hmac
import inspect
import json
import linecache
import os
import signal
import socket
import sys
import threading
import traceback
from collections import deque
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import httptools

from flow_platform.runtime.bundle import Bundle, EndpointSpec, RouteMiss, Router
from flow_platform.runtime.schema import validate
from flow_platform.sandbox import landlock, namespaces
from flow_platform.sandbox.confine import confine
from flow_platform.sandbox.policy import Policy
from flow_sdk import _wire as wire
from flow_sdk.runtime import FlowSDK, HTTPError

CONTROL_PREFIX = "x-flow-"
THREAD_STACK_BYTES = 2 * 1024 * 1024
# Exit status of a worker that ran out of memory: it answered the call, then left.
EXIT_OUT_OF_MEMORY = 71
_REASONS = {int(s): s.phrase.encode() for s in HTTPStatus}


class Handler:
    """One endpoint's compiled entrypoint."""

    __slots__ = ("spec", "func", "is_async", "wants_flow")

    def __init__(self, spec: EndpointSpec, bundle: Bundle, index: int) -> None:
        filename = f"<{bundle.service_id}:v{bundle.version}:{spec.method} {spec.path}>"
        # Registering the source lets tracebacks in the service log show the lines.
        linecache.cache[filename] = (len(spec.source), None, spec.source.splitlines(True), filename)
        namespace: dict[str, Any] = {"__name__": f"flow_codeblock_{index}", "__file__": filename}
        exec(compile(spec.source, filename, "exec"), namespace)  # noqa: S102 - it is the job
        func = namespace.get(spec.entrypoint)
        if not callable(func):
            raise RuntimeError(f"entrypoint {spec.entrypoint!r} not found in {filename}")
        self.spec = spec
        self.func = func
        self.is_async = inspect.iscoroutinefunction(func)
        self.wants_flow = len(inspect.signature(func).parameters) >= 2


def error_body(status: int, code: str, message: str, request_id: str, details: Any = ()) -> bytes:
    return wire.error_bytes(status, message, code=code, request_id=request_id, details=details)


def http_response(status: int, body: bytes, keep_alive: bool = True) -> bytes:
    reason = _REASONS.get(status, b"Status")
    head = b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n" % (
        status,
        reason,
        len(body),
    )
    return head + (b"\r\n" if keep_alive else b"connection: close\r\n\r\n") + body


class App:
    """Turns a parsed request into (status, JSON bytes)."""

    def __init__(self, bundle: Bundle, loop: asyncio.AbstractEventLoop) -> None:
        self.bundle = bundle
        self.handlers = [Handler(spec, bundle, i) for i, spec in enumerate(bundle.endpoints)]
        self.router = Router(bundle.endpoints)
        self.loop = loop  # runs the async handlers
        self.conn_key = b""  # when set, every connection must start with it and a newline
        self.out_of_memory = False

    def prepare(
        self, method: str, target: bytes, headers: dict[str, str], body: bytes
    ) -> tuple[Handler, dict[str, Any]] | tuple[int, bytes]:
        url = httptools.parse_url(target)
        path = unquote(url.path.decode())
        request_id = headers.get("x-request-id", "")
        chosen = headers.pop("x-flow-endpoint", None)
        try:
            index, params = self.router.match(method, path)
        except RouteMiss as miss:
            if miss.status == 405 and chosen is None:
                msg = f"{method} is not allowed on {path}; allowed: {', '.join(miss.allowed)}"
                return 405, error_body(405, "METHOD_NOT_ALLOWED", msg, request_id)
            index, params = -1, {}
        if chosen is not None and str(index) != chosen:
            # The gateway checked auth for the endpoint it matched: run that one or none.
            _log(f"request {request_id}: {method} {path} does not match endpoint {chosen}")
            return 404, error_body(404, "NOT_FOUND", f"no endpoint for {path}", request_id)
        if index < 0:
            return 404, error_body(404, "NOT_FOUND", f"no endpoint for {path}", request_id)
        handler = self.handlers[index]
        parsed: Any = None
        if body:
            try:
                parsed = json.loads(body)
            except ValueError:
                return 400, error_body(400, "INVALID_JSON", "request body is not JSON", request_id)
        if handler.spec.request_schema is not None:
            errors = validate(parsed, handler.spec.request_schema, ("body",))
            if errors:
                msg = "request body does not match the endpoint's request_schema"
                return 422, error_body(422, "VALIDATION_ERROR", msg, request_id, errors)
        query: dict[str, Any] = {}
        if url.query:
            for key, values in parse_qs(url.query.decode(), keep_blank_values=True).items():
                query[key] = values[0] if len(values) == 1 else values
        claims = headers.pop("x-flow-claims", None)
        request = {
            "method": method,
            "path": path,
            "path_params": params,
            "query": query,
            "headers": {k: v for k, v in headers.items() if not k.startswith(CONTROL_PREFIX)},
            "body": parsed,
            "claims": json.loads(claims) if claims else {},
        }
        return handler, request

    def run(self, handler: Handler, request: dict[str, Any]) -> tuple[int, bytes]:
        flow = _flow(request) if handler.wants_flow else None
        try:
            args = (request, flow) if handler.wants_flow else (request,)
            if handler.is_async:
                future = asyncio.run_coroutine_threadsafe(handler.func(*args), self.loop)
                result = future.result()
            else:
                result = handler.func(*args)
        except MemoryError:
            # The worker's memory limit: end this process once the call is answered, as
            # the handler may have left it short of memory.
            self.out_of_memory = True
            request_id = request["headers"].get("x-request-id", "")
            _log(f"request {request_id}: the handler ran out of memory; the worker will be replaced")
            msg = "the handler exceeded its memory limit"
            return 502, error_body(502, "WORKER_OUT_OF_MEMORY", msg, request_id)
        except BaseException as exc:  # noqa: BLE001 - any failure is the handler's answer
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            return self.finish(handler, request, None, exc)
        finally:
            if flow is not None:
                flow.close()
        return self.finish(handler, request, result, None)

    def finish(
        self, handler: Handler, request: dict[str, Any], result: Any, exc: BaseException | None
    ) -> tuple[int, bytes]:
        """Encode a handler's result or exception."""
        request_id = request["headers"].get("x-request-id", "")
        if exc is None:
            if handler.spec.response_schema is not None:
                errors = validate(result, handler.spec.response_schema, ("response",))
                if errors:
                    _log(f"request {request_id}: response does not match response_schema: {errors}")
                    msg = "the handler's response does not match the endpoint's response_schema"
                    return 500, error_body(500, "RESPONSE_SCHEMA_MISMATCH", msg, request_id, errors)
            try:
                return 200, json.dumps(result, separators=(",", ":")).encode()
            except (TypeError, ValueError) as err:
                exc = err
        if isinstance(exc, HTTPError):
            return exc.status, error_body(exc.status, exc.code, exc.message, request_id, exc.details)
        lines = traceback.format_exception(exc)
        _log(f"request {request_id}: handler raised\n{''.join(lines)}")
        return 500, error_body(500, "HANDLER_ERROR", "the service handler failed", request_id)

    def handle(self, method: str, target: bytes, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
        prepared = self.prepare(method, target, headers, body)
        if isinstance(prepared[0], int):
            return prepared
        return self.run(*prepared)


def _flow(request: dict[str, Any]) -> Any:
    return FlowSDK(request_id=request["headers"].get("x-request-id"))


def _log(message: str) -> None:
    sys.stderr.write(message.rstrip("\n") + "\n")
    sys.stderr.flush()


class _Parsed:
    """httptools callbacks for one connection; complete requests queue in `ready`.

    Method and keep-alive are read per message, when its head is complete: with
    pipelining, one feed can hold several requests, and by the time they are answered
    the parser only knows the last one.
    """

    def __init__(self) -> None:
        self.ready: deque[tuple[str, bytes, dict[str, str], bytes, bool]] = deque()
        self.parser: Any = None
        self.method = ""
        self.keep_alive = True
        self.url = b""
        self.headers: dict[str, str] = {}
        self.body: list[bytes] = []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        self.method = self.parser.get_method().decode()
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.ready.append((self.method, self.url, self.headers, b"".join(self.body), self.keep_alive))
        self.url, self.headers, self.body = b"", {}, []


def serve_connection(sock: socket.socket, app: App) -> None:
    """Answer the requests on one keep-alive connection, in order, until it closes."""
    state = _Parsed()
    parser = httptools.HttpRequestParser(state)
    state.parser = parser
    try:
        data = _check_key(sock, app.conn_key) if app.conn_key else b""
        if data is None:
            return
        while data or (data := sock.recv(65536)):
            try:
                parser.feed_data(data)
                malformed = False
            except httptools.HttpParserError:
                malformed = True  # the requests parsed before the fault still get answers
            data = b""
            while state.ready:
                method, target, headers, body, keep_alive = state.ready.popleft()
                status, answer = app.handle(method, target, headers, body)
                sock.sendall(http_response(status, answer, keep_alive))
                if app.out_of_memory:
                    os._exit(EXIT_OUT_OF_MEMORY)
                if not keep_alive:
                    return
            if malformed:
                sock.sendall(http_response(400, b'{"code":"BAD_REQUEST"}', False))
                return
    except OSError:
        pass  # the caller went away (e.g. the gateway gave up after a timeout)
    finally:
        sock.close()


def _check_key(sock: socket.socket, key: bytes) -> bytes | None:
    """Read the connection key line; what followed it, or None for a wrong key."""
    want = len(key) + 1
    buf = b""
    while len(buf) < want:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        buf += chunk
    if not hmac.compare_digest(buf[:want], key + b"\n"):
        return None
    return buf[want:]


def _accept_forever(listener: socket.socket, app: App) -> None:
    while True:
        sock, _ = listener.accept()
        if sock.family == socket.AF_INET:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            threading.Thread(target=serve_connection, args=(sock, app), daemon=True).start()
        except RuntimeError:  # out of threads (RLIMIT_NPROC) or memory: refuse this one
            sock.close()


def _watch_parent(fd: int) -> None:
    """Exit as soon as the supervisor's end of the pipe closes, i.e. when it dies."""
    try:
        while os.read(fd, 1):
            pass
    finally:
        os._exit(0)


def _read_bundle(where: str) -> tuple[Bundle, bytes]:
    """The bundle and the connection key (none when read from a file)."""
    if where == "-":  # the supervisor's way: nothing of the bundle touches the disk
        data = sys.stdin.buffer.read()
        sys.stdin.close()
        key, _, text = data.partition(b"\n")
        return Bundle.loads(text.decode()), key
    return Bundle.loads(Path(where).read_text()), b""


def _isolate(workdir: str, policy: Policy | None, namespaces: str) -> str:
    """Confine this process before any service code runs; says what applied.

    With a policy (the supervisor's way): see `flow_platform.sandbox`. Without one (a
    worker started by hand): Landlock only, and not dumpable, so other processes of this
    user cannot read our /proc files (environ holds AUTH_TOKEN).
    """
    if policy is not None:
        keep = tuple(os.path.dirname(p) for p in [os.environ.get("PLATFORM_API_SOCKET", "")] if p)
        applied = confine(policy, workdir, keep=keep, namespaced=not namespaces.startswith("none"))
        return "; ".join([f"namespaces {namespaces}", *applied])
    import ctypes

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE 0
    version = landlock.restrict(workdir)
    return f"landlock ABI {version}" if version else "unconfined (no Landlock in this kernel)"


def serve(args: argparse.Namespace) -> None:
    bundle, key = _read_bundle(args.bundle)
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="async-handlers", daemon=True).start()
    listeners = []
    if args.socket:
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        unix.bind(args.socket)
        listeners.append(unix)
    if args.port is not None:
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tcp.bind(("127.0.0.1", args.port))
        listeners.append(tcp)
    policy = Policy.loads(args.sandbox) if args.sandbox else None
    if args.confine:
        isolation = _isolate(os.getcwd(), policy, args.namespaces)
    else:
        isolation = "unconfined (--no-confine)"
    # Each connection has a thread: smaller stacks keep 256 of them inside the address
    # space limit (see sandbox.policy.ADDRESS_SPACE_ALLOWANCE_MB).
    threading.stack_size(THREAD_STACK_BYTES)
    app = App(bundle, loop)  # the service's code runs from here on
    app.conn_key = key
    for listener in listeners:
        listener.listen(512)
        threading.Thread(target=_accept_forever, args=(listener, app), daemon=True).start()
    if args.ready_fd is not None:
        # Our pid as the platform sees it (getpid() answers 2 inside the PID namespace).
        os.write(args.ready_fd, b"R" + os.readlink("/proc/self").encode())
        os.close(args.ready_fd)
    _log(f"worker {os.getpid()} ready: service {bundle.service_id} v{bundle.version}; {isolation}")
    # Handler threads may be stuck; exit without waiting for them.
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    signal.signal(signal.SIGINT, lambda *_: os._exit(0))
    while True:
        signal.pause()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="flow_platform.runtime.worker")
    parser.add_argument("--bundle", required=True)
    parser.add_argument("--socket")
    parser.add_argument("--port", type=int)
    parser.add_argument("--ready-fd", type=int)
    parser.add_argument("--parent-fd", type=int)
    parser.add_argument("--sandbox", help="the sandbox policy (JSON), from the supervisor")
    parser.add_argument(
        "--no-confine", dest="confine", action="store_false", help="skip Landlock (benchmarks, debugging)"
    )
    args = parser.parse_args(argv)
    args.namespaces = "none (no policy)"
    if args.sandbox and args.confine:
        policy = Policy.loads(args.sandbox)
        if policy.enabled:
            # First, while this process has one thread; returns in the namespace's child.
            args.namespaces = namespaces.enter(policy.network)
    if args.parent_fd is not None:
        threading.Thread(target=_watch_parent, args=(args.parent_fd,), daemon=True).start()
    serve(args)


if __name__ == "__main__":
    main()
