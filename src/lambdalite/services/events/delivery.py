"""EventBridge's courier: how the outbox runner hands an event to one rule target.

PutEvents and the scheduler commit deliveries (outbox rows) and wake the runner
(outbox/runner.py), which claims due rows and calls `deliver`: the event goes through
`TargetSender`, and a failure is retried by the target's RetryPolicy (retry.py) or, once
that gives up, turned into a message for the target's dead-letter queue. Waits are on the
platform clock, so retries follow a virtual clock in tests.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from lambdalite.clock import Clock
from lambdalite.outbox.model import Claim, DeadLetter, Outcome, Retry, Settle
from lambdalite.services.directory import MessageAttributes, ServiceDirectory, UnknownTarget
from lambdalite.services.events.model import Delivery
from lambdalite.services.events.retry import (
    AGE_EXCEEDED,
    Failure,
    GiveUp,
    RetryPolicy,
    classify,
    decide,
    expired,
)

log = logging.getLogger(__name__)

_AGED_OUT = Failure(
    "INTERNAL_ERROR", "The event was older than MaximumEventAgeInSeconds.", retriable=False
)


class TargetSender:
    """Sends one payload to one rule target, by the service its ARN names."""

    def __init__(self, directory: ServiceDirectory) -> None:
        self._directory = directory

    async def send(self, target: dict[str, Any], payload: str, event: dict[str, Any]) -> None:
        arn: str = target["Arn"]
        service = arn.split(":")[2] if arn.count(":") >= 5 else ""
        d = self._directory
        if service == "sqs" and d.sqs is not None:
            group = (target.get("SqsParameters") or {}).get("MessageGroupId")
            dedup = event.get("id") if arn.endswith(".fifo") else None
            await d.sqs.send_to_queue(arn, payload, group_id=group, deduplication_id=dedup)
        elif service == "sns" and d.sns is not None:
            await d.sns.publish_to_topic(arn, payload)
        elif service == "lambda" and d.lambda_async is not None:
            await d.lambda_async.invoke_async(arn, payload.encode(), source="aws.events")
        elif service == "events" and d.events is not None:
            await d.events.put_event(arn, event)  # a bus target gets the event itself
        else:
            raise UnknownTarget(f"no service for {arn}")


class EventsCourier:
    def __init__(self, clock: Clock, directory: ServiceDirectory) -> None:
        self._clock = clock
        self._sender = TargetSender(directory)

    async def deliver(self, claim: Claim) -> Outcome:
        d = Delivery.of(claim)
        policy = RetryPolicy.of(d.target)
        event = json.loads(d.event)
        if expired(d.accepted_at, self._clock.now(), policy):
            last = _failure(d.last_error) or _AGED_OUT
            return _dead_letter(d, last, AGE_EXCEEDED, retries=max(0, d.attempts - 1))
        try:
            await self._sender.send(d.target, d.payload, event)
        except Exception as exc:
            failure = classify(exc)
            decision = decide(failure, d.attempts + 1, d.accepted_at, self._clock.now(), policy)
            if isinstance(decision, GiveUp):
                return _dead_letter(d, failure, decision.condition, retries=d.attempts)
            error = {"code": failure.code, "message": failure.message}
            return Retry(decision.at, json.dumps(error))
        return Settle()


def _dead_letter(d: Delivery, failure: Failure, condition: str | None, *, retries: int) -> Outcome:
    """Only events whose delivery failed come here; without a DLQ they are dropped."""
    dlq = (d.target.get("DeadLetterConfig") or {}).get("Arn")
    target_arn = d.target["Arn"]
    if not dlq:
        log.warning(
            "dropping event for %s (%s): %s %s",
            target_arn, d.rule_arn, failure.code, failure.message,
        )  # fmt: skip
        return Settle()
    attributes = _dlq_attributes(d, failure, condition, retries)
    return DeadLetter(dlq, d.event, json.dumps(attributes), f"event for {target_arn}")


def _failure(error: dict[str, str] | None) -> Failure | None:
    return Failure(error["code"], error["message"], retriable=True) if error else None


def _dlq_attributes(
    d: Delivery, failure: Failure, condition: str | None, retries: int
) -> MessageAttributes:
    def text(value: str) -> dict[str, str]:
        return {"DataType": "String", "StringValue": value}

    attributes = {
        "RULE_ARN": text(d.rule_arn),
        "TARGET_ARN": text(d.target["Arn"]),
        "ERROR_CODE": text(failure.code),
        "ERROR_MESSAGE": text(failure.message[:1024]),
        "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(retries)},
    }
    if condition is not None:
        attributes["EXHAUSTED_RETRY_CONDITION"] = text(condition)
    return attributes
