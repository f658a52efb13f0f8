"""DynamoDB Streams records as functions and filters see them (spec 4.6, 4.7.1, 5.4)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from lambdalite.esm.filtering import RecordFilter
from lambdalite.esm.streams.format import RecordContext


class Record(Protocol):
    """What the DynamoDB Streams reader's records offer (services/moto_backend)."""

    @property
    def sequence_number(self) -> str: ...
    @property
    def approximate_arrival_timestamp(self) -> float: ...
    @property
    def event_id(self) -> str: ...
    @property
    def event_name(self) -> str: ...
    @property
    def keys(self) -> dict[str, Any]: ...
    @property
    def new_image(self) -> dict[str, Any] | None: ...
    @property
    def old_image(self) -> dict[str, Any] | None: ...
    @property
    def view_type(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...


class DynamoDBFormat:
    batch_info_key = "DDBStreamBatchInfo"

    def event_record(self, record: Record, context: RecordContext) -> dict[str, Any]:
        change: dict[str, Any] = {
            # whole seconds, as DynamoDB Streams reports it to functions
            "ApproximateCreationDateTime": float(int(record.approximate_arrival_timestamp)),
            "Keys": record.keys,
        }
        if record.new_image is not None:
            change["NewImage"] = record.new_image
        if record.old_image is not None:
            change["OldImage"] = record.old_image
        change["SequenceNumber"] = record.sequence_number
        change["SizeBytes"] = record.size_bytes
        change["StreamViewType"] = record.view_type
        return {
            "eventID": record.event_id,
            "eventName": record.event_name,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": context.region,
            "dynamodb": change,
            "eventSourceARN": context.source_arn,
        }

    def partition_key(self, record: Record) -> str:
        """An item's changes stay in order: its key is the partition."""
        return json.dumps(record.keys, sort_keys=True)

    def passes(self, criteria: RecordFilter, record: Record, context: RecordContext) -> bool:
        return criteria.matches_record(self.event_record(record, context))

    def arrival_text(self, timestamp: float) -> str:
        """DDBStreamBatchInfo's times have no milliseconds (spec 4.7.1)."""
        return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
