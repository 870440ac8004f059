"""A bug in a handler is still a good answer: the one error body, the traceback in the log only."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from flow_platform.api.deps import get_any_principal
from flow_platform.app import create_app
from flow_platform.gateway.app import Gateway
from flow_platform.gateway.authenticators import default_authenticators
from flow_platform.gateway.routes import RouteEpoch, RouteTable
from flow_platform.runtime.supervisor import Supervisor
from flow_platform.settings import Settings

SECRET = "a-secret-that-must-stay-in-the-log"


def _boom() -> None:
    raise RuntimeError(SECRET)


@pytest.fixture
def app(tmp_path: Path) -> Any:
    app = create_app(Settings(data_dir=tmp_path, secret_key="k" * 32))
    app.dependency_overrides[get_any_principal] = _boom
    return app


def _get(app: Any, url: str) -> httpx.Response:
    """One request in process, through the ASGI app (no server, no socket)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            return await client.get(url, headers={"X-Request-ID": "req-under-test"})

    return asyncio.run(go())


def _check_body(status: int, headers: Any, body: dict[str, Any]) -> None:
    assert status == 500
    assert body == {
        "code": "INTERNAL_ERROR",
        "message": "internal error; the request id is in the platform log",
        "details": [],
        "request_id": "req-under-test",
    }
    assert headers["x-request-id"] == "req-under-test"
    assert headers["connection"] == "close"


def test_in_process_an_unhandled_error_is_the_one_error_body(app: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        answer = _get(app, "/api/v1/auth/me")
    _check_body(answer.status_code, answer.headers, answer.json())
    assert SECRET not in answer.text and "Traceback" not in answer.text
    logged = [r for r in caplog.records if r.exc_info and SECRET in str(r.exc_info[1])]
    assert len(logged) == 1 and "req-under-test" in logged[0].getMessage()


@pytest.fixture
def served(app: Any) -> Iterator[tuple[str, int]]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(app, log_level="critical", http="httptools", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield sock.getsockname()
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()


def _read_answer(conn: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        assert chunk, "connection closed before an answer"
        data += chunk
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = conn.recv(65536)
        assert chunk, "connection closed inside the body"
        rest += chunk
    return int(lines[0].split()[1]), headers, rest[:length]


def test_over_a_socket_the_connection_is_closed_cleanly_and_said_so(served: tuple[str, int]) -> None:
    import json

    request = b"GET /api/v1/auth/me HTTP/1.1\r\nhost: x\r\nx-request-id: req-under-test\r\n\r\n"
    with socket.create_connection(served, timeout=10) as conn:
        # The same connection first serves a healthy request, so it is a kept-alive one.
        conn.sendall(b"GET /version HTTP/1.1\r\nhost: x\r\n\r\n")
        status, headers, _ = _read_answer(conn)
        assert status == 200 and headers.get("connection") != "close"
        conn.sendall(request)
        status, headers, body = _read_answer(conn)
        _check_body(status, headers, json.loads(body))
        # Said "Connection: close", then closed: an orderly end of stream, not a reset.
        assert conn.recv(1) == b""
    # And the next call, on a new connection, is served.
    with socket.create_connection(served, timeout=10) as conn:
        conn.sendall(b"GET /version HTTP/1.1\r\nhost: x\r\n\r\n")
        assert _read_answer(conn)[0] == 200


def test_the_gateway_answers_its_own_bugs_with_the_one_error_body(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_loader(service_id: str) -> None:
        raise RuntimeError(SECRET)

    def no_platform_auth(*_: Any) -> str:
        raise AssertionError("not reached")

    gateway = Gateway(
        RouteTable(broken_loader, RouteEpoch()),
        Supervisor(tmp_path),
        default_authenticators(no_platform_auth),  # type: ignore[arg-type]
    )
    url = "/api/v1/orgs/o/services/2b3f5f4e-8d3a-4a53-9d0e-6f1f0f3f8a11/echo"
    with caplog.at_level(logging.ERROR):
        answer = _get(gateway, url)
    _check_body(answer.status_code, answer.headers, answer.json())
    assert answer.headers["content-type"] == "application/json"
    assert SECRET not in answer.text
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)
