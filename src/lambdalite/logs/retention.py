"""Deletes log events older than their group's retention, on the platform clock.

A group without a retention policy keeps its events forever, as in AWS, unless the server
sets a cap for such groups (`Settings.logs_retention_days`, `--logs-retention-days`): the
one bound on how far the log file can grow. A pass runs when the oldest event of a group
with retention expires, and at least hourly of clock time while any group has one, so a
virtual clock moved forward expires events at once.
"""

from __future__ import annotations

import asyncio

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.logs.store import LogStore

DAY_MS = 86_400_000
EXPIRE_BATCH = 1000  # events deleted per transaction, with a turn of the loop between
RECHECK_S = 3600.0


class LogRetention(DueLoop):
    name = "logs-retention"

    def __init__(self, store: LogStore, clock: Clock, default_days: int | None = None) -> None:
        super().__init__(clock)
        self._store = store
        self._default_days = default_days

    async def run_due(self) -> float | None:
        now = self._clock.now()
        next_at: float | None = None
        for group in await self._store.groups():
            days = group.retention_days or self._default_days
            if not days:
                continue
            keep_ms = days * DAY_MS
            cutoff = int(now * 1000) - keep_ms
            await self._expire(group.name, cutoff)
            recheck = now + RECHECK_S
            oldest = await self._store.oldest_event_ms(group.name)
            if oldest is not None:
                recheck = min(recheck, (oldest + keep_ms) / 1000)
            next_at = recheck if next_at is None else min(next_at, recheck)
        return next_at

    async def _expire(self, group: str, cutoff_ms: int) -> None:
        for _ in range(1_000_000):
            if await self._store.expire(group, cutoff_ms, EXPIRE_BATCH) < EXPIRE_BATCH:
                return
            await asyncio.sleep(0)  # let requests in between batches
