"""Re-run a request that met a passing database conflict, or answer 503 with Retry-After.

A request is re-run only when nothing of it is out yet: no response started and no
transaction committed; so a retried request is never applied twice, and one answered
503 applied nothing beyond its committed transactions (see docs/architecture.md).
"""

from __future__ import annotations

import asyncio
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..store.conflicts import ATTEMPTS, CommitLog, Transient, backoff, classify, current_commits
from .errors import store_busy_response

log = logging.getLogger("flow_platform.retry")

# Request bodies up to this size are kept for a re-run; larger ones are answered 503.
MAX_REPLAY_BYTES = 4 * 1024 * 1024


class TransientRetryMiddleware:
    def __init__(self, app: ASGIApp, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body, replayable = await _read_body(receive)
        for attempt in range(1, self.attempts + 1):
            commits = CommitLog()
            token = current_commits.set(commits)
            started = False

            async def send_tracked(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, _replay(body, receive), send_tracked)
                return
            except Exception as exc:
                kind = classify(exc)
                if kind is Transient.NO or started:
                    raise
                again = kind is Transient.RETRY and replayable and not commits.commits and attempt < self.attempts
                if not again:
                    log.warning("store %s; answering 503 to %s %s: %s", kind.value, scope["method"], scope["path"], exc)
                    await store_busy_response(kind)(scope, receive, send)
                    return
                log.info(
                    "store conflict on %s %s (attempt %d); running it again", scope["method"], scope["path"], attempt
                )
                await asyncio.sleep(backoff(attempt))
            finally:
                current_commits.reset(token)


async def _read_body(receive: Receive) -> tuple[list[Message], bool]:
    """The request's body messages, and whether all of them fit to be replayed."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, True
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, True
        if size > MAX_REPLAY_BYTES:
            return messages, False


def _replay(messages: list[Message], receive: Receive) -> Receive:
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay
