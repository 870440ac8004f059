"""Several platform workers on one database, as a team server runs them."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from .platform import RunningPlatform


@contextmanager
def platform_workers(root: Path, database_url: str, count: int = 2) -> Iterator[list[RunningPlatform]]:
    """``count`` platform processes on one database, sharing one secret key."""
    secret = secrets.token_urlsafe(32)
    with ExitStack() as stack:
        workers = []
        for i in range(count):
            worker = RunningPlatform(root / f"worker-{i}", database_url, "postgres", secret_key=secret)
            stack.callback(worker.close)
            worker.start()
            workers.append(worker)
        yield workers
