"""The delivery loop: takes committed deliveries when they are due and hands them to targets.

PutEvents and the scheduler commit deliveries and call `wake()`; the loop then claims due
rows (up to `concurrency` at a time), sends each through `TargetSender`, and afterwards
deletes the row (success, or given up) or moves its due time (retry). Waits are on the
platform clock, so retries follow a virtual clock in tests.

Claims live in memory: the SQLite store serves one process, and rows left by a crash are
simply due again after a restart (at-least-once, as AWS promises).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from lambdalite.clock import Clock, wait_until
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
from lambdalite.services.events.store import EventsStore

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


class DeliveryLoop:
    def __init__(
        self,
        store: EventsStore,
        clock: Clock,
        directory: ServiceDirectory,
        *,
        concurrency: int = 64,
    ) -> None:
        self._store = store
        self._clock = clock
        self._directory = directory
        self._sender = TargetSender(directory)
        self._limit = concurrency
        self._busy: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._loop_task = asyncio.create_task(self._run(), name="events-delivery")

    async def stop(self) -> None:
        tasks = [t for t in (self._loop_task, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._loop_task = None

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            free = self._limit - len(self._busy)
            if free > 0:
                due = await self._store.due_deliveries(self._clock.now(), free, self._busy)
                for delivery in due:
                    self._spawn(delivery)
            if len(self._busy) >= self._limit:
                await self._wake.wait()  # a finishing delivery frees a slot and wakes us
                continue
            next_at = await self._store.next_due(self._busy)
            if next_at is None:
                await self._wake.wait()
            else:
                await wait_until(self._clock, self._wake, next_at)

    def _spawn(self, delivery: Delivery) -> None:
        self._busy.add(delivery.id)
        task = asyncio.create_task(self._deliver(delivery))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _deliver(self, d: Delivery) -> None:
        try:
            await self._attempt(d)
        except Exception:
            log.exception("event delivery %s failed unexpectedly; it stays queued", d.id)
        finally:
            self._busy.discard(d.id)
            self._wake.set()

    async def _attempt(self, d: Delivery) -> None:
        policy = RetryPolicy.of(d.target)
        event = json.loads(d.event)
        if expired(d.accepted_at, self._clock.now(), policy):
            last = _failure(d.last_error) or _AGED_OUT
            await self._dead_letter(d, last, AGE_EXCEEDED, retries=max(0, d.attempts - 1))
            await self._store.settle_delivery(d.id)
            return
        try:
            await self._sender.send(d.target, d.payload, event)
        except Exception as exc:
            failure = classify(exc)
            decision = decide(failure, d.attempts + 1, d.accepted_at, self._clock.now(), policy)
            if isinstance(decision, GiveUp):
                await self._dead_letter(d, failure, decision.condition, retries=d.attempts)
                await self._store.settle_delivery(d.id)
            else:
                error = {"code": failure.code, "message": failure.message}
                await self._store.reschedule_delivery(d.id, d.attempts + 1, decision.at, error)
            return
        await self._store.settle_delivery(d.id)

    async def _dead_letter(
        self, d: Delivery, failure: Failure, condition: str | None, *, retries: int
    ) -> None:
        """Only events whose delivery failed come here; without a DLQ they are dropped."""
        dlq = (d.target.get("DeadLetterConfig") or {}).get("Arn")
        target_arn = d.target["Arn"]
        if not dlq:
            log.warning(
                "dropping event for %s (%s): %s %s",
                target_arn, d.rule_arn, failure.code, failure.message,
            )  # fmt: skip
            return
        attributes = _dlq_attributes(d, failure, condition, retries)
        try:
            if self._directory.sqs is None:
                raise UnknownTarget("SQS is not served")
            await self._directory.sqs.send_to_queue(dlq, d.event, attributes=attributes)
        except Exception as exc:
            log.warning(
                "dropping event for %s: dead-letter queue %s refused it (%s)",
                target_arn, dlq, classify(exc).message,
            )  # fmt: skip


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
