"""Queue attribute validation, without a server."""

from __future__ import annotations

import json

import pytest

from lambdalite.services.sqs import attributes as qattrs
from lambdalite.services.sqs.errors import (
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidParameterValue,
)
from lambdalite.services.sqs.model import Queue

DLQ = Queue("dlq", "arn:aws:sqs:us-east-1:000000000000:dlq", dict(qattrs.DEFAULTS), 0, 0)


def check(given: dict[str, str], fifo: bool = False) -> dict[str, str]:
    return qattrs.validate(
        given,
        fifo=fifo,
        arn="arn:aws:sqs:us-east-1:000000000000:src",
        lookup=lambda arn: DLQ if arn == DLQ.arn else None,
    )


def test_ranges_and_normalisation() -> None:
    assert check({"VisibilityTimeout": "0", "DelaySeconds": "900"}) == {
        "VisibilityTimeout": "0",
        "DelaySeconds": "900",
    }
    assert check({"FifoQueue": "TRUE"}, fifo=True) == {"FifoQueue": "true"}
    for bad in (
        {"VisibilityTimeout": "43201"},
        {"MaximumMessageSize": "1048577"},
        {"DeduplicationScope": "group"},
    ):
        with pytest.raises(InvalidAttributeValue):
            check(bad, fifo=True)


def test_names() -> None:
    for name in ("Bogus", "QueueArn", "ApproximateNumberOfMessages", "ContentBasedDeduplication"):
        with pytest.raises(InvalidAttributeName, match=f"Unknown Attribute {name}."):
            check({name: "1"})
    # FifoQueue is unknown to a standard queue, even "false"; a FIFO queue keeps its type.
    for value in ("false", "true"):
        with pytest.raises(InvalidAttributeName, match="Unknown Attribute FifoQueue."):
            check({"FifoQueue": value})
    assert check({"FifoQueue": "true"}, fifo=True) == {"FifoQueue": "true"}
    with pytest.raises(InvalidAttributeValue, match="Modifying queue type is not supported."):
        check({"FifoQueue": "false"}, fifo=True)
    assert qattrs.wanted_names(["All"]) == sorted(qattrs.READABLE)
    with pytest.raises(InvalidAttributeName):
        qattrs.wanted_names(["Nope"])


def test_redrive_policy() -> None:
    ok = check(
        {"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ.arn, "maxReceiveCount": "5"})}
    )
    assert json.loads(ok["RedrivePolicy"]) == {"deadLetterTargetArn": DLQ.arn, "maxReceiveCount": 5}
    for bad in (
        "[]",
        "{",
        json.dumps({"deadLetterTargetArn": DLQ.arn}),
        json.dumps({"deadLetterTargetArn": DLQ.arn, "maxReceiveCount": 1001}),
        json.dumps({"deadLetterTargetArn": DLQ.arn + "x", "maxReceiveCount": 1}),
    ):
        with pytest.raises(InvalidParameterValue):
            check({"RedrivePolicy": bad})
    with pytest.raises(InvalidParameterValue, match="same type"):
        check(
            {"RedrivePolicy": json.dumps({"deadLetterTargetArn": DLQ.arn, "maxReceiveCount": 1})},
            fifo=True,
        )


def test_create_compares_given_attributes_only() -> None:
    queue = Queue("q", "arn", qattrs.with_defaults({"VisibilityTimeout": "60"}, False), 0, 0)
    assert qattrs.differing(queue, {}) == []
    assert qattrs.differing(queue, {"VisibilityTimeout": "60", "DelaySeconds": "0"}) == []
    assert qattrs.differing(queue, {"VisibilityTimeout": "30"}) == ["VisibilityTimeout"]
