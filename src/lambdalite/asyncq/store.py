"""AsyncEventStore: what the asynchronous path needs from storage, in its own terms.

Events, their leases, event invoke configs and the journeys `lambdalite events` shows. The
deliveries an event owes to destinations and dead-letter queues are rows of the one outbox
(outbox/), written by `finish_round` in the round's own commit. Every state change is one
transaction inside one method, so atomicity never depends on the caller. The writes a
caller waits for on the hot path (accept, a round's effects) return
an awaitable that completes once the write is committed: a backend may commit the writes
of one loop turn together (the SQLite one does, `store/sqlite/async_events.py`), and an
awaitable resolved inside that commit lets an eagerly driven accept answer in the same
turn (lambdalite/inline.py).

A consumer owns an event through a lease. A claimed lease expires and the event is then
claimed again (at-least-once). An event accepted straight into its consumer's lease is
held without expiry while its round runs; if that round fails unexpectedly the lease gets
an expiry (`hold_until`), and at start every lease left by an earlier process is released
(one server per data directory).
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from dataclasses import dataclass
from typing import Protocol

from lambdalite.asyncq.model import Effect, EventInvokeConfig, Journal, QueuedEvent


@dataclass(frozen=True, slots=True)
class EventSummary:
    """One event as `lambdalite events` lists it."""

    request_id: str
    function_name: str
    qualifier: str | None
    source: str
    accepted_at: float
    state: str  # queued | running (leased) | done
    attempts: int
    condition: str | None
    finished_at: float | None
    due_at: float


@dataclass(frozen=True, slots=True)
class PendingDelivery:
    role: str
    target_arn: str
    attempts: int
    due_at: float


@dataclass(frozen=True, slots=True)
class EventJourney:
    """One event with every line of its journey (in order) and what the outbox still owes."""

    event: EventSummary
    journal: list[tuple[float, Journal]]
    pending: list[PendingDelivery]


class AsyncEventStore(Protocol):
    # lifecycle ----------------------------------------------------------------------

    async def release_leases(self) -> None:
        """At start: every lease on events is left by a process now gone."""
        ...

    async def flush(self) -> None:
        """Commit the writes still waiting for a shared commit (at stop)."""
        ...

    # events -------------------------------------------------------------------------

    def accept(self, event: QueuedEvent, leased_to: str | None = None) -> Awaitable[int]:
        """Store a new event, due at once (its `id` is ignored); completes with its id once
        committed. With `leased_to` the event is born held by that consumer, without
        expiry: nobody can claim it while its round runs."""
        ...

    async def claim(
        self, owner: str, now: float, lease_until: float, limit: int
    ) -> list[QueuedEvent]:
        """Lease up to `limit` events, earliest due first: those due and unleased, and those
        whose lease ran out (a lease without expiry never runs out)."""
        ...

    async def next_wake(self) -> float | None:
        """When the next unleased event falls due or the next lease runs out."""
        ...

    def finish_round(
        self, event: QueuedEvent, effects: Sequence[Effect], now: float
    ) -> Awaitable[None]:
        """A round's effects, all in one commit: the event's new state (Reschedule or
        Complete, either of which ends the lease), its journal lines, its outbox rows
        (kind OUTBOX_KIND: ref the request id, meta [role, function ARN])."""
        ...

    def hold_until(self, event_id: int, until: float) -> Awaitable[None]:
        """A queued, leased event keeps its lease, now expiring at `until`."""
        ...

    async def depths(self, now: float) -> dict[tuple[str, str], int]:
        """Undone events by (function name, state): queued (due), scheduled_retry (due
        later) or in_flight (leased to a runner)."""
        ...

    async def prune(self, before: float) -> None:
        """Forget events (and journeys) that finished before `before`."""
        ...

    # journeys (lambdalite events) ---------------------------------------------------

    async def recent(self, function_name: str, limit: int) -> list[EventSummary]:
        """The function's newest events first."""
        ...

    async def journey(self, request_id: str) -> EventJourney | None: ...

    # event invoke configs -----------------------------------------------------------

    async def get_config(self, function_name: str, qualifier: str) -> EventInvokeConfig | None: ...
    async def put_config(self, config: EventInvokeConfig) -> None:
        """Insert or replace the config of its function and qualifier."""
        ...

    async def delete_config(self, function_name: str, qualifier: str) -> bool:
        """False when there was none."""
        ...

    async def list_configs(
        self, function_name: str, marker: str | None, limit: int
    ) -> tuple[list[EventInvokeConfig], str | None]:
        """Configs by qualifier after `marker`, and the marker of the next page (or None)."""
        ...
