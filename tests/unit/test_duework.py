"""The one due-work component: claims in batches within room, sleeps on the clock, drains."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from lambdalite.clock import VirtualClock
from lambdalite.duework import ClaimLoop, DueLoop, drain_all

T0 = 1_000.0


class Items:
    """An in-memory DueSource: (due_at, name) pairs; a claim takes items away (the lease)."""

    def __init__(self, *due: tuple[float, str]) -> None:
        self.waiting = sorted(due)
        self.claims: list[int] = []

    def add(self, at: float, name: str) -> None:
        self.waiting = sorted([*self.waiting, (at, name)])

    async def claim_due(self, now: float, limit: int) -> Sequence[str]:
        due = [item for item in self.waiting if item[0] <= now][:limit]
        for item in due:
            self.waiting.remove(item)
        self.claims.append(len(due))
        return [name for _, name in due]

    async def next_due(self) -> float | None:
        return self.waiting[0][0] if self.waiting else None


def test_due_items_run_in_batches_and_later_ones_when_the_clock_reaches_them() -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=T0)
        source = Items(*[(T0, f"now-{i}") for i in range(5)], (T0 + 60, "later"))
        ran: list[list[str]] = []

        async def run(batch: Sequence[str]) -> None:
            ran.append(list(batch))

        loop = ClaimLoop("test", clock, source, run, batch=2)
        await loop.start()
        await loop.drain()
        assert ran == [["now-0", "now-1"], ["now-2", "now-3"], ["now-4"]]
        assert source.waiting == [(T0 + 60, "later")]
        clock.advance(59)
        await loop.drain()
        assert len(ran) == 3  # not due yet: the loop sleeps until T0 + 60
        clock.advance(1)
        await loop.drain()
        assert ran[-1] == ["later"]
        await loop.stop()

    asyncio.run(scenario())


def test_it_claims_no_more_than_there_is_room_for() -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=T0)
        source = Items(*[(T0, f"e{i}") for i in range(10)])
        room = 3
        running: list[asyncio.Task[None]] = []
        gate = asyncio.Event()

        async def one(name: str) -> None:
            nonlocal room
            await gate.wait()
            room += 1
            loop.wake()

        async def run(batch: Sequence[str]) -> None:
            nonlocal room
            room -= len(batch)
            running.extend(asyncio.create_task(one(name)) for name in batch)

        loop = ClaimLoop(
            "test",
            clock,
            source,
            run,
            batch=100,
            room=lambda: room,
            busy=lambda: any(not t.done() for t in running),
        )
        await loop.start()
        for _ in range(20):
            await asyncio.sleep(0)
        assert sum(source.claims) == 3 and len(source.waiting) == 7
        gate.set()
        await loop.drain()
        assert source.waiting == [] and all(t.done() for t in running)
        assert max(source.claims) <= 3
        await loop.stop()

    asyncio.run(scenario())


def test_drain_waits_for_work_a_pass_started() -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=T0)
        source = Items((T0, "slow"))
        finished: list[str] = []
        tasks: list[asyncio.Task[None]] = []

        async def slow(name: str) -> None:
            for _ in range(50):
                await asyncio.sleep(0)
            finished.append(name)
            loop.work_ended()

        async def run(batch: Sequence[str]) -> None:
            tasks.extend(asyncio.create_task(slow(n)) for n in batch)

        loop = ClaimLoop("test", clock, source, run, busy=lambda: any(not t.done() for t in tasks))
        await loop.start()
        await loop.drain()
        assert finished == ["slow"]
        await loop.stop()

    asyncio.run(scenario())


def test_work_ending_costs_a_pass_only_while_a_drain_waits() -> None:
    class Counting(DueLoop):
        passes = 0

        async def run_due(self) -> float | None:
            self.passes += 1
            return None

    async def scenario() -> None:
        loop = Counting(VirtualClock(start=T0))
        await loop.start()
        await loop.drain()
        before = loop.passes
        loop.work_ended()
        for _ in range(10):
            await asyncio.sleep(0)
        assert loop.passes == before  # nobody waits: nothing to look at
        await loop.drain()
        assert loop.passes == before + 1
        await loop.stop()

    asyncio.run(scenario())


def test_drain_all_follows_work_from_one_loop_to_another() -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=T0)
        events = Items((T0, "event"))
        deliveries = Items()
        delivered: list[str] = []

        async def run_events(batch: Sequence[str]) -> None:
            for name in batch:
                deliveries.add(clock.now(), f"record of {name}")
            second.wake()

        async def deliver(batch: Sequence[str]) -> None:
            delivered.extend(batch)

        # The consumer of the work comes first, so one round alone would miss it.
        second = ClaimLoop("deliveries", clock, deliveries, deliver)
        first = ClaimLoop("events", clock, events, run_events)
        for loop in (second, first):
            await loop.start()
        assert await drain_all([second, first])
        assert delivered == ["record of event"]
        for loop in (second, first):
            await loop.stop()

    asyncio.run(scenario())


def test_a_failing_pass_is_retried_later_and_the_loop_lives() -> None:
    class Flaky(DueLoop):
        calls = 0

        async def run_due(self) -> float | None:
            self.calls += 1
            if self.calls == 1:
                raise RuntimeError("storage hiccup")
            return None

    async def scenario() -> None:
        clock = VirtualClock(start=T0)
        loop = Flaky(clock)
        await loop.start()
        await loop.drain()
        assert loop.calls == 1  # failed; the retry is a minute away
        clock.advance(60)
        await loop.drain()
        assert loop.calls >= 2
        await loop.stop()

    asyncio.run(scenario())
