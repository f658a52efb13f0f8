"""Writes outcomes to the journal in batches, off the invoke path.

`record` (an OutcomeSink, on the invoke path) only appends the outcome and its log mark to a
bounded buffer and arms a wall-clock timer; a DueLoop pass hands the buffer to the store,
which writes it in one transaction about every FLUSH_S, or at once when the platform
drains, and prunes by retention every PRUNE_EVERY_S.
The buffer holds at most MAX_PENDING entries: if the store stalls for that long, the oldest
are dropped and counted rather than the server's memory growing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.observe.journal import JournalStore, Recorded, Retention
from lambdalite.observe.outcome import InvocationOutcome

log = logging.getLogger(__name__)

FLUSH_S = 0.1
PRUNE_EVERY_S = 60.0
MAX_PENDING = 50_000


class JournalWriter(DueLoop):
    name = "invocation-journal"

    def __init__(self, clock: Clock, store: JournalStore, retention: Retention) -> None:
        super().__init__(clock)
        self.store = store
        self.retention = retention
        self.dropped = 0
        self._pending: deque[Recorded] = deque()
        self._timer: asyncio.TimerHandle | None = None
        self._touched: set[str] = set()  # functions written since the last prune
        self._next_prune = time.monotonic() + PRUNE_EVERY_S

    def record(self, outcome: InvocationOutcome) -> None:
        pending = self._pending
        if len(pending) >= MAX_PENDING:
            pending.popleft()
            self.dropped += 1
        # Log lines carry the platform clock's time (logs/writer.py): so does this mark.
        pending.append((outcome, int(self._clock.now() * 1000)))
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_S, self._flush_due)

    def _flush_due(self) -> None:
        self._timer = None
        self.wake()

    def idle(self) -> bool:
        return not self._pending and super().idle()

    async def run_due(self) -> float | None:
        await self.flush()
        if time.monotonic() >= self._next_prune:
            self._next_prune = time.monotonic() + PRUNE_EVERY_S
            await self.prune()
        return None  # the next record arms the timer

    async def flush(self) -> None:
        if not self._pending:
            return
        pending = list(self._pending)
        self._pending.clear()
        try:
            await self.store.append(pending)
        except Exception:
            self._pending.extendleft(reversed(pending))  # kept for the next pass
            raise
        self._touched.update({o.function_name for o, _ in pending})

    async def prune(self) -> int:
        touched: Sequence[str] = sorted(self._touched)
        self._touched = set()
        before = self._clock.now() - self.retention.max_age_s
        return await self.store.prune(before, self.retention.keep_per_function, touched)

    # A platform Component: its own loop, drained with the others; flushed on the way out.
    def due_loops(self) -> Sequence[DueLoop]:
        return (self,)

    async def start(self) -> None:
        await self.prune()  # what aged out while the server was down
        await super().start()

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        await super().stop()
        try:
            await self.flush()
        except Exception:
            log.exception("could not store the last journal entries")
