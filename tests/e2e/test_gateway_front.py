"""The platform's HTTP front over raw sockets: pipelining, HEAD, HTTP/1.0, 100-continue
and size limits behave for gateway calls as they do for the API."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import httptools

from support.hosted import deploy

ECHO = 'def main(request):\n    return {"body": request["body"], "method": request["method"]}\n'


class _Answers:
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.done: list[tuple[int, dict[bytes, bytes], bytes]] = []
        self.headers: dict[bytes, bytes] = {}
        self.body = b""

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers[name.lower()] = value

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.done.append((self.parser.get_status_code(), self.headers, self.body))
        self.headers, self.body = {}, b""


def _exchange(url: str, raw: bytes, answers: int, *, head: bool = False) -> tuple[list, bool]:
    """Send `raw`, read `answers` answers; also report whether the server then closed."""
    parts = urlsplit(url)
    got = _Answers()
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(raw)
        if head:
            got.parser.set_dangerous_leniencies(lenient_data_after_close=True)
        while len(got.done) < answers:
            data = sock.recv(65536)
            assert data, f"connection closed after {len(got.done)} answers"
            if head:  # a HEAD answer has a content-length but no body: stop at the blank line
                assert data.endswith(b"\r\n\r\n") and b"\r\n\r\n" not in data[:-4]
                return [data], False
            got.parser.feed_data(data)
        sock.settimeout(0.5)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return got.done, closed


def _service(client, tenant) -> str:
    sid = deploy(client, [{"path": "/echo", "method": "POST", "source": ECHO, "auth_mode": "public"}])["id"]
    return f"/api/v1/orgs/{tenant.org_id}/services/{sid}"


def test_pipelined_calls_keep_their_order_across_gateway_and_api(client, tenant):
    base = _service(client, tenant)
    call = f"POST {base}/echo HTTP/1.1\r\nhost: x\r\ncontent-length: 3\r\n\r\n[1]".encode()
    api = b"GET /api/v1/no-such-route HTTP/1.1\r\nhost: x\r\n\r\n"
    answers, closed = _exchange(tenant.url, call + api + call.replace(b"[1]", b"[2]"), 3)
    assert [a[0] for a in answers] == [200, 404, 200]
    assert json.loads(answers[0][2])["body"] == [1] and json.loads(answers[2][2])["body"] == [2]
    assert answers[0][1][b"x-service-version"] == b"1" and answers[0][1][b"x-request-id"].startswith(b"req_")
    assert not closed  # kept alive


def test_connection_close_http_1_0_and_head(client, tenant):
    base = _service(client, tenant)
    close = f"POST {base}/echo HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: 2\r\n\r\n{{}}"
    answers, closed = _exchange(tenant.url, close.encode(), 1)
    assert answers[0][0] == 200 and answers[0][1][b"connection"] == b"close" and closed
    old = f"POST {base}/echo HTTP/1.0\r\ncontent-length: 4\r\n\r\nnull".encode()
    answers, closed = _exchange(tenant.url, old, 1)
    assert answers[0][0] == 200 and json.loads(answers[0][2]) == {"body": None, "method": "POST"} and closed
    # Only an authenticated caller learns that the path exists with another method.
    head = f"HEAD {base}/echo HTTP/1.1\r\nhost: x\r\nx-api-key: {tenant.api_key}\r\n\r\n".encode()
    (raw,), _ = _exchange(tenant.url, head, 1, head=True)
    assert raw.startswith(b"HTTP/1.1 405 ") and b"\r\nallow: POST\r\n" in raw


def test_expect_continue_and_body_limits(client, tenant):
    base = _service(client, tenant)
    expect = f"POST {base}/echo HTTP/1.1\r\nhost: x\r\nexpect: 100-continue\r\ncontent-length: 2\r\n\r\n"
    parts = urlsplit(tenant.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(expect.encode())
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        got = _Answers()
        while not got.done:  # head and body may come in separate writes
            data = sock.recv(65536)
            assert data, "connection closed before the answer"
            got.parser.feed_data(data)
        assert got.done[0][0] == 200 and json.loads(got.done[0][2]) == {"body": {}, "method": "POST"}
    declared = f"POST {base}/echo HTTP/1.1\r\nhost: x\r\ncontent-length: {(1 << 20) + 1}\r\n\r\n".encode()
    answers, _ = _exchange(tenant.url, declared, 1)
    assert answers[0][0] == 413 and json.loads(answers[0][2])["code"] == "PAYLOAD_TOO_LARGE"
    chunk = b"x" * (64 << 10)
    chunked = f"POST {base}/echo HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n".encode()
    chunked += (b"%x\r\n%s\r\n" % (len(chunk), chunk)) * 17 + b"0\r\n\r\n"
    answers, _ = _exchange(tenant.url, chunked, 1)
    assert answers[0][0] == 413
