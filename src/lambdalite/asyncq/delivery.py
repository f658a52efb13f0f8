"""Destinations: the courier that sends what an async event owes to its destinations and
dead-letter queue.

The records are outbox rows, written in the same transaction that finishes their event
(finish_round) and sent by the platform's outbox runner (outbox/runner.py), which calls
`deliver` here: through the ServiceDirectory, to a queue, topic, bus or function. A target
that cannot be reached (its service is not running, the queue is gone) is retried with
backoff (1 s doubling to 5 min) and every failure is journaled on the event and counted;
only after MAX_DELIVERY_AGE_S does a record give up, and that too is journaled and logged.
Nothing is dropped silently.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from lambdalite.asyncq.journey import journal_line
from lambdalite.asyncq.model import OUTBOX_KIND, Journal
from lambdalite.asyncq.policy import throttle_delay
from lambdalite.asyncq.records import destination_kind, event_entry, oversize
from lambdalite.clock import Clock
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals
from lambdalite.outbox.model import Claim, Outcome, Retry, Settle
from lambdalite.outbox.runner import Outbox
from lambdalite.services.directory import AsyncInvoker, ServiceDirectory

log = logging.getLogger(__name__)

MAX_DELIVERY_AGE_S = 21_600.0


class DestinationUnavailable(LookupError):
    """No service here can take a record for this ARN."""


@dataclass(frozen=True, slots=True)
class Delivery:
    """A record owed to a destination or dead-letter queue: an outbox row of kind
    OUTBOX_KIND (ref: the request id; meta: [role, function ARN(, trace header)])."""

    request_id: str
    role: str  # OnSuccess | OnFailure | DeadLetter
    target_arn: str
    body: str
    attributes: str | None  # JSON message attributes (dead-letter messages)
    function_arn: str
    created_at: float
    attempts: int
    trace_header: str | None = None

    @classmethod
    def of(cls, c: Claim) -> Delivery:
        role, function_arn, *traced = json.loads(c.meta or "[]")
        return cls(
            c.ref,
            role,
            c.target,
            c.body,
            c.attributes,
            function_arn,
            c.created_at,
            c.attempts,
            traced[0] if traced else None,
        )


class Destinations:
    def __init__(
        self, clock: Clock, directory: ServiceDirectory, functions: AsyncInvoker, outbox: Outbox
    ) -> None:
        self._clock = clock
        self._directory = directory
        self._functions = functions
        self.delivered = 0
        self.failures = 0  # failed delivery attempts (each is journaled)
        self.signals: MetricSignals = NO_SIGNALS  # DeadLetterErrors, DestinationDeliveryFailures
        outbox.register(OUTBOX_KIND, self)

    async def deliver(self, claim: Claim) -> Outcome:
        """Send once: delivered (or given up), or due again later; journaled either way."""
        d = Delivery.of(claim)
        excess = oversize(d.target_arn, d.body, json.loads(d.attributes) if d.attributes else None)
        if excess:  # permanent: retrying cannot help
            self._count_failure(d)
            detail = f"{d.role} {d.target_arn}: message is {excess} bytes over the limit; dropped"
            log.warning("request %s: %s", d.request_id, detail)
            return Settle(self._line("DeliveryFailed", detail))
        try:
            message_id = await self._send(d)
        except Exception as exc:
            return self._failed(d, exc)
        self.delivered += 1
        detail = f"{d.role} {d.target_arn} (message {message_id})"
        return Settle(self._line("Delivered", detail))

    def _line(self, outcome: str, detail: str) -> str:
        return journal_line(self._clock.now(), Journal("delivery", outcome, detail))

    def _count_failure(self, d: Delivery) -> None:
        self.failures += 1
        function = _function_name(d.function_arn)
        if d.role == "DeadLetter":
            self.signals.dead_letter_failed(function)
        else:
            self.signals.destination_failed(function)

    def _failed(self, d: Delivery, exc: Exception) -> Outcome:
        self._count_failure(d)
        now = self._clock.now()
        attempts = d.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        if now - d.created_at >= MAX_DELIVERY_AGE_S:
            detail = f"{d.role} {d.target_arn}: gave up after {attempts} attempts: {reason}"
            log.warning("request %s: %s", d.request_id, detail)
            return Settle(self._line("DeliveryFailed", detail))
        delay = throttle_delay(d.attempts)
        detail = f"{d.role} {d.target_arn} attempt {attempts}: {reason}; next try in {delay} s"
        if d.attempts == 0:
            log.warning("request %s: %s", d.request_id, detail)
        return Retry(now + delay, reason, self._line("DeliveryRetry", detail))

    async def _send(self, d: Delivery) -> str:
        kind = destination_kind(d.target_arn)
        attributes = json.loads(d.attributes) if d.attributes else None
        directory = self._directory
        if kind == "lambda":
            source = f"lambda-destination:{d.function_arn}"
            return await self._functions.invoke_async(
                d.target_arn, d.body.encode(), source=source, trace_header=d.trace_header
            )
        if kind == "sqs" and directory.sqs is not None:
            return await directory.sqs.send_to_queue(
                d.target_arn, d.body, attributes=attributes, trace_header=d.trace_header
            )
        if kind == "sns" and directory.sns is not None:
            return await directory.sns.publish_to_topic(d.target_arn, d.body, attributes=attributes)
        if kind == "events" and directory.events is not None:
            entry = event_entry(d.body, d.target_arn, d.function_arn, d.role == "OnSuccess")
            return await directory.events.put_event(d.target_arn, entry)
        raise DestinationUnavailable(
            f"no {kind or 'known'} service is running in this lambdalite to take {d.target_arn}"
        )


def _function_name(arn: str) -> str:
    parts = arn.split(":")
    return parts[6] if len(parts) > 6 else arn
