"""Collects log events from environments and commits them in batches.

Environments log on the invoke hot path; one commit per invocation would cost more than the
invocation. Events wait here for at most `interval_s`, then land in one transaction. The
writer is a DueLoop so that `drain` waits for lines still held here; after each commit it
tells its listeners (subscription delivery), once per batch, never per line.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from lambdalite.clock import Clock, SystemClock
from lambdalite.duework import DueLoop
from lambdalite.logs.store import LogRow, LogStore

log = logging.getLogger(__name__)


class LogWriter(DueLoop):
    name = "log-writer"

    def __init__(
        self, store: LogStore, interval_s: float = 0.05, clock: Clock | None = None
    ) -> None:
        super().__init__(clock or SystemClock())
        self._store = store
        self._interval_s = interval_s
        self._pending: list[LogRow] = []
        # Told after each commit (subscription delivery), once per batch, never per line.
        self.listeners: list[Callable[[], None]] = []
        # Told of each line as it is emitted (the console's live tail); must not block.
        self.emit_listeners: list[Callable[[list[LogRow]], None]] = []

    def emit(self, rows: list[LogRow]) -> None:
        self._pending += rows
        self._wake.set()
        for listener in self.emit_listeners:
            listener(rows)

    def now_ms(self) -> int:
        """The platform clock in ms: the timestamp of a line produced now."""
        return int(self._clock.now() * 1000)

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            await self._store.append(batch, self.now_ms())
            for listener in self.listeners:
                listener()

    async def run_due(self) -> float | None:
        if self._pending:
            await asyncio.sleep(self._interval_s)  # wall time: batching, not AWS time
            try:
                await self.flush()
            except Exception:
                log.exception("could not store log events")
        return None

    async def stop(self) -> None:
        await super().stop()
        await self.flush()
