"""A mapping's destination records (a stream's on-failure record, the on-success records of
both pollers) as rows of the one outbox, of kind OUTBOX_KIND, and their courier.

A record is never sent from the poller itself: a stream's row is written in the same
transaction as the checkpoint that moves past its batch (EventSourceMappingStore
.set_checkpoint), so a crash keeps both or neither; an SQS on-success row is written
before its batch is deleted (a crash between gives a duplicate record, never a lost one).
The courier sends a row through the ServiceDirectory and, like async destinations, retries
a destination that cannot take it (missing queue, service not running) 1 s doubling to
5 min for up to MAX_DELIVERY_AGE_S, then logs and drops it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from lambdalite.asyncq.policy import throttle_delay
from lambdalite.clock import Clock
from lambdalite.esm.event_counts import ON_FAILURE_DELIVERED
from lambdalite.esm.store import EventSourceMappingStore
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals
from lambdalite.outbox.model import Claim, Entry, Outcome, Retry, Settle
from lambdalite.outbox.runner import Outbox
from lambdalite.outbox.store import OutboxStore
from lambdalite.services.directory import ServiceDirectory

log = logging.getLogger(__name__)

OUTBOX_KIND = "esm"
MAX_DELIVERY_AGE_S = 21_600.0  # six hours, as async destinations


class MappingDestinations:
    """Writes a mapping's records into the outbox and sends them (the OUTBOX_KIND courier)."""

    def __init__(
        self, clock: Clock, directory: ServiceDirectory, store: OutboxStore, outbox: Outbox
    ) -> None:
        self._clock = clock
        self._directory = directory
        self._store = store
        self._outbox = outbox
        self.delivered = 0
        self.failures = 0
        # OnFailureDestinationDeliveredEventCount: the mapping tells its function and
        # whether it publishes (both may have changed since the record was written).
        self.mappings: EventSourceMappingStore | None = None
        self.signals: MetricSignals = NO_SIGNALS
        outbox.register(OUTBOX_KIND, self)

    def entry(self, mapping_uuid: str, destination: str, doc: dict[str, Any]) -> Entry:
        """A row for `doc`, for the caller to write in its own transaction."""
        now = self._clock.now()
        body = json.dumps(doc)
        return Entry(
            kind=OUTBOX_KIND, ref=mapping_uuid, target=destination, body=body,
            created_at=now, due_at=now,
        )  # fmt: skip

    async def add(self, entries: Sequence[Entry]) -> None:
        """Write rows in a transaction of their own, and have them sent."""
        await self._store.add(entries)
        self.wake()

    def wake(self) -> None:
        self._outbox.wake()

    async def deliver(self, claim: Claim) -> Outcome:
        try:
            await self._directory.deliver(claim.target, claim.body)
        except Exception as exc:
            return self._failed(claim, exc)
        self.delivered += 1
        await self._count_delivered(claim)
        return Settle()

    async def _count_delivered(self, claim: Claim) -> None:
        if self.mappings is None:
            return
        doc = json.loads(claim.body)
        if doc.get("requestContext", {}).get("condition") == "Success":
            return  # an on-success record (extensions): not an on-failure delivery
        infos = [v for k, v in doc.items() if k.endswith("BatchInfo") and isinstance(v, dict)]
        count = int(infos[0].get("batchSize", 0)) if infos else 0
        mapping = await self.mappings.get_mapping(claim.ref)
        if mapping is not None and count:
            emit = mapping.config.event_counts
            self.signals.mapping_events(
                mapping.uuid, mapping.function_name, ON_FAILURE_DELIVERED, count, emit
            )

    def _failed(self, claim: Claim, exc: Exception) -> Outcome:
        self.failures += 1
        now = self._clock.now()
        attempts = claim.attempts + 1
        reason = f"{type(exc).__name__}: {exc}"
        where = f"mapping {claim.ref}: record to {claim.target}"
        if now - claim.created_at >= MAX_DELIVERY_AGE_S:
            log.warning("%s dropped after %d attempts: %s", where, attempts, reason)
            return Settle()
        delay = throttle_delay(claim.attempts)
        if claim.attempts == 0:
            log.warning("%s failed (%s); retrying in %d s", where, reason, delay)
        return Retry(now + delay, reason)
