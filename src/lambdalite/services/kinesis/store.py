"""What Kinesis needs from the store: streams and per-shard records, as domain operations.

The SQLite implementation is ``store/sqlite/kinesis.py``; a PostgreSQL one will offer the
same methods. Every state change is one transaction inside one method. Shards are not
stored: a stream's shards follow from its shard count (``model.make_shards``).

A record's ``counter`` is the store-wide order of arrival, the low digits of its sequence
number: appended records get consecutive counters above every counter handed out before,
across restarts and deletions (never reused), so a shard's records sort by counter.
Arrival times never decrease with the counter (the service clamps them), which is what
trimming from the oldest end relies on.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class StreamRow:
    id: int  # given by the store (0 in a row to create)
    name: str
    status: str
    mode: str
    shard_count: int
    retention_hours: int
    max_record_kib: int
    created_at: float


@dataclass(frozen=True, slots=True)
class ModeUsage:
    """How many streams of one capacity mode there are, and their shards together."""

    streams: int
    shards: int


@dataclass(frozen=True, slots=True)
class RecordRow:
    counter: int
    arrival: float
    partition_key: str
    data: bytes


# (shard index, arrival, partition key, data)
NewRow = tuple[int, float, str, bytes]


@dataclass(frozen=True, slots=True)
class RecordBatch:
    records: list[RecordRow]
    next_arrival: float | None  # arrival of the first retained record left out, if any


def fill_batch(rows: Iterable[RecordRow], limit: int, max_bytes: int) -> RecordBatch:
    """The first rows within ``limit`` records and ``max_bytes`` of data (always at least
    one row when there is one), and the arrival of the first row left out. Stops at that
    row, so a lazy ``rows`` is read no further."""
    records: list[RecordRow] = []
    size = 0
    for row in rows:
        size += len(row.data)
        if len(records) >= limit or (records and size > max_bytes):
            return RecordBatch(records, row.arrival)
        records.append(row)
    return RecordBatch(records, None)


class KinesisStore(Protocol):
    # streams ------------------------------------------------------------------------------

    async def create_stream(self, row: StreamRow) -> int | None:
        """Store a new stream (``row.id`` is ignored); its id, or None when the name is
        taken. Ids are never reused, so a recreated stream is a new stream."""
        ...

    async def stream_named(self, name: str) -> StreamRow | None: ...

    async def stream_by_id(self, stream_id: int) -> StreamRow | None: ...

    async def streams(self) -> list[StreamRow]:
        """Every stream, by name."""
        ...

    async def usage(self, mode: str) -> ModeUsage:
        """The streams of this capacity mode and their shards (each mode has its quota)."""
        ...

    async def activate(self, stream_id: int) -> None:
        """CREATING -> ACTIVE for this stream; any other status stays as it is."""
        ...

    async def activate_creating(self) -> None:
        """CREATING -> ACTIVE for every stream (at start: what a crash left CREATING)."""
        ...

    async def set_retention(self, stream_id: int, hours: int) -> None: ...

    async def set_mode(self, stream_id: int, mode: str) -> None: ...

    async def delete_stream(self, stream_id: int) -> None:
        """The stream and all its records, together."""
        ...

    # records ------------------------------------------------------------------------------

    async def append(self, stream_id: int, rows: Sequence[NewRow]) -> int:
        """Commit ``rows`` together, all or none; the counter of the first (the others
        follow it consecutively, in order)."""
        ...

    async def last_arrival(self) -> float:
        """The arrival time of the newest record of any stream, 0.0 when there is none."""
        ...

    async def read(
        self,
        stream_id: int,
        shard_index: int,
        after: int,
        cutoff: float,
        limit: int,
        max_bytes: int,
    ) -> RecordBatch:
        """The shard's records with a counter above ``after`` that arrived at or after
        ``cutoff``, oldest first, cut as ``fill_batch`` cuts them."""
        ...

    async def last_counter(self, stream_id: int, shard_index: int) -> int | None:
        """The counter of the shard's newest stored record, None when it has none."""
        ...

    async def first_counter_at(
        self, stream_id: int, shard_index: int, timestamp: float
    ) -> int | None:
        """The counter of the shard's oldest stored record that arrived at or after
        ``timestamp``, None when there is none."""
        ...

    async def trim(self, stream_id: int, shard_index: int, cutoff: float, limit: int) -> int:
        """Delete those of the shard's ``limit`` oldest records that arrived before
        ``cutoff``; how many went (0: nothing older is left)."""
        ...
