"""OutboxRunner: the one loop that sends what the outbox owes (a duework.ClaimLoop).

It claims due rows in batches, hands each to the courier registered for its kind, and
applies the couriers' outcomes (settle, retry, dead-letter) in one fenced transaction per
batch. Services register their kind's courier at construction: the courier sends a row
and applies its kind's retry policy, so SNS keeps its 23-day schedule, EventBridge its
RetryPolicy and destinations their backoff, while claiming, leasing, fencing, waking and
draining are done once, here.

A DeadLetter outcome turns the row into a row of kind DEAD_LETTER, sent by this module's
own courier once: a dead-letter queue that refuses it loses it, with a warning, as before
(SNS redrive and EventBridge DLQs are not retried by AWS either).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Sequence
from typing import Protocol

from lambdalite.clock import Clock
from lambdalite.duework import RETRY_AFTER_ERROR_S, ClaimLoop, DueLoop
from lambdalite.outbox.model import DEAD_LETTER, Claim, Outcome, Retry, Settle
from lambdalite.outbox.store import OutboxStore
from lambdalite.services.directory import ServiceDirectory

log = logging.getLogger(__name__)

BATCH = 64
LEASE_S = 300.0  # far longer than any send takes: a live claim does not run out


class Courier(Protocol):
    """Sends one kind of row and decides, by the kind's policy, what became of it."""

    async def deliver(self, claim: Claim) -> Outcome: ...


class Outbox(Protocol):
    """What a service needs of the runner: to register its kind, and to say rows were added."""

    def register(self, kind: str, courier: Courier) -> None: ...

    def wake(self) -> None: ...


class _Source:
    """The store as the ClaimLoop's DueSource: claims leased to this runner."""

    def __init__(self, store: OutboxStore, owner: str) -> None:
        self._store = store
        self._owner = owner

    async def claim_due(self, now: float, limit: int) -> Sequence[Claim]:
        return await self._store.claim(self._owner, now, now + LEASE_S, limit)

    async def next_due(self) -> float | None:
        return await self._store.next_due()


class OutboxRunner(ClaimLoop[Claim]):
    def __init__(
        self, clock: Clock, store: OutboxStore, directory: ServiceDirectory, *, batch: int = BATCH
    ) -> None:
        self.owner = uuid.uuid4().hex
        super().__init__("outbox", clock, _Source(store, self.owner), self._send, batch=batch)
        self.store = store
        self._couriers: dict[str, Courier] = {DEAD_LETTER: DeadLetters(directory)}

    def register(self, kind: str, courier: Courier) -> None:
        self._couriers[kind] = courier

    # component ---------------------------------------------------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return [self]

    async def start(self) -> None:
        await self.store.release_leases()  # single node: leases of a process now gone
        await super().start()

    # a batch -----------------------------------------------------------------------------

    async def _send(self, claims: Sequence[Claim]) -> None:
        if len(claims) == 1:
            outcomes = [await self._deliver(claims[0])]
        else:  # started in claim order: a kind's sends begin in due order
            outcomes = await asyncio.gather(*(self._deliver(c) for c in claims))
        applied = await self.store.apply(
            list(zip(claims, outcomes, strict=True)), self._clock.now()
        )
        for claim, done in zip(claims, applied, strict=True):
            if not done:
                log.info("outbox row %d was claimed again by another consumer", claim.id)

    async def _deliver(self, claim: Claim) -> Outcome:
        courier = self._couriers.get(claim.kind)
        at = self._clock.now() + RETRY_AFTER_ERROR_S
        if courier is None:
            log.warning("outbox row %d: nothing here sends %r rows", claim.id, claim.kind)
            return Retry(at, claim.last_error)
        try:
            return await courier.deliver(claim)
        except Exception:
            log.exception("outbox row %d (%s) failed unexpectedly; it stays", claim.id, claim.kind)
            return Retry(at, claim.last_error)


class DeadLetters:
    """The DEAD_LETTER kind: one attempt to the dead-letter queue, then gone either way."""

    def __init__(self, directory: ServiceDirectory) -> None:
        self._directory = directory

    async def deliver(self, claim: Claim) -> Outcome:
        attributes = json.loads(claim.attributes) if claim.attributes else None
        try:
            await self._directory.deliver(claim.target, claim.body, attributes=attributes)
        except Exception as exc:
            log.warning(
                "dropped %s: dead-letter queue %s refused it (%s: %s)",
                claim.ref, claim.target, type(exc).__name__, exc,
            )  # fmt: skip
        return Settle()
