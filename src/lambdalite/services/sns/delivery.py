"""SNS's courier: how the outbox runner hands a publication to one subscriber.

Publish commits a publication with one outbox row per matched subscription, then wakes the
runner (outbox/runner.py), which claims due rows and calls `deliver`. A failed attempt is
retried on the platform clock by SNS's schedule (``retry.RetrySchedule``). A delivery is
never dropped silently: a target that is missing, or a directory entry that is not there
yet, is retried; once the schedule is spent the message goes to the subscription's
RedrivePolicy DLQ if it has one, and is dropped with a warning otherwise.
"""

from __future__ import annotations

import json
import logging

import httpx

from lambdalite.clock import Clock
from lambdalite.outbox.model import Claim, DeadLetter, Outcome, Retry, Settle
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.sns.envelope import (
    confirmation,
    lambda_event,
    notification,
    raw_attributes,
)
from lambdalite.services.sns.model import Delivery
from lambdalite.services.sns.retry import AWS_MANAGED, HTTP_DEFAULT, RetrySchedule

log = logging.getLogger(__name__)

SQS_RAW_ATTRIBUTE_LIMIT = 10  # SQS takes 10 message attributes; SNS discards the rest
HTTP_TIMEOUT_S = 15.0  # SNS waits up to 15 s for an HTTP/S endpoint to answer
_USER_AGENT = "Amazon Simple Notification Service Agent"


class Undeliverable(Exception):
    """A delivery that can never succeed (a client-side error); not retried."""


class TargetUnavailable(Exception):
    """The service that would receive a delivery is not served (yet)."""


class SnsCourier:
    def __init__(
        self,
        clock: Clock,
        directory: ServiceDirectory,
        base_url: str,
        schedule: RetrySchedule = AWS_MANAGED,
        http_schedule: RetrySchedule = HTTP_DEFAULT,
    ) -> None:
        self._clock = clock
        self._directory = directory
        self._base_url = base_url
        self._schedule = schedule
        self._http_schedule = http_schedule

    async def deliver(self, claim: Claim) -> Outcome:
        delivery = Delivery.of(claim)
        if await self._attempt(delivery):
            return Settle()
        http = delivery.subscription.protocol in ("http", "https")
        schedule = self._http_schedule if http else self._schedule
        delay = schedule.delay(delivery.attempts + 1)
        if delay is not None:
            return Retry(self._clock.now() + delay)
        return self._give_up(delivery)

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
        elif sub.protocol in ("http", "https"):
            await self._post(delivery)
        else:
            raise Undeliverable(f"protocol {sub.protocol} is not delivered")

    async def _post(self, delivery: Delivery) -> None:
        """POST to an HTTP/S endpoint as SNS does; any answer but 2xx is a failed attempt."""
        sub, pub = delivery.subscription, delivery.publication
        headers = {
            "x-amz-sns-message-type": pub.type,
            "x-amz-sns-message-id": pub.message_id,
            "x-amz-sns-topic-arn": pub.topic_arn,
            "x-amz-sns-subscription-arn": sub.arn,
            "content-type": "text/plain; charset=UTF-8",
            "user-agent": _USER_AGENT,
        }
        if pub.type != "Notification":
            body = _json(confirmation(pub, self._base_url))
        elif sub.raw:
            body = pub.message_for(sub.protocol)
            headers["x-amz-sns-rawdelivery"] = "true"
        else:
            body = _json(notification(pub, sub, self._base_url))
        async with httpx.AsyncClient(timeout=HTTP_TIMEOUT_S) as client:
            response = await client.post(sub.endpoint, content=body.encode(), headers=headers)
        if not 200 <= response.status_code < 300:
            raise RuntimeError(f"endpoint answered HTTP {response.status_code}")

    def _sqs_message(self, delivery: Delivery) -> tuple[str, dict[str, dict[str, object]]]:
        sub, pub = delivery.subscription, delivery.publication
        if not sub.raw:
            return _json(notification(pub, sub, self._base_url)), {}
        attributes = raw_attributes(pub)
        if len(attributes) > SQS_RAW_ATTRIBUTE_LIMIT:
            raise Undeliverable("more than 10 message attributes for raw delivery to SQS")
        return pub.message_for("sqs"), attributes

    def _give_up(self, delivery: Delivery) -> Outcome:
        sub = delivery.subscription
        dlq = sub.dead_letter_arn
        if dlq is None or delivery.publication.type != "Notification":
            log.warning(
                "SNS dropped message %s for %s after %d attempts",
                *_ids(delivery),
                delivery.attempts + 1,
            )
            return Settle()
        body = _json(notification(delivery.publication, sub, self._base_url))
        about = "SNS message {} for {}".format(*_ids(delivery))
        return DeadLetter(dlq, body, None, about)


def _json(doc: dict[str, object]) -> str:
    # SNS writes its notifications indented, with " : " between names and values.
    return json.dumps(doc, indent=2, separators=(",", " : "), ensure_ascii=False)


def _ids(delivery: Delivery) -> tuple[str, str]:
    return delivery.publication.message_id, delivery.subscription.arn
