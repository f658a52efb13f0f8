"""Deletes records older than their stream's retention period, on the platform clock.

Reads already hide expired records (see reader.py); this loop reclaims their space. It
runs every minute of clock time, so a virtual clock moved forward trims at once. It needs
nothing but the store and the clock.
"""

from __future__ import annotations

import asyncio

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.services.kinesis.store import KinesisStore

TRIM_INTERVAL_S = 60.0
TRIM_BATCH = 1000  # records deleted per statement, with a turn of the loop between


class RetentionTrimmer(DueLoop):
    name = "kinesis-retention"

    def __init__(self, store: KinesisStore, clock: Clock) -> None:
        super().__init__(clock)
        self._store = store

    async def run_due(self) -> float | None:
        await self.trim_once()
        return self._clock.now() + TRIM_INTERVAL_S

    async def trim_once(self) -> int:
        """Delete expired records of every stream; yields between batches."""
        deleted = 0
        now = self._clock.now()
        for stream in await self._store.streams():
            cutoff = now - stream.retention_hours * 3600
            for shard in range(stream.shard_count):
                while (n := await self._store.trim(stream.id, shard, cutoff, TRIM_BATCH)) > 0:
                    deleted += n
                    await asyncio.sleep(0)  # let requests in between batches
        return deleted
