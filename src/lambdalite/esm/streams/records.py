"""The documents a stream mapping sends to its destinations: the on-failure record of spec
4.7.1, and (beyond AWS, with the extensions switch) a record of each successful batch.

The success record is the failure record's twin, so one consumer reads both: the same
requestContext (condition "Success"), responseContext and batch info, plus the function's
response and the batch's timing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.esm.streams.format import StreamFormat, iso_millis
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
    doc: dict[str, Any] = {
        "requestContext": {
            "requestId": request_id,
            "functionArn": origin.function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
    }
    if condition != RECORD_AGE_EXCEEDED and last is not None:
        doc["responseContext"] = {
            "statusCode": 200,
            "executedVersion": last.executed_version,
            "functionError": last.function_error,
        }
    doc["version"] = "1.0"
    doc["timestamp"] = iso_millis(now)
    doc[origin.fmt.batch_info_key] = batch_info(origin, batch)
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
    return {
        "requestContext": {
            "requestId": outcome.request_id,
            "functionArn": origin.function_arn,
            "eventSourceMappingArn": mapping_arn,
            "condition": "Success",
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": outcome.executed_version,
            "functionError": None,
        },
        "version": "1.0",
        "timestamp": iso_millis(now),
        origin.fmt.batch_info_key: batch_info(origin, batch),
        "responsePayload": outcome.response,
        "timing": {"startedAt": iso_millis(started), "durationMs": round((now - started) * 1000)},
    }
