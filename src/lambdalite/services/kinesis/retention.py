"""Deletes records older than their stream's retention period, on the platform clock.

Reads already hide expired records (see reader.py); this loop reclaims their space. It
runs every minute of clock time, so a virtual clock moved forward trims at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from lambdalite.clock import sleep

if TYPE_CHECKING:
    from lambdalite.services.kinesis.service import KinesisService

log = logging.getLogger(__name__)

TRIM_INTERVAL_S = 60.0


class RetentionTrimmer:
    def __init__(self, service: KinesisService) -> None:
        self._service = service
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="kinesis-retention")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await sleep(self._service.clock, TRIM_INTERVAL_S)
            try:
                await self.trim_once()
            except Exception:
                log.exception("kinesis retention trimming failed")

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
