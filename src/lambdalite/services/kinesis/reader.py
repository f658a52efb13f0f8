"""The read path: shard iterators and GetRecords for the wire, and the ``StreamReader``
(``services/streams.py``) the event source mapping pollers use (``read``, ``shards``,
``latest_sequence``, ``position_at``, ``changed``), which takes stream ARNs and sequence
numbers and never touches iterators or wire shapes.

The reader holds only what it reads from: the store, the clock and a stream lookup (the
service's ``StreamCatalog``), so the service composes it and it never reaches back.

Retention is enforced here as well as by the trimmer: a read never returns a record older
than the stream's retention period, whether or not it has been deleted yet.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import Protocol

from lambdalite.clock import Clock
from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    ResourceNotFoundException,
)
from lambdalite.services.kinesis.iterators import Position, decode_iterator, encode_iterator
from lambdalite.services.kinesis.model import Record, Shard, Stream
from lambdalite.services.kinesis.store import KinesisStore, RecordBatch, RecordRow

MAX_GET_RECORDS = 10_000
MAX_GET_BYTES = 10 * 1024 * 1024  # of one GetRecords response


class StreamLookup(Protocol):
    """The streams the reader serves (``StreamCatalog``)."""

    async def active(self, name: str) -> Stream:
        """Raises ResourceNotFoundException unless the stream takes reads."""
        ...

    async def by_id(self, stream_id: int) -> Stream | None: ...

    async def by_arn(self, stream_arn: str) -> Stream:
        """Raises ResourceNotFoundException when there is no such stream."""
        ...

    def changed(self, stream_arn: str) -> asyncio.Event: ...


@dataclass(frozen=True, slots=True)
class RecordsPage:
    records: list[Record]
    next_iterator: str
    millis_behind_latest: int


class KinesisReader:
    def __init__(self, store: KinesisStore, clock: Clock, streams: StreamLookup) -> None:
        self._store = store
        self._clock = clock
        self._streams = streams

    # wire --------------------------------------------------------------------------------

    async def get_shard_iterator(
        self,
        name: str,
        shard_id: str,
        kind: str,
        sequence: str | None = None,
        timestamp: float | None = None,
    ) -> str:
        stream = await self._streams.active(name)
        shard = self._shard(stream, shard_id)
        if kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
            if sequence is None:
                raise InvalidArgumentException(
                    f"Must specify StartingSequenceNumber for {kind} ShardIteratorType"
                )
            counter = self._counter(stream, shard, sequence)
            after = counter - 1 if kind == "AT_SEQUENCE_NUMBER" else counter
        elif kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise InvalidArgumentException(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP."
                    " Current request has no timestamp parameter."
                )
            after = await self._after_timestamp(stream, shard, timestamp)
        elif kind == "LATEST":
            after = await self._store.last_counter(stream.id, shard.index) or 0
        else:  # TRIM_HORIZON: reads skip what retention has dropped
            after = 0
        now = self._clock.now()
        return encode_iterator(Position(stream.id, shard.index, after, now))

    async def get_records(self, token: str, limit: int = MAX_GET_RECORDS) -> RecordsPage:
        now = self._clock.now()
        position = decode_iterator(token, now)
        stream = await self._streams.by_id(position.stream_id)
        if stream is None:
            raise ResourceNotFoundException("Requested resource not found.")
        if not 0 <= position.shard_index < len(stream.shards):
            raise InvalidArgumentException("Invalid ShardIterator.")
        shard = stream.shards[position.shard_index]
        batch = await self._take(stream, shard, position.after, min(limit, MAX_GET_RECORDS))
        rows = batch.records
        after = rows[-1].counter if rows else position.after
        following = batch.next_arrival
        behind = 0 if following is None else max(0, round((now - following) * 1000))
        return RecordsPage(
            [self._record(shard, row) for row in rows],
            encode_iterator(Position(stream.id, shard.index, after, now)),
            behind,
        )

    # StreamReader, for the event source mapping pollers ---------------------------------

    async def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> list[Record]:
        """Up to ``limit`` retained records of a shard after ``after_sequence`` (None: from
        the oldest retained record), oldest first, at most 10 MiB of data."""
        stream = await self._streams.by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        after = 0 if after_sequence is None else self._counter(stream, shard, after_sequence)
        batch = await self._take(stream, shard, after, limit)
        return [self._record(shard, row) for row in batch.records]

    async def shards(self, stream_arn: str) -> list[Shard]:
        return list((await self._streams.by_arn(stream_arn)).shards)

    async def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The newest record's sequence number (LATEST starts after it), None when empty."""
        stream = await self._streams.by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        counter = await self._store.last_counter(stream.id, shard.index)
        return None if counter is None else shard.sequence(counter)

    async def position_at(self, stream_arn: str, shard_id: str, timestamp: float) -> str:
        """An ``after_sequence`` from which ``read`` returns the records that arrived at or
        after ``timestamp`` (AT_TIMESTAMP)."""
        stream = await self._streams.by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        after = await self._after_timestamp(stream, shard, timestamp)
        return shard.sequence(after)

    def changed(self, stream_arn: str) -> asyncio.Event:
        """Set at the next write to the stream: wait on it (``clock.wait_until``) between
        empty reads instead of polling."""
        return self._streams.changed(stream_arn)

    # helpers -----------------------------------------------------------------------------

    def _shard(self, stream: Stream, shard_id: str) -> Shard:
        shard = stream.shard(shard_id)
        if shard is None:
            raise ResourceNotFoundException(
                f"Shard {shard_id} in stream {stream.name} under account "
                f"{stream.arn.split(':')[4]} does not exist"
            )
        return shard

    def _counter(self, stream: Stream, shard: Shard, sequence: str) -> int:
        parsed = model.parse_sequence(sequence)
        if parsed is None or parsed[:2] != (stream.id, shard.index):
            raise InvalidArgumentException(
                f"StartingSequenceNumber {sequence} used in GetShardIterator on shard "
                f"{shard.shard_id} in stream {stream.name} under account "
                f"{stream.arn.split(':')[4]} is invalid because it did not come from this stream."
            )
        return parsed[2]

    async def _after_timestamp(self, stream: Stream, shard: Shard, timestamp: float) -> int:
        # Arrival times are milliseconds on the wire; compare at that grain, so a client
        # that echoes a record's own arrival time back (rounded to microseconds by newer
        # botocore) still finds that record.
        timestamp = math.floor(timestamp * 1000) / 1000
        first = await self._store.first_counter_at(stream.id, shard.index, timestamp)
        if first is not None:
            return first - 1
        return await self._store.last_counter(stream.id, shard.index) or 0

    async def _take(self, stream: Stream, shard: Shard, after: int, limit: int) -> RecordBatch:
        """Retained rows within the count and size limits."""
        cutoff = self._clock.now() - stream.retention_hours * 3600
        return await self._store.read(stream.id, shard.index, after, cutoff, limit, MAX_GET_BYTES)

    @staticmethod
    def _record(shard: Shard, row: RecordRow) -> Record:
        return Record(
            shard_id=shard.shard_id,
            sequence_number=shard.sequence(row.counter),
            partition_key=row.partition_key,
            data=row.data,
            approximate_arrival_timestamp=row.arrival,
        )
