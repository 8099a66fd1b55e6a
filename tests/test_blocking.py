"""Blocking work on bounded pools: a timeout counts from the start of the work, not the queue."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from labfleet import blocking


def test_time_queued_behind_other_work_does_not_count():
    pool = blocking.Pool("test-queue", 1)

    async def both():
        first = blocking.run(pool, time.sleep, 1.0)
        second = blocking.run(pool, lambda: "done", timeout=0.5)
        return await asyncio.gather(first, second)

    # the second waits a whole second for the only thread, then takes no time at all
    assert asyncio.run(both()) == [None, "done"]


def test_work_that_runs_too_long_times_out():
    pool = blocking.Pool("test-timeout", 1)
    with pytest.raises(TimeoutError):
        asyncio.run(blocking.run(pool, time.sleep, 2.0, timeout=0.2))


def test_work_given_up_before_it_starts_never_runs():
    pool = blocking.Pool("test-cancel", 1)
    ran = threading.Event()

    async def cancel_queued():
        busy = asyncio.ensure_future(blocking.run(pool, time.sleep, 0.5))
        queued = asyncio.ensure_future(blocking.run(pool, ran.set))
        await asyncio.sleep(0.1)
        queued.cancel()
        await busy
        await asyncio.sleep(0.2)

    asyncio.run(cancel_queued())
    assert not ran.is_set()


def test_pools_are_bounded_and_apart():
    assert blocking.HASHING.executor is not blocking.ENGINE.executor
    assert blocking.HASHING.executor._max_workers == blocking.HASHING.workers == 2
