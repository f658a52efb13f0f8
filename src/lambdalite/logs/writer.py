"""Collects log events from environments and commits them in batches.

Environments log on the invoke hot path; one commit per invocation would cost more than the
invocation. Events wait here for at most `interval_s`, then land in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from lambdalite.logs.store import LogRow, LogStore

log = logging.getLogger(__name__)


class LogWriter:
    def __init__(self, store: LogStore, interval_s: float = 0.05) -> None:
        self._store = store
        self._interval_s = interval_s
        self._pending: list[LogRow] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        # Told of each line as it is emitted (the console's live tail); must not block.
        self.listeners: list[Callable[[list[LogRow]], None]] = []

    def emit(self, rows: list[LogRow]) -> None:
        self._pending += rows
        self._wake.set()
        for listener in self.listeners:
            listener(rows)

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch:
            await self._store.append(batch)

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            await asyncio.sleep(self._interval_s)
            try:
                await self.flush()
            except Exception:
                log.exception("could not store log events")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.flush()
