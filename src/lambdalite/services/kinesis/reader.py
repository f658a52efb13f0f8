"""The read path: shard iterators and GetRecords for the wire, and the internal API the
event source mapping poller uses (``read``, ``shards``, ``latest_sequence``,
``position_at``, ``changed``), which takes stream ARNs and sequence numbers and never
touches iterators or wire shapes.

Retention is enforced here as well as by the trimmer: a read never returns a record older
than the stream's retention period, whether or not it has been deleted yet.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    ResourceNotFoundException,
)
from lambdalite.services.kinesis.iterators import Position, decode_iterator, encode_iterator
from lambdalite.services.kinesis.model import Record, Shard, Stream
from lambdalite.services.kinesis.store import RecordRow

if TYPE_CHECKING:
    from lambdalite.services.kinesis.service import KinesisService

MAX_GET_RECORDS = 10_000
MAX_GET_BYTES = 10 * 1024 * 1024  # of one GetRecords response


@dataclass(frozen=True, slots=True)
class RecordsPage:
    records: list[Record]
    next_iterator: str
    millis_behind_latest: int


class KinesisReader:
    def __init__(self, service: KinesisService) -> None:
        self._service = service

    # wire --------------------------------------------------------------------------------

    def get_shard_iterator(
        self,
        name: str,
        shard_id: str,
        kind: str,
        sequence: str | None = None,
        timestamp: float | None = None,
    ) -> str:
        stream = self._service.active(name)
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
            after = self._after_timestamp(stream, shard, timestamp)
        elif kind == "LATEST":
            after = self._service.db.last_counter(stream.id, shard.index) or 0
        else:  # TRIM_HORIZON: reads skip what retention has dropped
            after = 0
        now = self._service.clock.now()
        return encode_iterator(Position(stream.id, shard.index, after, now))

    def get_records(self, token: str, limit: int = MAX_GET_RECORDS) -> RecordsPage:
        now = self._service.clock.now()
        position = decode_iterator(token, now)
        stream = self._service.stream_by_id(position.stream_id)
        if stream is None:
            raise ResourceNotFoundException("Requested resource not found.")
        if not 0 <= position.shard_index < len(stream.shards):
            raise InvalidArgumentException("Invalid ShardIterator.")
        shard = stream.shards[position.shard_index]
        rows, following = self._take(stream, shard, position.after, min(limit, MAX_GET_RECORDS))
        after = rows[-1].counter if rows else position.after
        behind = 0 if following is None else max(0, round((now - following.arrival) * 1000))
        return RecordsPage(
            [self._record(shard, row) for row in rows],
            encode_iterator(Position(stream.id, shard.index, after, now)),
            behind,
        )

    # internal API for the event source mapping poller ------------------------------------

    async def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> list[Record]:
        """Up to ``limit`` retained records of a shard after ``after_sequence`` (None: from
        the oldest retained record), oldest first, at most 10 MiB of data."""
        stream = self._by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        after = 0 if after_sequence is None else self._counter(stream, shard, after_sequence)
        rows, _ = self._take(stream, shard, after, limit)
        return [self._record(shard, row) for row in rows]

    async def shards(self, stream_arn: str) -> list[Shard]:
        return list(self._by_arn(stream_arn).shards)

    async def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The newest record's sequence number (LATEST starts after it), None when empty."""
        stream = self._by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        counter = self._service.db.last_counter(stream.id, shard.index)
        return None if counter is None else shard.sequence(counter)

    async def position_at(self, stream_arn: str, shard_id: str, timestamp: float) -> str:
        """An ``after_sequence`` from which ``read`` returns the records that arrived at or
        after ``timestamp`` (AT_TIMESTAMP)."""
        stream = self._by_arn(stream_arn)
        shard = self._shard(stream, shard_id)
        after = self._after_timestamp(stream, shard, timestamp)
        return shard.sequence(after)

    def changed(self, stream_arn: str) -> asyncio.Event:
        """Set at the next write to the stream: wait on it (``clock.wait_until``) between
        empty reads instead of polling."""
        return self._service.changed(self._service.name_of(None, stream_arn))

    # helpers -----------------------------------------------------------------------------

    def _by_arn(self, stream_arn: str) -> Stream:
        return self._service.stream(self._service.name_of(None, stream_arn))

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

    def _after_timestamp(self, stream: Stream, shard: Shard, timestamp: float) -> int:
        # Arrival times are milliseconds on the wire; compare at that grain, so a client
        # that echoes a record's own arrival time back (rounded to microseconds by newer
        # botocore) still finds that record.
        timestamp = math.floor(timestamp * 1000) / 1000
        db = self._service.db
        first = db.first_counter_at(stream.id, shard.index, timestamp)
        if first is not None:
            return first - 1
        return db.last_counter(stream.id, shard.index) or 0

    def _take(
        self, stream: Stream, shard: Shard, after: int, limit: int
    ) -> tuple[list[RecordRow], RecordRow | None]:
        """Rows within the count and size limits, and the first row left out (if any)."""
        cutoff = self._service.clock.now() - stream.retention_hours * 3600
        rows: list[RecordRow] = []
        size = 0
        following: RecordRow | None = None
        cursor = self._service.db.read(stream.id, shard.index, after, cutoff)
        try:
            for row in cursor:
                size += len(row.data)
                if len(rows) >= limit or (rows and size > MAX_GET_BYTES):
                    following = row
                    break
                rows.append(row)
        finally:
            cursor.close()
        return rows, following

    @staticmethod
    def _record(shard: Shard, row: RecordRow) -> Record:
        return Record(
            shard_id=shard.shard_id,
            sequence_number=shard.sequence(row.counter),
            partition_key=row.partition_key,
            data=row.data,
            approximate_arrival_timestamp=row.arrival,
        )
