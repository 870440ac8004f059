"""The job limiter hands a freed slot to a waiting priority job before standard ones."""

from __future__ import annotations

import asyncio

from flow_platform.domain.job_lanes import JobLane
from flow_platform.gateway.lanes import LaneLimiter


def test_priority_waiters_go_first_then_arrival_order() -> None:
    async def scenario() -> list[str]:
        limiter = LaneLimiter(1)
        await limiter.acquire(JobLane.STANDARD)  # the one slot is busy
        order: list[str] = []

        async def job(name: str, lane: JobLane) -> None:
            await limiter.acquire(lane)
            order.append(name)
            limiter.release()

        tasks = [
            asyncio.create_task(job("standard-1", JobLane.STANDARD)),
            asyncio.create_task(job("standard-2", JobLane.STANDARD)),
            asyncio.create_task(job("priority-1", JobLane.PRIORITY)),
            asyncio.create_task(job("priority-2", JobLane.PRIORITY)),
        ]
        while limiter.waiting < len(tasks):
            await asyncio.sleep(0)
        limiter.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(scenario()) == ["priority-1", "priority-2", "standard-1", "standard-2"]


def test_a_cancelled_waiter_does_not_keep_a_slot() -> None:
    async def scenario() -> bool:
        limiter = LaneLimiter(1)
        await limiter.acquire(JobLane.STANDARD)
        waiter = asyncio.create_task(limiter.acquire(JobLane.PRIORITY))
        while not limiter.waiting:
            await asyncio.sleep(0)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        limiter.release()
        await asyncio.wait_for(limiter.acquire(JobLane.STANDARD), timeout=5)
        return limiter.waiting == 0

    assert asyncio.run(scenario())


def test_lane_header_values() -> None:
    import pytest

    from flow_platform.domain.errors import InvalidRequest

    assert JobLane.parse(None) is JobLane.STANDARD
    assert JobLane.parse(" Priority ") is JobLane.PRIORITY
    with pytest.raises(InvalidRequest):
        JobLane.parse("express")
