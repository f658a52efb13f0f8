"""Queue attributes: defaults, validation and the read-only ones computed on read.

Codes: a value out of range is ``InvalidAttributeValue``; a name SQS does not know, a
read-only name, or a FIFO-only name (``FifoQueue`` included, even "false") on a standard
queue is ``InvalidAttributeName`` ("Unknown Attribute X."); RedrivePolicy problems are
``InvalidParameterValue`` with SQS's "Value ... for parameter RedrivePolicy is invalid.
Reason: ..." wording.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from lambdalite.services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
)
from lambdalite.services.sqs.model import Queue

# name -> (min, max) for the integer attributes
_RANGES: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1_048_576),
    "MessageRetentionPeriod": (60, 1_209_600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43_200),
    "KmsDataKeyReusePeriodSeconds": (60, 86_400),
}
DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
_ENUMS: dict[str, tuple[str, ...]] = {
    "FifoQueue": ("true", "false"),
    "ContentBasedDeduplication": ("true", "false"),
    "SqsManagedSseEnabled": ("true", "false"),
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
_FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
_FREE_TEXT = {"Policy", "KmsMasterKeyId", "RedrivePolicy", "RedriveAllowPolicy"}
SETTABLE = set(_RANGES) | set(_ENUMS) | _FREE_TEXT
COUNTS = (
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
)
READ_ONLY = {"QueueArn", "CreatedTimestamp", "LastModifiedTimestamp", *COUNTS}
READABLE = SETTABLE | READ_ONLY

QueueLookup = Callable[[str], Queue | None]  # by ARN


def unknown(name: str) -> InvalidAttributeName:
    return InvalidAttributeName(f"Unknown Attribute {name}.")


def _check_value(name: str, value: str) -> str:
    if name in _RANGES:
        low, high = _RANGES[name]
        if not value.strip().lstrip("-").isdigit() or not low <= int(value) <= high:
            raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
        return str(int(value))
    if name in _ENUMS:
        normal = value.lower() if _ENUMS[name][0] in ("true", "false") else value
        if normal not in _ENUMS[name]:
            raise InvalidAttributeValue(f"Invalid value for the parameter {name}.")
        return normal
    return value


def validate(
    given: Mapping[str, str], *, fifo: bool, arn: str, lookup: QueueLookup
) -> dict[str, str]:
    """The normalised attributes of a CreateQueue/SetQueueAttributes call."""
    out: dict[str, str] = {}
    for name, value in given.items():
        if name not in SETTABLE or (name in _FIFO_ONLY and not fifo):
            raise unknown(name)
        if name == "FifoQueue":
            _check_fifo_flag(value, fifo=fifo)
        out[name] = _check_value(name, value)
    if out.get("RedrivePolicy"):
        out["RedrivePolicy"] = _redrive(out["RedrivePolicy"], fifo=fifo, arn=arn, lookup=lookup)
    if out.get("RedriveAllowPolicy"):
        out["RedriveAllowPolicy"] = _redrive_allow(out["RedriveAllowPolicy"])
    return out


def _check_fifo_flag(value: str, *, fifo: bool) -> None:
    # A standard queue knows no FifoQueue attribute, not even "false"; a FIFO queue
    # takes "true" (a no-op on SetQueueAttributes) and refuses a change of type.
    if not fifo:
        raise unknown("FifoQueue")
    if value.lower() != "true":
        raise InvalidAttributeValue(
            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not "
            "supported."
        )


def _bad_redrive(raw: str, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Value {raw} for parameter RedrivePolicy is invalid. Reason: {reason}"
    )


def _redrive(raw: str, *, fifo: bool, arn: str, lookup: QueueLookup) -> str:
    try:
        doc: Any = json.loads(raw)
    except ValueError:
        raise _bad_redrive(raw, "Redrive policy is not a valid JSON map.") from None
    if not isinstance(doc, dict) or "deadLetterTargetArn" not in doc:
        raise _bad_redrive(
            raw, "Redrive policy does not contain mandatory attribute: deadLetterTargetArn."
        )
    count = doc.get("maxReceiveCount")
    if count is None:
        raise _bad_redrive(
            raw, "Redrive policy does not contain mandatory attribute: maxReceiveCount."
        )
    try:
        number = int(count)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= 1000:
        raise _bad_redrive(
            raw,
            f"Invalid value for maxReceiveCount: {count}, valid values "
            "are from 1 to 1000 both inclusive.",
        )
    target = lookup(str(doc["deadLetterTargetArn"]))
    if target is None:
        raise _bad_redrive(raw, "Dead letter target does not exist.")
    if target.fifo != fifo:
        raise _bad_redrive(raw, "Dead-letter queue must be same type of queue as the source.")
    if not _allows(target, arn):
        raise _bad_redrive(
            raw,
            "Queue "
            + arn
            + " does not have permission to use "
            + target.arn
            + " as a dead-letter queue.",
        )
    return json.dumps(
        {"deadLetterTargetArn": target.arn, "maxReceiveCount": number}, separators=(",", ":")
    )


def _allows(target: Queue, source_arn: str) -> bool:
    raw = target.attributes.get("RedriveAllowPolicy")
    if not raw:
        return True
    doc = json.loads(raw)
    permission = doc.get("redrivePermission", "allowAll")
    if permission == "denyAll":
        return False
    return permission == "allowAll" or source_arn in doc.get("sourceQueueArns", [])


def _redrive_allow(raw: str) -> str:
    try:
        doc: Any = json.loads(raw)
    except ValueError:
        doc = None
    ok = isinstance(doc, dict) and doc.get("redrivePermission") in (
        "allowAll",
        "denyAll",
        "byQueue",
    )
    sources = doc.get("sourceQueueArns") if isinstance(doc, dict) else None
    if ok and doc["redrivePermission"] == "byQueue":
        ok = isinstance(sources, list) and 1 <= len(sources) <= 10
    elif ok:
        ok = sources is None
    if not ok:
        raise InvalidParameterValue(
            f"Value {raw} for parameter RedriveAllowPolicy is invalid. "
            "Reason: Amazon SQS can't create the redrive allow policy, as it's in an "
            "unsupported format."
        )
    return raw


def with_defaults(given: Mapping[str, str], fifo: bool) -> dict[str, str]:
    return {**DEFAULTS, **(FIFO_DEFAULTS if fifo else {}), **given}


def differing(queue: Queue, given: Mapping[str, str]) -> list[str]:
    """Names whose requested value differs from the existing queue's (CreateQueue)."""
    current = with_defaults(queue.attributes, queue.fifo)
    return [n for n, v in given.items() if current.get(n, "" if n in _FREE_TEXT else None) != v]


def wanted_names(names: list[str] | None) -> list[str]:
    """The attribute names a GetQueueAttributes call asks for ("All" expands)."""
    out: list[str] = []
    for name in names or []:
        if name == "All":
            return sorted(READABLE)
        if name not in READABLE:
            raise unknown(name)
        out.append(name)
    return out
