from __future__ import annotations

import asyncio

import pytest

from lambdalite.clock import ScaledClock, VirtualClock, make_clock, sleep, wait_until


def test_virtual_sleepers_wake_in_deadline_order_only_when_advanced() -> None:
    async def scenario() -> list[str]:
        clock = VirtualClock(start=1000.0)
        woke: list[str] = []

        async def sleeper(name: str, seconds: float) -> None:
            await sleep(clock, seconds)
            woke.append(name)

        tasks = [
            asyncio.ensure_future(sleeper("late", 120)),
            asyncio.ensure_future(sleeper("early", 60)),
        ]
        await asyncio.sleep(0)
        assert woke == []
        clock.advance(59)
        await asyncio.sleep(0)
        assert woke == []
        clock.advance(61)
        await asyncio.gather(*tasks)
        assert clock.now() == 1120.0
        return woke

    assert asyncio.run(scenario()) == ["early", "late"]


def test_wait_until_returns_on_event_or_deadline() -> None:
    async def scenario() -> tuple[bool, bool]:
        clock = VirtualClock(start=0.0)
        event = asyncio.Event()
        by_deadline = asyncio.ensure_future(wait_until(clock, event, 20.0))
        await asyncio.sleep(0)
        clock.advance(20)
        first = await by_deadline
        by_event = asyncio.ensure_future(wait_until(clock, event, 40.0))
        await asyncio.sleep(0)
        event.set()
        return first, await by_event

    assert asyncio.run(scenario()) == (False, True)


def test_clock_cannot_go_backwards() -> None:
    with pytest.raises(ValueError):
        VirtualClock().advance(-1)


def test_make_clock() -> None:
    assert isinstance(make_clock("virtual"), VirtualClock)
    scaled = make_clock("60")
    assert isinstance(scaled, ScaledClock) and scaled.scale == 60
    with pytest.raises(ValueError):
        make_clock("fast")
