"""The shape every background loop of the services shares: do what is due, then sleep on
the platform clock until the next due time or an explicit wake-up, whichever comes first.

Sleeping on the clock (never a fixed poll interval) is what lets a virtual clock drive
schedules, retries and retention in tests, and lets an idle server use no CPU.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging

from lambdalite.clock import Clock, wait_until

log = logging.getLogger(__name__)

RETRY_AFTER_ERROR_S = 60.0


class DueLoop(abc.ABC):
    name = "background-loop"

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Something changed: run a pass now instead of at the next due time."""
        self._wake.set()

    @abc.abstractmethod
    async def run_due(self) -> float | None:
        """Do what is due now; return the clock time of the next pass, or None to wait for a
        wake-up."""

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                next_at = await self.run_due()
            except Exception:  # a storage hiccup must not end the loop for good
                log.exception("%s pass failed; trying again later", self.name)
                next_at = self._clock.now() + RETRY_AFTER_ERROR_S
            if next_at is None:
                await self._wake.wait()
            else:
                await wait_until(self._clock, self._wake, next_at)
