"""The gateway's side of a worker connection: HTTP/1.1 over a kept-alive Unix socket.

A bare asyncio Protocol with httptools' C parser; no connection-pool machinery beyond
a per-worker list of idle connections (see `WorkerProcess`). This is what keeps the
gateway near the worker's own speed, where a general-purpose async HTTP client costs
an order of magnitude more (BENCHMARKS.md).
"""

from __future__ import annotations

import asyncio

import httptools


class WorkerCrashed(Exception):
    """The worker closed the connection before answering: it died mid-call."""


class WorkerTimeout(Exception):
    """The call ran past the endpoint's timeout."""


class WorkerUnavailable(Exception):
    """The worker could not be reached or started (nothing was sent)."""


class UpstreamConnection(asyncio.Protocol):
    __slots__ = ("transport", "parser", "future", "chunks", "keep_alive", "closed")

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.future: asyncio.Future[tuple[int, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.keep_alive = True
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.future is not None and not self.future.done():
            self.future.set_exception(WorkerCrashed("worker closed the connection mid-call"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as err:
            if self.future is not None and not self.future.done():
                self.future.set_exception(WorkerCrashed(f"malformed worker response: {err}"))
            self.abort()

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"connection" and value.lower() == b"close":
            self.keep_alive = False

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        body = b"".join(self.chunks)
        self.chunks = []
        future, self.future = self.future, None
        if future is not None and not future.done():
            future.set_result((self.parser.get_status_code(), body))

    def send(self, data: bytes) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None and self.future is None
        self.future = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self.future

    def abort(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()
