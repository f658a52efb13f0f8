"""Kinesis Data Streams records as functions and filters see them (spec 4.5.1, 5.4)."""

from __future__ import annotations

import base64
from typing import Any, Protocol

from lambdalite.esm.filtering import RecordFilter
from lambdalite.esm.streams.format import RecordContext, iso_millis


class Record(Protocol):
    """What the Kinesis reader's records offer (services/kinesis/reader.py makes them)."""

    @property
    def sequence_number(self) -> str: ...
    @property
    def partition_key(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def approximate_arrival_timestamp(self) -> float: ...


class KinesisFormat:
    batch_info_key = "KinesisBatchInfo"

    def event_record(self, record: Record, context: RecordContext) -> dict[str, Any]:
        return {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": record.partition_key,
                "sequenceNumber": record.sequence_number,
                "data": base64.b64encode(record.data).decode(),
                # milliseconds, as the service keeps them
                "approximateArrivalTimestamp": round(record.approximate_arrival_timestamp, 3),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{context.shard_id}:{record.sequence_number}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": context.role_arn,
            "awsRegion": context.region,
            "eventSourceARN": context.source_arn,
        }

    def partition_key(self, record: Record) -> str:
        return record.partition_key

    def passes(self, criteria: RecordFilter, record: Record, context: RecordContext) -> bool:
        return criteria.matches_kinesis(self.event_record(record, context))

    def arrival_text(self, timestamp: float) -> str:
        return iso_millis(timestamp)
