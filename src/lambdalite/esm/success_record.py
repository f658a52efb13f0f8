"""The on-success record of a mapping's batch (beyond AWS, behind the extensions switch).

Shaped like the asynchronous invocation record (spec 3.6.1) with the batch described the
way a stream's on-failure record describes its batch (spec 4.7.1, ``KinesisBatchInfo``):

    {"version": "1.0", "timestamp": "<ISO-8601, ms, Z>",
     "requestContext": {"requestId", "functionArn" (executed version), "condition":
                        "Success", "approximateInvokeCount": 1},
     "responseContext": {"statusCode": 200, "executedVersion"},
     "responsePayload": <the function's answer as JSON, its text if not JSON, null if none>,
     "SQSBatchInfo": {"eventSourceMappingArn", "uuid", "queueArn", "batchSize",
                      "messageIds": [...], "failedMessageIds": [...] (kept by a partial
                      response), "batchStartTime", "invokeStartTime", "invokeEndTime"
                      (ISO-8601), "durationMs"}}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


def iso_ms(epoch_s: float) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _payload(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw.decode("utf-8", "replace")


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    request_id: str
    function_arn: str  # of the executed version
    executed_version: str
    response: bytes
    message_ids: Sequence[str]
    failed_ids: Sequence[str]
    batch_started: float
    invoke_started: float
    invoke_ended: float


def success_record(
    outcome: BatchOutcome, *, mapping_arn: str, uuid: str, queue_arn: str
) -> dict[str, Any]:
    o = outcome
    return {
        "version": "1.0",
        "timestamp": iso_ms(o.invoke_ended),
        "requestContext": {
            "requestId": o.request_id,
            "functionArn": o.function_arn,
            "condition": "Success",
            "approximateInvokeCount": 1,
        },
        "responseContext": {"statusCode": 200, "executedVersion": o.executed_version},
        "responsePayload": _payload(o.response),
        "SQSBatchInfo": {
            "eventSourceMappingArn": mapping_arn,
            "uuid": uuid,
            "queueArn": queue_arn,
            "batchSize": len(o.message_ids),
            "messageIds": list(o.message_ids),
            "failedMessageIds": list(o.failed_ids),
            "batchStartTime": iso_ms(o.batch_started),
            "invokeStartTime": iso_ms(o.invoke_started),
            "invokeEndTime": iso_ms(o.invoke_ended),
            "durationMs": round((o.invoke_ended - o.invoke_started) * 1000, 3),
        },
    }
