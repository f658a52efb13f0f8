"""One way to run due work: do what is due, then sleep on the platform clock until the next
due time or a wake-up, whichever comes first; and a drain that says when all of it is done.

Every background job of the platform is one of these: the async queue, deliveries to
destinations, targets and subscribers, SQS visibility and retention, Kinesis retention,
schedules, and the event-source pollers.

- `DueLoop` is the core: a pass (`run_due`) returns when the next pass is due. Sleeping on
  the clock, never a fixed poll interval, is what lets a virtual clock drive schedules,
  retries and retention in tests, and lets an idle server use no CPU.
- `ClaimLoop` is a DueLoop over a `DueSource`: it claims due items in batches (never more
  than can start now: `room`), hands each batch to its runner, which runs and settles it,
  and sleeps until the source's next due time. A claim leases the items to this consumer,
  so a second consumer (another node) never gets them while the lease holds.
- `drain()` returns once nothing due by the clock's present is pending or running; the
  platform drains every loop in turn until a whole round finds nothing (work begets work:
  an event's destination is a delivery, a delivery may invoke a function).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, Protocol, TypeVar

from lambdalite.clock import Clock, wait_until

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR_S = 60.0
T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class DueLoop(abc.ABC):
    name = "background-loop"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._passes = 0
        self._in_pass = False
        self._next_at: float | None = None
        self._pass_done = asyncio.Condition()
        self._drains = 0  # drain() calls waiting

    def wake(self) -> None:
        """Something changed: run a pass now instead of at the next due time."""
        self._wake.set()

    @abc.abstractmethod
    async def run_due(self) -> float | None:
        """Do what is due now; return the clock time of the next pass, or None to wait for a
        wake-up."""

    def busy(self) -> bool:
        """Work started by a pass that is still running (a subclass that runs work in tasks
        says so here, and calls `work_ended` when the last of it ends)."""
        return False

    def work_ended(self) -> None:
        """The last work a pass started has ended: a waiting drain needs a pass to see it
        (without one waiting, no pass: nothing fell due)."""
        if self._drains:
            self.wake()

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Return once a pass begun after this call found nothing due by the clock's present
        and nothing it started still runs."""
        if self._task is None:
            return
        self._drains += 1
        try:
            await self._drain()
        finally:
            self._drains -= 1

    async def _drain(self) -> None:
        wake = True
        while True:
            # A pass already under way may have looked before the caller's work was there.
            target = self._passes + (2 if self._in_pass else 1)
            if wake:
                self.wake()
            async with self._pass_done:
                await self._pass_done.wait_for(functools.partial(self._passed, target))
            if self.idle():
                return
            # Running work wakes the loop as it ends; waking it meanwhile would only spin.
            wake = not self.busy()

    def _passed(self, target: int) -> bool:
        return self._passes >= target

    def idle(self) -> bool:
        """Nothing runs, no wake-up is pending, and the next pass is not due yet."""
        if self.busy() or self._wake.is_set() or self._in_pass:
            return False
        return self._next_at is None or self._next_at > self._clock.now()

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            self._in_pass = True
            try:
                next_at = await self.run_due()
            except Exception:  # a storage hiccup must not end the loop for good
                log.exception("%s pass failed; trying again later", self.name)
                next_at = self._clock.now() + RETRY_AFTER_ERROR_S
            finally:
                self._in_pass = False
            self._next_at = next_at
            self._passes += 1
            async with self._pass_done:
                self._pass_done.notify_all()
            if next_at is None:
                await self._wake.wait()
            else:
                await wait_until(self._clock, self._wake, next_at)


class DueSource(Protocol[T_co]):
    """A store's view of one kind of due work."""

    async def claim_due(self, now: float, limit: int) -> Sequence[T_co]:
        """At most `limit` items due by `now`, each leased to this consumer from now on."""
        ...

    async def next_due(self) -> float | None:
        """When the earliest item nobody holds falls due (an expiring lease counts), or None."""
        ...


class ClaimLoop(DueLoop, Generic[T]):
    """Claims due items in batches and hands each batch to `run`, which runs and settles it
    (the settle is the owner's store operation, committed with the outcome).

    `run` may instead start the items as tasks and return: then `room` says how many more
    can start now, `busy` whether any still runs, and the owner wakes the loop when room
    frees up for items waiting, and calls `work_ended` when the last one ends."""

    def __init__(
        self,
        name: str,
        clock: Clock,
        source: DueSource[T],
        run: Callable[[Sequence[T]], Awaitable[None]],
        *,
        batch: int = 100,
        room: Callable[[], int] | None = None,
        busy: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(clock)
        self.name = name
        self._source = source
        self._run_batch = run
        self._batch = batch
        self._room = room
        self._busy = busy

    def busy(self) -> bool:
        return self._busy is not None and self._busy()

    async def run_due(self) -> float | None:
        while True:
            limit = self._batch if self._room is None else min(self._batch, self._room())
            if limit <= 0:
                return None  # whoever frees room wakes the loop
            items = await self._source.claim_due(self._clock.now(), limit)
            if items:
                await self._run_batch(items)
            if len(items) < limit:
                return await self._source.next_due()
            await asyncio.sleep(0)  # let requests in between batches


async def drain_all(loops: Sequence[DueLoop], max_rounds: int = 100) -> bool:
    """Drain every loop in turn until all of them are idle at once (work begets work: a
    delivery may invoke a function, whose event has a destination). False if they still
    were not after `max_rounds` (a schedule due every instant on a real clock)."""
    for _ in range(max_rounds):
        for loop in loops:
            await loop.drain()
        if all(loop.idle() for loop in loops):
            return True
    return False
