"""One clock for every delay, so tests can fast-forward instead of sleeping.

Every wait in lambdalite that stands for AWS time (visibility timeouts, delays, retention,
long polls, schedules, retry backoff, event age) goes through a Clock:

- SystemClock: wall time.
- ScaledClock: wall time running `scale` times faster from the moment it starts, so a
  person can watch a 2-minute retry schedule pass in 2 seconds at 60x.
- VirtualClock: time moves only when `advance()` is called (tests, `POST /_lambdalite/clock`);
  sleepers whose deadline is passed wake at once, in deadline order.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch, in this clock's time."""
        ...

    async def sleep_until(self, deadline: float) -> None:
        """Return once now() >= deadline."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    async def sleep_until(self, deadline: float) -> None:
        delay = deadline - time.time()
        if delay > 0:
            await asyncio.sleep(delay)


class ScaledClock:
    def __init__(self, scale: float) -> None:
        if scale <= 0:
            raise ValueError("time scale must be positive")
        self.scale = scale
        self._wall_start = time.time()
        self._mono_start = time.monotonic()

    def now(self) -> float:
        return self._wall_start + (time.monotonic() - self._mono_start) * self.scale

    async def sleep_until(self, deadline: float) -> None:
        delay = (deadline - self.now()) / self.scale
        if delay > 0:
            await asyncio.sleep(delay)


class VirtualClock:
    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def now(self) -> float:
        return self._now

    async def sleep_until(self, deadline: float) -> None:
        if deadline <= self._now:
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (deadline, next(self._order), future))
        await future

    def next_deadline(self) -> float | None:
        """The earliest deadline anything still sleeps until, or None when nothing sleeps
        (what fast-forwarding jumps to next)."""
        while self._sleepers and self._sleepers[0][2].done():  # woken or given up on
            heapq.heappop(self._sleepers)
        return self._sleepers[0][0] if self._sleepers else None

    def advance(self, seconds: float) -> float:
        if seconds < 0:
            raise ValueError("a clock cannot go backwards")
        self._now += seconds
        while self._sleepers and self._sleepers[0][0] <= self._now:
            _, _, future = heapq.heappop(self._sleepers)
            if not future.done():
                future.set_result(None)
        return self._now


async def sleep(clock: Clock, seconds: float) -> None:
    await clock.sleep_until(clock.now() + seconds)


async def wait_until(clock: Clock, event: asyncio.Event, deadline: float) -> bool:
    """Wait for `event` or the clock's `deadline`, whichever comes first; True if the event."""
    if event.is_set():
        return True
    waiter = asyncio.ensure_future(event.wait())
    timer = asyncio.ensure_future(clock.sleep_until(deadline))
    try:
        await asyncio.wait({waiter, timer}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in (waiter, timer):
            task.cancel()
    return event.is_set()


def make_clock(spec: str) -> Clock:
    """'system', 'virtual', or a time scale such as '60' (60 times faster than wall time)."""
    if spec == "system":
        return SystemClock()
    if spec == "virtual":
        return VirtualClock()
    try:
        scale = float(spec)
    except ValueError:
        raise ValueError(
            f"clock must be 'system', 'virtual' or a time scale, not {spec!r}"
        ) from None
    return SystemClock() if scale == 1 else ScaledClock(scale)
