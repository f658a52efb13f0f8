"""Fast-forwarding a virtual clock stops at every deadline on the way, so work that
schedules more work (a retry after a retry) runs at its own times within one call."""

from __future__ import annotations

import asyncio

import pytest

from lambdalite.clock import VirtualClock, sleep
from lambdalite.fast_forward import fast_forward


async def _settle(_timeout: float) -> bool:
    for _ in range(5):  # let woken sleepers run and go back to sleep
        await asyncio.sleep(0)
    return True


def test_a_chain_of_retries_runs_at_each_retry_time_in_one_call() -> None:
    async def scenario() -> tuple[list[float], float]:
        clock = VirtualClock(start=0.0)
        ran: list[float] = []

        async def retries() -> None:  # AWS's async schedule: after 60 s, then 120 s more
            for delay in (60, 120):
                await sleep(clock, delay)
                ran.append(clock.now())

        task = asyncio.ensure_future(retries())
        await asyncio.sleep(0)
        assert await fast_forward(clock, 3600, _settle, timeout_s=10)
        await task
        return ran, clock.now()

    ran, now = asyncio.run(scenario())
    assert ran == [60.0, 180.0]  # one jump of 3600 would have run the first at 3600
    assert now == 3600.0


def test_deadlines_past_the_span_stay_asleep() -> None:
    async def scenario() -> tuple[bool, float | None]:
        clock = VirtualClock(start=0.0)
        task = asyncio.ensure_future(sleep(clock, 300))
        await asyncio.sleep(0)
        await fast_forward(clock, 299, _settle, timeout_s=10)
        woke = task.done()
        clock.advance(1)
        await task
        return woke, clock.next_deadline()

    assert asyncio.run(scenario()) == (False, None)


def test_a_drain_that_times_out_is_reported() -> None:
    async def never(_timeout: float) -> bool:
        return False

    clock = VirtualClock(start=0.0)
    assert asyncio.run(fast_forward(clock, 10, never, timeout_s=1)) is False


def test_the_clock_does_not_go_backwards() -> None:
    with pytest.raises(ValueError):
        asyncio.run(fast_forward(VirtualClock(start=0.0), -1, _settle, timeout_s=1))
