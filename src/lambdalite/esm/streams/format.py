"""What one stream source contributes to its poller: the rest is shared by every stream."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from lambdalite.esm.destination_record import iso_millis as iso_millis
from lambdalite.esm.filtering import RecordFilter
from lambdalite.services.streams import StreamRecord


@dataclass(frozen=True, slots=True)
class RecordContext:
    """What an event record says besides the record itself."""

    shard_id: str
    source_arn: str
    region: str
    role_arn: str


class StreamFormat(Protocol):
    @property
    def batch_info_key(self) -> str:
        """The on-failure record's batch member ("KinesisBatchInfo", "DDBStreamBatchInfo")."""
        ...

    def event_record(self, record: Any, context: RecordContext) -> dict[str, Any]:
        """One element of the event's "Records", exactly as the source's functions get it."""
        ...

    def partition_key(self, record: Any) -> str:
        """What ParallelizationFactor keeps in order (Kinesis: the partition key)."""
        ...

    def passes(self, criteria: RecordFilter, record: Any, context: RecordContext) -> bool:
        """Whether the record passes the mapping's FilterCriteria (esm/filtering.py knows
        each source's data key and how it is decoded, spec 5.4)."""
        ...

    def arrival_text(self, timestamp: float) -> str:
        """An arrival time as the on-failure record writes it."""
        ...


def sequence_key(record: StreamRecord) -> int:
    """Stream sequence numbers are decimal strings (Kinesis and DynamoDB alike)."""
    return int(record.sequence_number)
