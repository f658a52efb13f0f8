"""Deliverer: sends what the outbox owes to destinations and dead-letter queues.

Records are written to the outbox in the same transaction that finishes their event, then
sent from here through the ServiceDirectory. A target that cannot be reached (its service
is not running, the queue is gone) is retried with backoff (1 s doubling to 5 min) and
every failure is journaled and counted; only after MAX_DELIVERY_AGE_S does a record give
up, and that too is journaled and logged. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable

from lambdalite.asyncq.model import Journal
from lambdalite.asyncq.policy import throttle_delay
from lambdalite.asyncq.records import destination_kind, event_entry, oversize
from lambdalite.asyncq.store import AsyncEventStore, Delivery
from lambdalite.clock import Clock, wait_until
from lambdalite.services.directory import AsyncInvoker, ServiceDirectory

log = logging.getLogger(__name__)

MAX_DELIVERY_AGE_S = 21_600.0
LEASE_S = 300.0
MAX_IN_FLIGHT = 32


class DestinationUnavailable(LookupError):
    """No service here can take a record for this ARN."""


class Deliverer:
    def __init__(
        self,
        clock: Clock,
        store: AsyncEventStore,
        directory: ServiceDirectory,
        functions: AsyncInvoker,
    ) -> None:
        self._clock = clock
        self._store = store
        self._directory = directory
        self._functions = functions
        self._owner = uuid.uuid4().hex
        self._wake = asyncio.Event()
        self._in_flight: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._loop_task: asyncio.Task[None] | None = None
        self.delivered = 0
        self.failures = 0  # failed delivery attempts (each is journaled)

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        self._loop_task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._loop_task is not None:
            self._loop_task.cancel()
            await asyncio.gather(self._loop_task, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=5)
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            wake_at: float | None = None
            free = MAX_IN_FLIGHT - len(self._in_flight)
            if free > 0:
                now = self._clock.now()
                batch = await self._store.claim_deliveries(self._owner, now, now + LEASE_S, free)
                for d in batch:
                    if d.id not in self._in_flight:
                        self._in_flight.add(d.id)
                        task = loop.create_task(self._deliver(d))
                        self._tasks.add(task)
                        task.add_done_callback(self._tasks.discard)
                if len(batch) == free:
                    await asyncio.sleep(0)
                    continue
                wake_at = await self._store.next_delivery()
            if wake_at is None:
                await self._wake.wait()
            elif wake_at > self._clock.now():
                await wait_until(self._clock, self._wake, wake_at)
            else:
                await asyncio.sleep(0)

    async def _deliver(self, d: Delivery) -> None:
        try:
            await self._attempt(d)
        except Exception:
            log.exception("delivery %s of %s failed to record", d.id, d.request_id)
        finally:
            self._in_flight.discard(d.id)
            self._wake.set()

    async def _attempt(self, d: Delivery) -> None:
        """Send once and settle: delivered (or given up), or due again later."""
        excess = oversize(d.target_arn, d.body, json.loads(d.attributes) if d.attributes else None)
        if excess:  # permanent: retrying cannot help
            self.failures += 1
            detail = f"{d.role} {d.target_arn}: message is {excess} bytes over the limit; dropped"
            log.warning("request %s: %s", d.request_id, detail)
            now = self._clock.now()
            await self._store.delivered(d, now, Journal("delivery", "DeliveryFailed", detail))
            return
        try:
            message_id = await self._send(d)
        except Exception as exc:
            await self._failed(d, exc)
            return
        self.delivered += 1
        detail = f"{d.role} {d.target_arn} (message {message_id})"
        await self._store.delivered(d, self._clock.now(), Journal("delivery", "Delivered", detail))

    def _failed(self, d: Delivery, exc: Exception) -> Awaitable[None]:
        self.failures += 1
        now = self._clock.now()
        attempts = d.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        if now - d.created_at >= MAX_DELIVERY_AGE_S:
            detail = f"{d.role} {d.target_arn}: gave up after {attempts} attempts: {reason}"
            log.warning("request %s: %s", d.request_id, detail)
            return self._store.delivered(d, now, Journal("delivery", "DeliveryFailed", detail))
        delay = throttle_delay(d.attempts)
        detail = f"{d.role} {d.target_arn} attempt {attempts}: {reason}; next try in {delay} s"
        if d.attempts == 0:
            log.warning("request %s: %s", d.request_id, detail)
        return self._store.retry_delivery(
            d, now + delay, now, Journal("delivery", "DeliveryRetry", detail)
        )

    async def _send(self, d: Delivery) -> str:
        kind = destination_kind(d.target_arn)
        attributes = json.loads(d.attributes) if d.attributes else None
        directory = self._directory
        if kind == "lambda":
            source = f"lambda-destination:{d.function_arn}"
            return await self._functions.invoke_async(d.target_arn, d.body.encode(), source=source)
        if kind == "sqs" and directory.sqs is not None:
            return await directory.sqs.send_to_queue(d.target_arn, d.body, attributes=attributes)
        if kind == "sns" and directory.sns is not None:
            return await directory.sns.publish_to_topic(d.target_arn, d.body, attributes=attributes)
        if kind == "events" and directory.events is not None:
            entry = event_entry(d.body, d.target_arn, d.function_arn, d.role == "OnSuccess")
            return await directory.events.put_event(d.target_arn, entry)
        raise DestinationUnavailable(
            f"no {kind or 'known'} service is running in this lambdalite to take {d.target_arn}"
        )
