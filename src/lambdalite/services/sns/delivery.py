"""The background loop that hands committed publications to their subscribers.

Publish commits a publication with one delivery row per matched subscription, then wakes
this loop (an ``asyncio.Event``; no polling). The loop sends every due delivery through the
service directory, then in one transaction deletes what was delivered and reschedules what
failed on the platform clock (``retry.RetrySchedule``). A delivery is never dropped
silently: a target that is missing, or a directory entry that is not there yet, is retried;
once the schedule is spent the message goes to the subscription's RedrivePolicy DLQ if it
has one, and is dropped with a warning otherwise.
"""

from __future__ import annotations

import json
import logging

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.sns.envelope import lambda_event, notification, raw_attributes
from lambdalite.services.sns.model import Delivery
from lambdalite.services.sns.retry import AWS_MANAGED, RetrySchedule
from lambdalite.services.sns.store import SnsStore

log = logging.getLogger(__name__)

BATCH = 100
SQS_RAW_ATTRIBUTE_LIMIT = 10  # SQS takes 10 message attributes; SNS discards the rest


class Undeliverable(Exception):
    """A delivery that can never succeed (a client-side error); not retried."""


class TargetUnavailable(Exception):
    """The service that would receive a delivery is not served (yet)."""


class DeliveryLoop(DueLoop):
    name = "sns-delivery"

    def __init__(
        self,
        store: SnsStore,
        clock: Clock,
        directory: ServiceDirectory,
        base_url: str,
        schedule: RetrySchedule = AWS_MANAGED,
    ) -> None:
        super().__init__(clock)
        self._store = store
        self._directory = directory
        self._base_url = base_url
        self._schedule = schedule

    def notify(self) -> None:
        self.wake()

    async def run_due(self) -> float | None:
        await self.deliver_due()
        return await self._store.next_due()

    async def deliver_due(self) -> int:
        """Attempt every delivery that is due now; returns how many were attempted."""
        attempted = 0
        while True:
            batch = await self._store.due_deliveries(self._clock.now(), BATCH)
            if not batch:
                return attempted
            done: list[Delivery] = []
            retries: list[tuple[Delivery, float]] = []
            for delivery in batch:
                if await self._attempt(delivery):
                    done.append(delivery)
                    continue
                delay = self._schedule.delay(delivery.attempts + 1)
                if delay is None:
                    await self._give_up(delivery)
                    done.append(delivery)
                else:
                    retries.append((delivery, self._clock.now() + delay))
            await self._store.settle_deliveries(done, retries)
            attempted += len(batch)
            if retries and len(batch) < BATCH:
                return attempted  # retries due at once wait for the next pass

    async def _attempt(self, delivery: Delivery) -> bool:
        """True when the delivery is finished (delivered, or impossible and dropped)."""
        try:
            await self._send(delivery)
            return True
        except Undeliverable as exc:
            log.warning("SNS dropped message %s for %s: %s", *_ids(delivery), exc)
            return True
        except Exception as exc:
            log.info(
                "SNS delivery of %s to %s failed (attempt %d): %s",
                *_ids(delivery),
                delivery.attempts + 1,
                exc,
            )
            return False

    async def _send(self, delivery: Delivery) -> None:
        sub, pub = delivery.subscription, delivery.publication
        if sub.protocol == "sqs":
            sqs = self._directory.sqs
            if sqs is None:
                raise TargetUnavailable("SQS is not served")
            body, attributes = self._sqs_message(delivery)
            await sqs.send_to_queue(
                sub.endpoint,
                body,
                attributes=attributes or None,
                group_id=pub.group_id,
                deduplication_id=pub.deduplication_id,
            )
        elif sub.protocol == "lambda":
            invoker = self._directory.lambda_async
            if invoker is None:
                raise TargetUnavailable("asynchronous invocation is not served")
            payload = json.dumps(lambda_event(pub, sub, self._base_url)).encode()
            await invoker.invoke_async(sub.endpoint, payload, source="aws:sns")
        else:
            raise Undeliverable(f"protocol {sub.protocol} is not delivered")

    def _sqs_message(self, delivery: Delivery) -> tuple[str, dict[str, dict[str, object]]]:
        sub, pub = delivery.subscription, delivery.publication
        if not sub.raw:
            return _json(notification(pub, sub, self._base_url)), {}
        attributes = raw_attributes(pub)
        if len(attributes) > SQS_RAW_ATTRIBUTE_LIMIT:
            raise Undeliverable("more than 10 message attributes for raw delivery to SQS")
        return pub.message_for("sqs"), attributes

    async def _give_up(self, delivery: Delivery) -> None:
        sub = delivery.subscription
        dlq = sub.dead_letter_arn
        if dlq is None:
            log.warning(
                "SNS dropped message %s for %s after %d attempts",
                *_ids(delivery),
                delivery.attempts + 1,
            )
            return
        try:
            body = _json(notification(delivery.publication, sub, self._base_url))
            await self._directory.deliver(dlq, body)
        except Exception as exc:
            log.warning(
                "SNS dropped message %s for %s: dead-letter queue %s failed: %s",
                *_ids(delivery),
                dlq,
                exc,
            )


def _json(doc: dict[str, object]) -> str:
    # SNS writes its notifications indented, with " : " between names and values.
    return json.dumps(doc, indent=2, separators=(",", " : "), ensure_ascii=False)


def _ids(delivery: Delivery) -> tuple[str, str]:
    return delivery.publication.message_id, delivery.subscription.arn
