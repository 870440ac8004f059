"""The gateway's coalesced revocation reads: every call sees a read that began after it."""

from __future__ import annotations

import asyncio

import pytest

from flow_platform.domain.service_token_verifier import _Reads


def test_concurrent_calls_share_reads_and_never_use_one_that_began_before_them():
    async def scenario() -> tuple[list[int], list[int]]:
        started: list[int] = []
        release = [asyncio.Event() for _ in range(3)]

        async def read() -> None:
            n = len(started)
            started.append(n)
            await release[n].wait()

        reads = _Reads(read)
        seen: list[int] = []

        async def call() -> None:
            await reads.fresh()
            seen.append(len(started))

        first = asyncio.create_task(call())  # starts read 0
        await asyncio.sleep(0)
        later = [asyncio.create_task(call()) for _ in range(10)]  # arrive during read 0
        await asyncio.sleep(0)
        assert started == [0]
        release[0].set()
        await first
        await asyncio.sleep(0)
        assert started == [0, 1]  # the ten waiters share read 1, which began after they came
        assert not any(t.done() for t in later)
        release[1].set()
        await asyncio.gather(*later)
        release[2].set()
        return started, seen

    started, seen = asyncio.run(scenario())
    assert started == [0, 1]
    assert len(seen) == 11  # eleven calls, two reads


def test_a_failed_read_fails_every_waiter_and_the_next_call_reads_again():
    async def scenario() -> int:
        calls = 0

        async def read() -> None:
            nonlocal calls
            calls += 1
            if calls == 1:
                await asyncio.sleep(0.01)
                raise RuntimeError("store down")

        reads = _Reads(read)
        results = await asyncio.gather(reads.fresh(), reads.fresh(), return_exceptions=True)
        assert isinstance(results[0], RuntimeError)
        # the second call arrived during the failed read, so it got a read of its own
        assert results[1] is None
        await reads.fresh()
        return calls

    assert asyncio.run(scenario()) == 3


def test_a_caller_giving_up_does_not_cancel_the_shared_read():
    async def scenario() -> None:
        gate = asyncio.Event()

        async def read() -> None:
            await gate.wait()

        reads = _Reads(read)
        quitter = asyncio.create_task(reads.fresh())
        stayer = asyncio.create_task(reads.fresh())
        await asyncio.sleep(0)
        quitter.cancel()
        gate.set()
        await stayer
        with pytest.raises(asyncio.CancelledError):
            await quitter

    asyncio.run(scenario())
