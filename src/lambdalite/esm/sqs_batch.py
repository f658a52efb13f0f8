"""An SQS batch: the event records the function receives, and what its answer settles.

The record is AWS's to the byte (spec 4.4.1): its keys in AWS's order, ``body`` the raw
string, ``md5OfMessageAttributes`` null without attributes. The answer is read as the
spec's table 4.4.4 says: with ReportBatchItemFailures, a well-formed ``batchItemFailures``
list names the messages to keep; anything malformed fails the whole batch; an empty or
null answer is a complete success.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.services.directory import ConsumedMessage

EVENT_SOURCE = "aws:sqs"


def _attribute_value(value: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "StringValue" in value:
        out["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        raw = value["BinaryValue"]
        data = raw if isinstance(raw, (bytes, bytearray)) else str(raw).encode()
        out["binaryValue"] = base64.b64encode(data).decode("ascii")
    out["stringListValues"] = []
    out["binaryListValues"] = []
    out["dataType"] = value["DataType"]
    return out


def event_record(m: ConsumedMessage, queue_arn: str) -> dict[str, Any]:
    region = queue_arn.split(":", 5)[3]
    return {
        "messageId": m.message_id,
        "receiptHandle": m.receipt_handle,
        "body": m.body,
        "attributes": dict(m.attributes),
        "messageAttributes": {k: _attribute_value(v) for k, v in m.message_attributes.items()},
        "md5OfMessageAttributes": m.md5_of_message_attributes,
        "md5OfBody": m.md5_of_body,
        "eventSource": EVENT_SOURCE,
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def encode_event(records: Sequence[str]) -> bytes:
    """The invocation payload from records already serialized (sizes were counted on them)."""
    return ('{"Records": [' + ", ".join(records) + "]}").encode("utf-8")


def record_text(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False)


def failed_ids(payload: bytes, batch_ids: Sequence[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures answer keeps; None when the answer fails
    the whole batch (spec 4.4.4)."""
    text = payload.strip()
    if not text:
        return set()
    try:
        answer = json.loads(text)
    except ValueError:
        return None
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return set()  # unconfirmed: valid JSON naming no failures reads as a success
    failures = answer.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    known = set(batch_ids)
    kept: set[str] = set()
    for item in failures:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in known:
            return None  # missing, empty, null or foreign identifier
        kept.add(ident)
    return kept


def hold_groups(messages: Sequence[ConsumedMessage], failed: set[str]) -> set[str]:
    """FIFO: a failure holds its group, so every later message of that group in the batch
    is kept too (it must not be deleted ahead of the one that failed)."""
    held: set[str] = set()
    blocked: set[str | None] = set()
    for m in messages:
        if m.group_id in blocked or m.message_id in failed:
            blocked.add(m.group_id)
            held.add(m.message_id)
    return held
