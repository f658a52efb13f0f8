"""The SQS reaper is a DueLoop: a pass when the next message expires, within bounds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lambdalite.clock import VirtualClock
from lambdalite.services.sqs.model import Queue
from lambdalite.services.sqs.reaper import REAP_GAP_S, REAP_INTERVAL_S, Reaper

T0 = 1_000.0


class Expiring:
    """Reap answers with the next expiry it was told; records when it was called."""

    def __init__(self, upcoming: float | None) -> None:
        self.upcoming = upcoming
        self.passes: list[float] = []

    async def reap(self, queues: Sequence[Queue], now: float) -> float | None:
        self.passes.append(now)
        return self.upcoming


def _passes(upcoming: float | None, advance: float) -> list[float]:
    async def scenario() -> list[float]:
        clock = VirtualClock(start=T0)
        store = Expiring(upcoming)
        reaper = Reaper(store, clock, list)  # type: ignore[arg-type]
        await reaper.start()
        await reaper.drain()
        for _ in range(int(advance)):
            clock.advance(1)
            for _ in range(5):
                await asyncio.sleep(0)  # let a woken pass run, without asking for one
        await reaper.stop()
        return store.passes

    return asyncio.run(scenario())


def test_the_next_pass_comes_when_the_next_message_expires() -> None:
    assert _passes(T0 + 5, 10)[:2] == [T0, T0 + 5]


def test_with_nothing_to_expire_a_pass_comes_every_interval() -> None:
    passes = _passes(None, 2 * REAP_INTERVAL_S)
    assert passes == [T0, T0 + REAP_INTERVAL_S, T0 + 2 * REAP_INTERVAL_S]


def test_expiries_never_bring_passes_closer_than_the_gap() -> None:
    passes = _passes(T0, 3)  # something always expires right now
    assert passes == [T0 + n * REAP_GAP_S for n in range(4)]
