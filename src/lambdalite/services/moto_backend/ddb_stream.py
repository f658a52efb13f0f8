"""DynamoDB Streams as a ``StreamReader`` (services/streams.py) for event source mappings.

The records are moto's: a table with a StreamSpecification appends one to its stream shard
for every item a write creates, changes or removes (PutItem, UpdateItem, DeleteItem,
BatchWriteItem, TransactWriteItems, PartiQL). moto stamps them with the wall clock, so after
each DynamoDB request lambdalite stamps the records it added with the platform clock (what
record age and the event's ApproximateCreationDateTime read) and wakes the stream's
pollers. Records live in memory with their table; checkpoints are the mapping store's.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.clock import Clock
from lambdalite.services.moto_backend.engine import MotoEngine, MotoMissing

_ARRIVALS = "_lambdalite_arrivals"  # kept on moto's shard object: it lives as long as they do


@dataclass(frozen=True, slots=True)
class Shard:
    shard_id: str


@dataclass(frozen=True, slots=True)
class DynamoRecord:
    sequence_number: str
    approximate_arrival_timestamp: float  # platform clock
    event_id: str
    event_name: str  # INSERT | MODIFY | REMOVE
    keys: dict[str, Any]
    new_image: dict[str, Any] | None
    old_image: dict[str, Any] | None
    view_type: str
    size_bytes: int


def stream_arn(table: Any) -> str:
    return f"{table.table_arn}/stream/{table.latest_stream_label}"


class DynamoStreamReader:
    def __init__(self, engine: MotoEngine, clock: Clock) -> None:
        self._engine = engine
        self._clock = clock
        self._wakers: dict[str, asyncio.Event] = {}

    # after every DynamoDB request -----------------------------------------------------

    def stamp(self, region: str, now: float) -> list[str]:
        """On moto's thread: stamp new records with ``now``; the streams that grew."""
        grown = []
        for table in self._engine.backend("dynamodb", region).tables.values():
            shard = getattr(table, "stream_shard", None)
            if shard is None:
                continue
            arrivals = _arrivals(shard)
            if len(arrivals) < len(shard.items):
                arrivals.extend([now] * (len(shard.items) - len(arrivals)))
                grown.append(stream_arn(table))
        return grown

    def wake(self, arns: Sequence[str]) -> None:
        for arn in arns:
            event = self._wakers.pop(arn, None)
            if event is not None:
                event.set()

    # StreamReader -----------------------------------------------------------------------

    async def shards(self, stream_arn: str) -> Sequence[Shard]:
        shard = await self._engine.run(lambda: self._shard(stream_arn))
        return [Shard(shard.id)]

    async def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> Sequence[DynamoRecord]:
        def read() -> list[DynamoRecord]:
            shard = self._shard(stream_arn)
            start = 0
            if after_sequence is not None:
                start = max(int(after_sequence) - shard.starting_sequence_number + 1, 0)
            arrivals = _arrivals(shard)
            return [
                _record(item.record, arrivals[i] if i < len(arrivals) else self._clock.now())
                for i, item in enumerate(shard.items[start : start + limit], start)
            ]

        return await self._engine.run(read)

    async def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        def latest() -> str | None:
            shard = self._shard(stream_arn)
            count = len(shard.items)
            return str(shard.starting_sequence_number + count - 1) if count else None

        return await self._engine.run(latest)

    async def position_at(self, stream_arn: str, shard_id: str, timestamp: float) -> str:
        def position() -> str:
            shard = self._shard(stream_arn)
            arrivals = _arrivals(shard)
            index = next((i for i, t in enumerate(arrivals) if t >= timestamp), len(arrivals))
            return str(shard.starting_sequence_number + index - 1)

        return await self._engine.run(position)

    def changed(self, stream_arn: str) -> asyncio.Event:
        return self._wakers.setdefault(stream_arn, asyncio.Event())

    def _shard(self, arn: str) -> Any:
        """On moto's thread: the stream shard an ARN names; LookupError when there is none
        (no table, streams off, or the table's stream is a newer one)."""
        parts = arn.split(":", 5)
        resource = parts[5].split("/") if len(parts) == 6 else []
        if len(resource) < 4 or resource[0] != "table" or resource[2] != "stream":
            raise LookupError(arn)
        try:
            backend = self._engine.backend("dynamodb", parts[3])
        except MotoMissing:
            raise LookupError(arn) from None  # no moto, no tables: no such stream
        table = backend.tables.get(resource[1])
        shard = getattr(table, "stream_shard", None)
        if table is None or shard is None or stream_arn(table) != arn:
            raise LookupError(arn)
        return shard


def _arrivals(shard: Any) -> list[float]:
    arrivals: list[float] | None = getattr(shard, _ARRIVALS, None)
    if arrivals is None:
        arrivals = []
        setattr(shard, _ARRIVALS, arrivals)
    return arrivals


def _record(doc: dict[str, Any], arrival: float) -> DynamoRecord:
    ddb = doc["dynamodb"]
    images = {k: ddb[k] for k in ("Keys", "NewImage", "OldImage") if k in ddb}
    return DynamoRecord(
        sequence_number=str(ddb["SequenceNumber"]),
        approximate_arrival_timestamp=arrival,
        event_id=str(doc["eventID"]),
        event_name=str(doc["eventName"]),
        keys=ddb["Keys"],
        new_image=ddb.get("NewImage"),
        old_image=ddb.get("OldImage"),
        view_type=str(ddb["StreamViewType"]),
        size_bytes=len(json.dumps(images, separators=(",", ":"))),
    )
