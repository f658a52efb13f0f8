"""What destinations and dead-letter queues receive (spec 3.5, 3.6.1, 3.6.2): pure builders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lambdalite.asyncq.policy import Condition

SUCCESS_DETAIL_TYPE = "Lambda Function Invocation Result - Success"
FAILURE_DETAIL_TYPE = "Lambda Function Invocation Result - Failure"
ERROR_MESSAGE_LIMIT = 1024  # the DLQ's ErrorMessage attribute holds the first 1 KB
SMALL_MESSAGE_LIMIT = 262_144  # SNS messages and EventBridge entries: 256 KB
LARGE_MESSAGE_LIMIT = 1_048_576  # SQS messages (since 2025) and async invoke payloads: 1 MB

# Largest record each kind of destination accepts; a larger record loses its payloads.
MESSAGE_LIMITS = {
    "sns": SMALL_MESSAGE_LIMIT,
    "events": SMALL_MESSAGE_LIMIT,
    "sqs": LARGE_MESSAGE_LIMIT,
    "lambda": LARGE_MESSAGE_LIMIT,
}


@dataclass(frozen=True, slots=True)
class Response:
    """The function's answer to one attempt, as the record's responseContext needs it."""

    executed_version: str
    function_error: str | None
    payload: bytes
    status_code: int = 200  # 200 whenever the function ran, function errors included

    def to_json(self) -> str:
        return json.dumps(
            {
                "v": self.executed_version,
                "e": self.function_error,
                "p": self.payload.decode("utf-8", "replace"),
                "s": self.status_code,
            }
        )

    @classmethod
    def from_json(cls, text: str | None) -> Response | None:
        if not text:
            return None
        doc = json.loads(text)
        return cls(doc["v"], doc["e"], doc["p"].encode(), doc["s"])


def iso_millis(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_payload(raw: bytes) -> Any:
    """Payloads are embedded as parsed JSON; anything else is kept as text."""
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        return raw.decode("utf-8", "replace")


def invocation_record(
    *,
    request_id: str,
    function_arn: str,
    condition: Condition,
    invoke_count: int,
    request_payload: bytes,
    response: Response | None,
    timestamp: float,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": iso_millis(timestamp),
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition.value,
            "approximateInvokeCount": invoke_count,
        },
        "requestPayload": parse_payload(request_payload),
    }
    if response is not None:
        context: dict[str, Any] = {
            "statusCode": response.status_code,
            "executedVersion": response.executed_version,
        }
        if response.function_error:
            context["functionError"] = response.function_error
        record["responseContext"] = context
        record["responsePayload"] = parse_payload(response.payload)
    return record


def destination_kind(arn: str) -> str:
    """'sqs', 'sns', 'lambda', 'events', 's3' or '' from an ARN."""
    parts = arn.split(":", 5)
    return parts[2] if len(parts) >= 6 and parts[0] == "arn" else ""


def record_body(record: dict[str, Any], target_arn: str) -> str:
    """The record as compact JSON; without its payloads when too large for the target."""
    body = json.dumps(record, separators=(",", ":"))
    limit = MESSAGE_LIMITS.get(destination_kind(target_arn), LARGE_MESSAGE_LIMIT)
    if len(body.encode()) <= limit:
        return body
    slim = {k: v for k, v in record.items() if k not in ("requestPayload", "responsePayload")}
    return json.dumps(slim, separators=(",", ":"))


def oversize(target_arn: str, body: str, attributes: dict[str, dict[str, str]] | None) -> int:
    """Bytes over what the target accepts (body plus attribute names, types and values, as
    SNS and SQS count them), or 0. Only a dead-letter message can be over: it carries the
    event unchanged (up to 1 MB), and AWS drops it rather than retrying (spec 3.5)."""
    size = len(body.encode())
    for name, value in (attributes or {}).items():
        size += len(name.encode()) + len(value.get("DataType", "").encode())
        size += len(value.get("StringValue", "").encode())
    limit = MESSAGE_LIMITS.get(destination_kind(target_arn), LARGE_MESSAGE_LIMIT)
    return max(0, size - limit)


def error_message(response: Response | None, fallback: str) -> str:
    """The DLQ's ErrorMessage: the error document's errorMessage, first 1 KB."""
    text = fallback
    if response is not None:
        doc = parse_payload(response.payload)
        if isinstance(doc, dict) and isinstance(doc.get("errorMessage"), str):
            text = doc["errorMessage"]
        elif response.payload:
            text = response.payload.decode("utf-8", "replace")
    return text.encode()[:ERROR_MESSAGE_LIMIT].decode("utf-8", "ignore")


def dead_letter_attributes(
    request_id: str, response: Response | None, fallback: tuple[int, str]
) -> dict[str, dict[str, str]]:
    """RequestID, ErrorCode (Number: the invocation's HTTP status) and ErrorMessage."""
    code = response.status_code if response is not None else fallback[0]
    return {
        "RequestID": {"DataType": "String", "StringValue": request_id},
        "ErrorCode": {"DataType": "Number", "StringValue": str(code)},
        "ErrorMessage": {"DataType": "String", "StringValue": error_message(response, fallback[1])},
    }


def event_entry(record_json: str, bus_arn: str, function_arn: str, success: bool) -> dict[str, Any]:
    """The PutEvents entry an EventBridge destination receives (source "lambda")."""
    return {
        "Source": "lambda",
        "DetailType": SUCCESS_DETAIL_TYPE if success else FAILURE_DETAIL_TYPE,
        "Detail": record_json,
        "Resources": [bus_arn, function_arn],
        "EventBusName": bus_arn,
    }
