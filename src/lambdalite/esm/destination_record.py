"""The frame of every document a mapping sends to a destination (spec 4.7.1): AWS's stream
on-failure record, and (beyond AWS, with the extensions switch) its twin for a successful
batch, which SQS and stream mappings share so one consumer reads them all:

    {"requestContext": {"requestId", "functionArn" (unqualified), "eventSourceMappingArn",
                        "condition": "Success", "approximateInvokeCount"},
     "responseContext": {"statusCode": 200, "executedVersion", "functionError": null},
     "version": "1.0", "timestamp": "<ISO-8601, ms, Z>",
     "<Source>BatchInfo": {...}  (KinesisBatchInfo, DDBStreamBatchInfo, SQSBatchInfo),
     "responsePayload": <the function's answer as JSON, its text if not JSON, null if none>,
     "timing": {"startedAt": "<ISO-8601>", "durationMs"}}

Each source builds only its batch-info block."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def iso_millis(timestamp: float) -> str:
    """2019-11-14T00:38:04.835Z"""
    moment = datetime.fromtimestamp(timestamp, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_response(payload: bytes) -> Any:
    """The function's answer as the record carries it."""
    if not payload.strip():
        return None
    try:
        return json.loads(payload)
    except ValueError:
        return payload.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class Invocation:
    """The invocation a record reports on."""

    request_id: str
    function_arn: str  # unqualified, as AWS's stream record shows it
    executed_version: str
    invoke_count: int
    function_error: str | None = None


def frame(
    inv: Invocation,
    *,
    condition: str,
    batch_key: str,
    batch_info: dict[str, Any],
    now: float,
    mapping_arn: str | None = None,
) -> dict[str, Any]:
    """requestContext, responseContext, version, timestamp and the batch info, in AWS's order
    (the mapping's ARN is lambdalite's addition to the success record)."""
    context: dict[str, Any] = {"requestId": inv.request_id, "functionArn": inv.function_arn}
    if mapping_arn is not None:
        context["eventSourceMappingArn"] = mapping_arn
    context["condition"] = condition
    context["approximateInvokeCount"] = inv.invoke_count
    return {
        "requestContext": context,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": inv.executed_version,
            "functionError": inv.function_error,
        },
        "version": "1.0",
        "timestamp": iso_millis(now),
        batch_key: batch_info,
    }


def success_record(
    inv: Invocation,
    *,
    mapping_arn: str,
    batch_key: str,
    batch_info: dict[str, Any],
    response: Any,
    started: float,
    now: float,
) -> dict[str, Any]:
    doc = frame(
        inv,
        condition="Success",
        batch_key=batch_key,
        batch_info=batch_info,
        now=now,
        mapping_arn=mapping_arn,
    )
    doc["responsePayload"] = response
    doc["timing"] = {"startedAt": iso_millis(started), "durationMs": round((now - started) * 1000)}
    return doc
