"""Deletes records older than their stream's retention period, on the platform clock.

Reads already hide expired records (see reader.py); this loop reclaims their space. It
runs every minute of clock time, so a virtual clock moved forward trims at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lambdalite.services.loop import DueLoop

if TYPE_CHECKING:
    from lambdalite.services.kinesis.service import KinesisService

log = logging.getLogger(__name__)

TRIM_INTERVAL_S = 60.0


class RetentionTrimmer(DueLoop):
    name = "kinesis-retention"

    def __init__(self, service: KinesisService) -> None:
        super().__init__(service.clock)
        self._service = service

    async def run_due(self) -> float | None:
        await self.trim_once()
        return self._clock.now() + TRIM_INTERVAL_S

    async def trim_once(self) -> int:
        """Delete expired records of every stream; yields between batches."""
        deleted = 0
        now = self._service.clock.now()
        for stream in self._service.streams():
            cutoff = now - stream.retention_hours * 3600
            for shard in stream.shards:
                while (n := self._service.db.trim(stream.id, shard.index, cutoff)) > 0:
                    deleted += n
                    await asyncio.sleep(0)  # let requests in between batches
        return deleted
