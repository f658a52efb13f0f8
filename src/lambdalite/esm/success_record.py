"""The on-success record of an SQS mapping's batch (beyond AWS, behind the extensions
switch): esm/destination_record.py's frame, shared with stream mappings, with the batch
described by an ``SQSBatchInfo`` block:

    {"queueArn", "batchSize", "messageIds": [...],
     "failedMessageIds": [...]  (only when a partial response kept some in the queue),
     "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord" (SentTimestamp)}
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.esm import destination_record
from lambdalite.esm.destination_record import Invocation, iso_millis, parse_response
from lambdalite.services.directory import ConsumedMessage

BATCH_INFO_KEY = "SQSBatchInfo"


@dataclass(frozen=True, slots=True)
class BatchOutcome:
    request_id: str
    function_arn: str  # unqualified
    executed_version: str
    response: bytes
    messages: Sequence[ConsumedMessage]
    failed_ids: Sequence[str]
    invoke_started: float
    invoke_ended: float


def batch_info(
    queue_arn: str, messages: Sequence[ConsumedMessage], failed: Sequence[str]
) -> dict[str, Any]:
    info: dict[str, Any] = {
        "queueArn": queue_arn,
        "batchSize": len(messages),
        "messageIds": [m.message_id for m in messages],
    }
    if failed:
        info["failedMessageIds"] = list(failed)
    sent = [int(m.attributes["SentTimestamp"]) for m in messages if "SentTimestamp" in m.attributes]
    if sent:
        info["approximateArrivalOfFirstRecord"] = iso_millis(min(sent) / 1000)
        info["approximateArrivalOfLastRecord"] = iso_millis(max(sent) / 1000)
    return info


def success_record(outcome: BatchOutcome, *, mapping_arn: str, queue_arn: str) -> dict[str, Any]:
    o = outcome
    inv = Invocation(
        request_id=o.request_id,
        function_arn=o.function_arn,
        executed_version=o.executed_version,
        invoke_count=1,  # a failed SQS batch comes back as a new receive, a new batch
    )
    return destination_record.success_record(
        inv,
        mapping_arn=mapping_arn,
        batch_key=BATCH_INFO_KEY,
        batch_info=batch_info(queue_arn, o.messages, o.failed_ids),
        response=parse_response(o.response),
        started=o.invoke_started,
        now=o.invoke_ended,
    )
