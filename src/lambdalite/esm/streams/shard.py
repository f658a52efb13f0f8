"""The due loop of one shard: read after the checkpoint, spread the records over the lanes,
run each lane's batch, and checkpoint what is settled (spec 4.5-4.8).

Checkpoints: the shard's own ("" key) is the low-water mark, the last record before the
first one not yet settled; with ParallelizationFactor > 1 each partition key also keeps
its own, so a restart reads from the mark and skips what its key already finished.

A settled batch's destination records (outbox rows) are written with the first checkpoint
written after it settles, in that checkpoint's transaction and at once: no checkpoint can
move past the batch without them (a crash before re-reads the batch: a duplicate record at
worst, never a lost one)."""

from __future__ import annotations

import asyncio
import logging
import time
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from lambdalite.duework import DueLoop
from lambdalite.esm.event_counts import POLLED
from lambdalite.esm.streams.lane import Lane
from lambdalite.esm.streams.run import BatchRunner
from lambdalite.outbox.model import Entry

if TYPE_CHECKING:
    from lambdalite.esm.streams.poller import StreamContext

log = logging.getLogger(__name__)

READ_AHEAD_BATCHES = 2  # per lane: enough to keep each one busy
RETRY_READ_S = 60.0  # after the stream failed to read (deleted, say)


class ShardLoop(DueLoop):
    def __init__(self, ctx: StreamContext, shard_id: str) -> None:
        super().__init__(ctx.clock)
        self.name = f"esm-{ctx.mapping.uuid}-{shard_id}"
        self._ctx = ctx
        self._shard_id = shard_id
        factor = ctx.mapping.config.parallelization_factor or 1
        self._lanes = [Lane() for _ in range(factor)]
        self._runner = BatchRunner(ctx, shard_id, self._settled)
        self._started = False
        self._read_pos: str | None = None  # read after this
        self._key_done: dict[str, int] = {}  # per key checkpoints found at start (factor > 1)
        self._unsettled: dict[int, str] = {}  # read, not settled: seq -> the seq read before
        self._last_read: str | None = None
        self._mark: str | None = None  # the checkpoint last written for the shard

    async def run_due(self) -> float | None:
        try:
            if not self._started:
                await self._start_position()
            await self._fill()
        except Exception as exc:  # the stream is gone or unreadable: say so, try later
            await self._ctx.problem(exc)
            return self._clock.now() + RETRY_READ_S
        now = self._clock.now()
        due = [lane for lane in self._lanes if self._is_due(lane, now)]
        if due:
            await asyncio.gather(*(self._runner.step(lane) for lane in due))
        await self._write_mark()
        return self._next_due()

    def _is_due(self, lane: Lane, now: float) -> bool:
        due = self._runner.due_at(lane)
        return due is not None and due <= now

    def _next_due(self) -> float | None:
        times = [self._runner.due_at(lane) for lane in self._lanes]
        found = [t for t in times if t is not None]
        return min(found) if found else None

    async def _start_position(self) -> None:
        ctx, cfg = self._ctx, self._ctx.mapping.config
        stored = await ctx.store.checkpoints(ctx.mapping.uuid)
        mine = {key: seq for (shard, key), seq in stored.items() if shard == self._shard_id}
        self._key_done = {k: int(v) for k, v in mine.items() if k}
        if "" in mine:
            self._read_pos = mine[""]
        elif cfg.starting_position == "LATEST":
            self._read_pos = await ctx.reader.latest_sequence(ctx.source_arn, self._shard_id)
        elif cfg.starting_position == "AT_TIMESTAMP":
            stamp = cfg.starting_position_timestamp or 0.0
            self._read_pos = await ctx.reader.position_at(ctx.source_arn, self._shard_id, stamp)
        if self._read_pos is not None and "" not in mine:
            # Pin LATEST and AT_TIMESTAMP: a restart resumes here, not at a later LATEST.
            await self._checkpoint(self._read_pos)
        self._mark = self._read_pos
        self._started = True

    async def _fill(self) -> None:
        cfg = self._ctx.mapping.config
        room = cfg.batch_size * READ_AHEAD_BATCHES * len(self._lanes) - len(self._unsettled)
        if room <= 0:
            return
        ctx = self._ctx
        began = time.perf_counter()
        records = await ctx.reader.read(ctx.source_arn, self._shard_id, self._read_pos, room)
        ctx.stats.poll_s += time.perf_counter() - began
        ctx.counts.add(POLLED, len(records))
        now = self._clock.now()
        for record in records:
            self._read_pos = record.sequence_number
            self._take(record, now)

    def _take(self, record: Any, now: float) -> None:
        seq = int(record.sequence_number)
        key = self._ctx.fmt.partition_key(record)
        if key in self._key_done and seq <= self._key_done[key]:
            self._last_read = record.sequence_number
            return  # its key finished it before a restart
        self._unsettled[seq] = self._last_read or ""
        self._last_read = record.sequence_number
        if not self._ctx.passes(record, self._shard_id):
            self._unsettled.pop(seq)  # skipped: the iterator moves past it (spec 5.5)
            self._ctx.filtered[self._shard_id] = self._ctx.filtered.get(self._shard_id, 0) + 1
            return
        lane = self._lanes[zlib.crc32(key.encode()) % len(self._lanes)]
        if not lane.pending and lane.window_from is None:
            lane.window_from = now
        lane.pending.append(record)

    async def _settled(self, records: list[Any], owed: Sequence[Entry]) -> None:
        """Records done with (succeeded, or given up on), and the outbox rows they owe."""
        if len(self._lanes) > 1:  # a key's checkpoint skips its records on a restart
            last: dict[str, str] = {}
            for record in records:
                last[self._ctx.fmt.partition_key(record)] = record.sequence_number
            for key, seq in last.items():
                await self._checkpoint(seq, key, owed)
                owed = ()
        for record in records:
            self._unsettled.pop(int(record.sequence_number), None)
        if owed:
            await self._write_mark(owed)

    async def _write_mark(self, owed: Sequence[Entry] = ()) -> None:
        if self._unsettled:
            mark: str | None = self._unsettled[next(iter(self._unsettled))] or None
        else:
            mark = self._last_read
        if mark is None:  # nothing read yet, so no checkpoint to carry them
            if owed:
                await self._ctx.add_records(owed)
        elif mark != self._mark or owed:
            await self._checkpoint(mark, "", owed)
            self._mark = mark

    async def _checkpoint(self, sequence: str, key: str = "", owed: Sequence[Entry] = ()) -> None:
        ctx = self._ctx
        began = time.perf_counter()
        await ctx.store.set_checkpoint(
            ctx.mapping.uuid, self._shard_id, sequence, self._clock.now(), key, owed
        )
        ctx.stats.settle_s += time.perf_counter() - began
        if owed:
            ctx.records_written()
