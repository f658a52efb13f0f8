"""What a stream event source offers its pollers, whichever service keeps the stream.

An event source mapping over a stream (Kinesis today, DynamoDB Streams next) runs one
poller per shard: list the shards, pick a starting position, read batches after the last
checkpointed sequence number, and wait for a change between empty reads instead of
polling. Each stream service implements ``StreamReader`` over its own store
(``services/kinesis/reader.py`` for Kinesis); pollers depend on this module only.

Positions are sequence numbers, opaque strings that only their reader compares: a read
``after`` one returns the shard's records that follow it, oldest first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, TypeVar


class StreamShard(Protocol):
    @property
    def shard_id(self) -> str: ...


class StreamRecord(Protocol):
    @property
    def sequence_number(self) -> str: ...

    @property
    def approximate_arrival_timestamp(self) -> float:
        """Epoch seconds on the platform clock (record age limits read it)."""
        ...


R_co = TypeVar("R_co", bound=StreamRecord, covariant=True)


class StreamReader(Protocol[R_co]):
    async def shards(self, stream_arn: str) -> Sequence[StreamShard]: ...

    async def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> Sequence[R_co]:
        """Up to ``limit`` retained records of a shard after ``after_sequence`` (None: from
        the oldest retained record), oldest first."""
        ...

    async def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The newest record's sequence number (LATEST starts after it), None when empty."""
        ...

    async def position_at(self, stream_arn: str, shard_id: str, timestamp: float) -> str:
        """An ``after_sequence`` from which ``read`` returns the records that arrived at or
        after ``timestamp`` (AT_TIMESTAMP)."""
        ...

    def changed(self, stream_arn: str) -> asyncio.Event:
        """Set at the next write to (or deletion of) the stream: wait on it
        (``clock.wait_until``) between empty reads."""
        ...
