"""A limit on concurrent jobs whose waiters are served by lane, then in arrival order."""

from __future__ import annotations

import asyncio
import heapq
import itertools

from ..domain.job_lanes import JobLane


class LaneLimiter:
    """Like ``asyncio.Semaphore``, except that a freed slot goes to the best-ranked waiter."""

    def __init__(self, slots: int) -> None:
        self._free = slots
        self._waiting: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    async def acquire(self, lane: JobLane) -> None:
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (lane.rank, next(self._order), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # the slot was handed over just as we were cancelled
            else:
                self._waiting = [w for w in self._waiting if w[2] is not future]
                heapq.heapify(self._waiting)
            raise

    def release(self) -> None:
        while self._waiting:
            _, _, future = heapq.heappop(self._waiting)
            if not future.done():
                future.set_result(None)  # the slot passes straight to the waiter
                return
        self._free += 1

    @property
    def waiting(self) -> int:
        return len(self._waiting)
