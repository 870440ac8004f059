"""The gateway's cached view of services and their published versions.

A call must not cost a database round trip, so each service's routing facts (org,
state, published versions with their frozen bundles) are loaded once and kept. The
cache is dropped whenever `epoch()` changes: the management API bumps the epoch on
every change to a service, its versions or its endpoints (see `RouteEpoch`), and the
gateway compares it on every call, which costs a function call and an int compare.
"""

from __future__ import annotations

import asyncio
import itertools
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

from flow_platform.runtime.bundle import Bundle, Router


@dataclass(frozen=True, slots=True)
class VersionRoute:
    number: int
    bundle: Bundle
    router: Router

    @classmethod
    def of(cls, bundle: Bundle) -> VersionRoute:
        return cls(bundle.version, bundle, Router(bundle.endpoints))


@dataclass(frozen=True, slots=True)
class ServiceRoute:
    id: str
    org_id: str
    workspace_id: str
    status: str  # draft, active, suspended, archived
    versions: dict[int, VersionRoute] = field(default_factory=dict)

    @property
    def latest(self) -> VersionRoute | None:
        return self.versions[max(self.versions)] if self.versions else None


class Cache(Enum):
    MISS = "miss"  # not cached: load it (None is a cached answer, "no such service")


Loader = Callable[[str], Awaitable[ServiceRoute | None]]


class RouteEpoch:
    """A change counter shared by the writers and the gateway.

    In one process the integer is enough. With several platform processes on one host
    (uvicorn --workers, or a second `serve` on the same data dir) pass `path`: writers
    also append a byte to that file and readers compare its size, one `fstat` per call
    (size, unlike mtime, changes on every bump however close together).
    """

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        # Unique values, so a bump from another thread can never be lost in a race.
        self._counter = itertools.count(1)
        self._local = 0
        self._fd: int | None = None

    def bump_local(self) -> None:
        """Invalidate this process's view only (another process told us of a change)."""
        self._local = next(self._counter)

    def bump(self) -> None:
        self.bump_local()
        if self.path is not None:
            with open(self.path, "ab") as f:
                if f.tell() > 1 << 20:
                    f.truncate(0)
                f.write(b".")

    def __call__(self) -> object:
        if self.path is None:
            return self._local
        if self._fd is None:
            # fstat on a held descriptor costs a fraction of a stat by path; the file is
            # only ever appended to or truncated in place, never replaced.
            self._fd = os.open(self.path, os.O_RDONLY | os.O_CREAT, 0o600)
        return (self._local, os.fstat(self._fd).st_size)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class RouteTable:
    """service_id -> ServiceRoute, loaded on demand and dropped when the epoch moves."""

    def __init__(self, loader: Loader, epoch: Callable[[], object], max_entries: int = 10_000):
        self._loader = loader
        self._epoch = epoch
        self._seen = epoch()
        self._max = max_entries
        self._cache: OrderedDict[str, ServiceRoute | None] = OrderedDict()
        self._loading: dict[str, asyncio.Future[ServiceRoute | None]] = {}

    def cached(self, service_id: str) -> ServiceRoute | None | Literal[Cache.MISS]:
        """The cached route (or None for a known-unknown id), or `Cache.MISS`."""
        now = self._epoch()
        if now != self._seen:
            self._seen = now
            self._cache.clear()
            return Cache.MISS
        return self._cache.get(service_id, Cache.MISS)

    async def get(self, service_id: str) -> ServiceRoute | None:
        hit = self.cached(service_id)
        if hit is not Cache.MISS:
            return hit
        now = self._seen
        pending = self._loading.get(service_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[ServiceRoute | None] = asyncio.get_running_loop().create_future()
        self._loading[service_id] = future
        try:
            route = await self._loader(service_id)
        except BaseException as err:
            future.set_exception(err)
            future.exception()
            raise
        finally:
            self._loading.pop(service_id, None)
        future.set_result(route)
        if self._epoch() == now:  # not changed while loading: safe to keep
            self._cache[service_id] = route
            if len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return route

    def clear(self) -> None:
        self._cache.clear()
