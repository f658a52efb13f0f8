"""The documents a stream mapping sends to its destinations: the on-failure record of spec
4.7.1, and (beyond AWS, with the extensions switch) a record of each successful batch.

Both are built on esm/destination_record.py's frame, which SQS mappings share: this module
only describes a stream batch (its shard and sequence range)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.esm import destination_record
from lambdalite.esm.destination_record import Invocation, frame
from lambdalite.esm.streams.format import StreamFormat
from lambdalite.esm.streams.outcome import Outcome
from lambdalite.services.streams import StreamRecord

RETRY_ATTEMPTS_EXHAUSTED = "RetryAttemptsExhausted"
RECORD_AGE_EXCEEDED = "RecordAgeExceeded"


@dataclass(frozen=True, slots=True)
class BatchOrigin:
    function_arn: str  # unqualified, as the record shows it
    shard_id: str
    stream_arn: str
    fmt: StreamFormat


def batch_info(origin: BatchOrigin, batch: Sequence[StreamRecord]) -> dict[str, Any]:
    first, last = batch[0], batch[-1]
    fmt = origin.fmt
    return {
        "shardId": origin.shard_id,
        "startSequenceNumber": first.sequence_number,
        "endSequenceNumber": last.sequence_number,
        "approximateArrivalOfFirstRecord": fmt.arrival_text(first.approximate_arrival_timestamp),
        "approximateArrivalOfLastRecord": fmt.arrival_text(last.approximate_arrival_timestamp),
        "batchSize": len(batch),
        "streamArn": origin.stream_arn,
    }


def failure_record(
    origin: BatchOrigin,
    batch: Sequence[StreamRecord],
    *,
    condition: str,
    invoke_count: int,
    last: Outcome | None,
    request_id: str,
    now: float,
) -> dict[str, Any]:
    inv = Invocation(
        request_id=request_id,
        function_arn=origin.function_arn,
        executed_version=last.executed_version if last else "$LATEST",
        invoke_count=invoke_count,
        function_error=last.function_error if last else None,
    )
    info = batch_info(origin, batch)
    doc = frame(
        inv, condition=condition, batch_key=origin.fmt.batch_info_key, batch_info=info, now=now
    )
    if condition == RECORD_AGE_EXCEEDED or last is None:
        del doc["responseContext"]  # nothing was invoked to answer
    return doc


def success_record(
    origin: BatchOrigin,
    batch: Sequence[StreamRecord],
    *,
    mapping_arn: str,
    outcome: Outcome,
    invoke_count: int,
    started: float,
    now: float,
) -> dict[str, Any]:
    inv = Invocation(
        request_id=outcome.request_id,
        function_arn=origin.function_arn,
        executed_version=outcome.executed_version,
        invoke_count=invoke_count,
    )
    return destination_record.success_record(
        inv,
        mapping_arn=mapping_arn,
        batch_key=origin.fmt.batch_info_key,
        batch_info=batch_info(origin, batch),
        response=outcome.response,
        started=started,
        now=now,
    )
