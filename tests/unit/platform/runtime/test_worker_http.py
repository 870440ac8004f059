"""The worker's HTTP/1.1 server, spoken to over a raw socket."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from flow_platform.runtime.bundle import Bundle, EndpointSpec

ECHO = "def main(request):\n    return {'method': request['method'], 'body': request['body']}\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def worker(tmp_path: Path) -> Iterator[int]:
    bundle = tmp_path / "bundle.json"
    Bundle("svc", 1, (EndpointSpec("GET", "/echo", ECHO), EndpointSpec("POST", "/echo", ECHO))).write(bundle)
    port = _free_port()
    r, w = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "flow_platform.runtime.worker", "--bundle", str(bundle), "--port", str(port)]
        + ["--ready-fd", str(w), "--no-confine"],
        pass_fds=(w,),
        stderr=subprocess.DEVNULL,
    )
    os.close(w)
    try:
        assert os.read(r, 1) == b"R"
        yield port
    finally:
        os.close(r)
        proc.kill()
        proc.wait()


def _read_answers(sock: socket.socket, count: int) -> list[tuple[int, dict]]:
    buf = b""
    answers: list[tuple[int, dict]] = []
    while len(answers) < count:
        while True:
            head, sep, rest = buf.partition(b"\r\n\r\n")
            if sep:
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                if len(rest) >= length:
                    break
            chunk = sock.recv(65536)
            assert chunk, "the worker closed the connection early"
            buf += chunk
        status = int(head.split(b" ", 2)[1])
        answers.append((status, json.loads(rest[:length])))
        buf = rest[length:]
    return answers


def test_pipelined_requests_keep_their_own_method(worker):
    body = b'{"n": 1}'
    batch = (
        b"GET /echo HTTP/1.1\r\nhost: w\r\n\r\n"
        + b"POST /echo HTTP/1.1\r\nhost: w\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n" % len(body)
        + body
    )
    with socket.create_connection(("127.0.0.1", worker), timeout=10) as sock:
        sock.sendall(batch)  # one write: the worker parses both before answering either
        answers = _read_answers(sock, 2)
    assert answers == [(200, {"method": "GET", "body": None}), (200, {"method": "POST", "body": {"n": 1}})]


def test_pipelined_close_applies_to_its_own_request(worker):
    batch = b"GET /echo HTTP/1.1\r\nhost: w\r\nconnection: close\r\n\r\nGET /echo HTTP/1.1\r\nhost: w\r\n\r\n"
    with socket.create_connection(("127.0.0.1", worker), timeout=10) as sock:
        sock.sendall(batch)
        answers = _read_answers(sock, 1)
        assert answers == [(200, {"method": "GET", "body": None})]
        assert sock.recv(65536) == b""  # closed after the first, as it asked
