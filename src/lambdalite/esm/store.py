"""What event source mappings need from storage: the mappings, and their pollers' checkpoints.

Each state change is one transaction. The SQLite backend implements it in
store/sqlite/event_source_mappings.py.

Checkpoints are a stream poller's position: the sequence number of the last record it is
done with, per shard, or per shard and partition key with ParallelizationFactor > 1
(``partition_key`` "" is the shard's own). Sequence numbers are decimal strings (Kinesis and
DynamoDB Streams alike), compared as numbers; a checkpoint never moves back, so a slow
batch finishing after a newer one cannot rewind its shard. SQS keeps its in-flight state
in the queue itself (receipts, visibility), so it needs nothing here.

A checkpoint write can carry outbox rows (a batch's destination records): they commit in
the checkpoint's own transaction, so a checkpoint that moves past a batch never exists
without the record the batch owes (esm/destinations.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lambdalite.esm.model import EventSourceMapping
from lambdalite.outbox.model import Entry


@dataclass(frozen=True)
class MappingPage:
    items: list[EventSourceMapping]
    next_marker: str | None


class DuplicateMapping(Exception):
    """A mapping of the same source and function exists already (its UUID in `uuid`)."""

    def __init__(self, uuid: str) -> None:
        super().__init__(uuid)
        self.uuid = uuid


class EventSourceMappingStore(Protocol):
    async def create_mapping(self, mapping: EventSourceMapping) -> None:
        """Raises DuplicateMapping, atomically, when the source+function pair is taken."""
        ...

    async def get_mapping(self, uuid: str) -> EventSourceMapping | None: ...

    async def list_mappings(
        self,
        *,
        source_arn: str | None,
        function_name: str | None,
        function_arn: str | None,
        marker: str | None,
        limit: int,
    ) -> MappingPage:
        """In creation order; each filter given narrows (``function_name`` matches every
        qualifier of a function, ``function_arn`` one exactly)."""
        ...

    async def replace_mapping(self, mapping: EventSourceMapping, expected_revision: int) -> bool:
        """Compare-and-set on the stored revision; False when it moved meanwhile (or the
        mapping is gone). Raises DuplicateMapping when the new function makes a pair taken."""
        ...

    async def delete_mapping(self, uuid: str) -> bool:
        """Removes the mapping and its checkpoints; False when there was none."""
        ...

    async def set_last_processing_result(self, uuid: str, result: str) -> bool:
        """A poller's report of its last batch; the revision stays (not a change of the
        mapping: its poller keeps running). False when the mapping is gone."""
        ...

    async def set_checkpoint(
        self,
        uuid: str,
        shard_id: str,
        sequence: str,
        at: float,
        partition_key: str = "",
        outbox: Sequence[Entry] = (),
    ) -> bool:
        """Record a position; False (and no change) when it is not after the stored one or
        the mapping is gone. The `outbox` rows are written in the same transaction, whether
        or not the position moved."""
        ...

    async def checkpoint(self, uuid: str, shard_id: str, partition_key: str = "") -> str | None: ...

    async def checkpoints(self, uuid: str) -> dict[tuple[str, str], str]:
        """Every position of a mapping: (shard id, partition key) -> sequence number."""
        ...
