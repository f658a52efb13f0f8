"""EventQueue: accepts Event invocations durably and runs them (spec 3.1-3.3).

accept -> one row in async_events, committed (group commit) before the caller sees 202.
When this consumer has a free slot and nothing older is waiting, the row is inserted
already leased to it and the event starts its first round as soon as the COMMIT is done:
no claim, no dispatcher turn. Otherwise the row waits unleased and the dispatcher (a
duework.ClaimLoop: the queue is its DueSource) claims due rows with an expiring lease, no
more than there are free slots, woken when rows wait for a slot, when one is rescheduled,
when the last round ends while a drain waits, and by the platform clock when the next one
falls due. Each round: admit, invoke through
the shared Invoker (same concurrency ledger and request id as every other attempt), decide
(policy.py), plan effects (effects.py) and write them in one transaction.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Sequence

from lambdalite.asyncq.configs import EventInvokeConfigs
from lambdalite.asyncq.delivery import Destinations
from lambdalite.asyncq.effects import Round, plan
from lambdalite.asyncq.model import Complete, Effect, Journal, Outbox, QueuedEvent, Reschedule
from lambdalite.asyncq.policy import DEFAULT_RETRY, Decision, Outcome, admit, decide
from lambdalite.asyncq.records import Response, parse_payload
from lambdalite.asyncq.store import AsyncEventStore
from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import ClaimLoop, DueLoop
from lambdalite.errors import AwsError, ResourceNotFoundException, TooManyRequestsException
from lambdalite.functions.store import FunctionStore
from lambdalite.invoke.invoker import Invoker, new_request_id
from lambdalite.invoke.resolve import Target, resolve_target
from lambdalite.model.arn import function_arn
from lambdalite.model.function import LATEST
from lambdalite.observe import trace
from lambdalite.observe.outcome import Trigger
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals
from lambdalite.outbox.runner import Outbox as SharedOutbox
from lambdalite.services.directory import ServiceDirectory

log = logging.getLogger(__name__)

LEASE_S = 960.0  # longer than the longest invocation (900 s): a live claim never expires
MAX_IN_FLIGHT = 64
CLAIM_BATCH = 64
RETENTION_S = 86_400.0  # finished events stay visible to `lambdalite events` for a day
PRUNE_EVERY = 2_000
# Complete's condition -> the reason label of AsyncEventsDropped.
_DROP_REASONS = {
    "RetriesExhausted": "retries_exhausted",
    "EventAgeExceeded": "max_age",
    "ZeroReservedConcurrency": "zero_concurrency",
    "Dropped": "gone",
}


class EventQueue:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        store: FunctionStore,
        events: AsyncEventStore,
        invoker: Invoker,
        directory: ServiceDirectory,
        outbox: SharedOutbox,
        *,
        max_in_flight: int = MAX_IN_FLIGHT,
    ) -> None:
        self._settings = settings
        self.clock = clock
        self._store = store
        self._invoker = invoker
        self.async_store = events
        self.configs = EventInvokeConfigs(store, events, settings.region, settings.account_id)
        self.destinations = Destinations(clock, directory, self, outbox)
        self._outbox = outbox
        self.max_in_flight = max_in_flight
        self._owner = uuid.uuid4().hex
        # The round of each event this consumer is running, by event id.
        self._running: dict[int, asyncio.Task[None]] = {}
        self._slots = 0  # events running or about to: accepts still committing count too
        # True while the store may hold due events nobody has claimed: new events then
        # queue behind them instead of taking a free slot directly.
        self._backlog = True
        self._dispatcher = ClaimLoop(
            "async-events",
            clock,
            self,
            self._start_claimed,
            batch=CLAIM_BATCH,
            room=self._free_slots,
            busy=self._busy,
        )
        self._finished = 0
        self.signals: MetricSignals = NO_SIGNALS  # the async metrics (observe/signals.py)

    # lifecycle -----------------------------------------------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return [self._dispatcher]

    async def start(self) -> None:
        await self.async_store.release_leases()
        await self._dispatcher.start()

    async def stop(self) -> None:
        await self._dispatcher.stop()
        rounds = list(self._running.values())
        if rounds:
            await asyncio.wait(rounds, timeout=self._settings.shutdown_grace_s)
        for task in rounds:
            task.cancel()
        await asyncio.gather(*rounds, return_exceptions=True)
        await self.async_store.flush()

    # accept --------------------------------------------------------------------------

    async def accept(
        self,
        target: Target,
        payload: bytes,
        *,
        request_id: str | None = None,
        source: str = "",
        trace_header: str | None = None,
    ) -> str:
        """Commit one event; returns its request id once it is durable. An event that came
        with no trace header gets one, as AWS's does (observe/trace.py)."""
        request_id = request_id or new_request_id()
        now = self.clock.now()
        if trace_header is None:
            trace_header = trace.for_invocation(None, target.config.tracing_mode, now)
        name, qualifier = target.record.name, target.qualifier
        event = QueuedEvent(
            id=0,
            request_id=request_id,
            function_name=name,
            qualifier=qualifier,
            payload=payload,
            source=source,
            enqueued_at=now,
            attempts=0,
            throttle_retries=0,
            last_response=None,
            trace_header=trace_header,
        )
        if self._backlog or self._slots >= self.max_in_flight:
            self._backlog = True
            await self.async_store.accept(event)
            self.signals.async_received(name)
            self._dispatcher.wake()
            return request_id
        self._slots += 1
        try:
            event.id = await self.async_store.accept(event, leased_to=self._owner)
        except BaseException:
            self._release_slot()
            raise
        self.signals.async_received(name)
        self._start(event, target)
        return request_id

    async def invoke_async(
        self, function: str, payload: bytes, *, source: str = "", trace_header: str | None = None
    ) -> str:
        """services.directory.AsyncInvoker: SNS, EventBridge and destinations call this."""
        s = self._settings
        target = await resolve_target(self._store, function, None, s.region, s.account_id)
        return await self.accept(target, payload, source=source, trace_header=trace_header)

    # dispatch (the ClaimLoop's source, room and runner) ------------------------------

    def _free_slots(self) -> int:
        """Room for claimed events. A pass is looking for due ones: until it has claimed
        them all (next_due), new events queue behind them instead of skipping ahead."""
        self._backlog = True
        return self.max_in_flight - self._slots

    def _busy(self) -> bool:
        return self._slots > 0

    async def claim_due(self, now: float, limit: int) -> Sequence[QueuedEvent]:
        return await self.async_store.claim(self._owner, now, now + LEASE_S, limit)

    async def next_due(self) -> float | None:
        """Asked once a claim found fewer due events than it had room for."""
        wake_at = await self.async_store.next_wake()
        if wake_at is None or wake_at > self.clock.now():
            self._backlog = False
        return wake_at

    async def _start_claimed(self, batch: Sequence[QueuedEvent]) -> None:
        for event in batch:
            if event.id not in self._running:  # a clock jump can outrun a lease
                self._slots += 1
                self._start(event, None)

    def _start(self, event: QueuedEvent, target: Target | None) -> None:
        """Run one round of an event this consumer holds a slot and a lease for."""
        # Forgotten by the round itself as it ends (no done-callback: one less loop handle).
        self._running[event.id] = asyncio.get_running_loop().create_task(self._run(event, target))

    async def _keep_for_later(self, event: QueuedEvent) -> None:
        """Left leased, now with an expiry: claimed again when it runs out (or released at
        the next start), so a failed round never loses its event."""
        until = self.clock.now() + LEASE_S
        try:
            await self.async_store.hold_until(event.id, until)
        except Exception:
            log.exception("async event %s: lease kept until the next start", event.request_id)
        self._dispatcher.wake()  # its next pass may now be due sooner

    def _release_slot(self) -> None:
        self._slots -= 1
        if self._backlog:
            self._dispatcher.wake()  # room for the events waiting
        elif not self._slots:
            self._dispatcher.work_ended()

    async def _run(self, event: QueuedEvent, target: Target | None) -> None:
        try:
            await self._round(event, target)
        except Exception:
            log.exception("async event %s: round failed", event.request_id)
            await self._keep_for_later(event)
        finally:
            self._running.pop(event.id, None)
            self._release_slot()

    async def _round(self, event: QueuedEvent, target: Target | None) -> None:
        """One attempt (or none) and its effects; `target` as resolved at accept, if just now."""
        s = self._settings
        try:
            if target is None:
                target = await resolve_target(
                    self._store, event.function_name, event.qualifier, s.region, s.account_id
                )
        except ResourceNotFoundException as exc:
            reason = f"the function or qualifier no longer exists ({exc.message})"
            await self._write(
                event,
                [Complete("Dropped", event.attempts), Journal("final", "Dropped", reason)],
                self.clock.now(),
            )
            return
        config = await self.configs.effective(
            event.function_name, event.qualifier or LATEST, target.record
        )
        retry = config.retry_config() if config else DEFAULT_RETRY
        outcome: Outcome | None = None
        response, error = event.last_response, ""
        progress = event.progress
        now = self.clock.now()
        decision: Decision | None = admit(progress, retry, target.record.reserved_concurrency, now)
        if decision is None:
            outcome, fresh, error = await self._attempt(target, event)
            response = fresh or response
            now = self.clock.now()
            decision = decide(outcome, progress, retry, now)
        version = response.executed_version if response else target.config.version
        r = Round(
            event=event,
            decision=decision,
            outcome=outcome,
            response=response,
            error=error,
            function_arn=function_arn(s.region, s.account_id, target.record.name, version),
            on_success=config.on_success if config else None,
            on_failure=config.on_failure if config else None,
            dead_letter_arn=target.config.dead_letter_target_arn,
            now=now,
        )
        await self._write(event, plan(r), now)

    async def _attempt(
        self, target: Target, event: QueuedEvent
    ) -> tuple[Outcome, Response | None, str]:
        # New environments follow the backlog by its age (sandbox/scaling.py): a first try
        # has waited since its accept; a retry's due time is not at hand, so it counts now.
        first_try = not (event.attempts or event.throttle_retries)
        now = self.clock.now()
        since = event.enqueued_at if first_try else now
        self.signals.async_attempt(event.function_name, (now - event.enqueued_at) * 1000.0)
        try:
            _, result = await self._invoker.invoke(
                target,
                event.payload,
                request_id=event.request_id,
                queued_since=since,
                trigger=Trigger.ASYNC,
                source_id=event.request_id,
                trace_id=trace.next_hop(event.trace_header) if event.trace_header else None,
            )
        except TooManyRequestsException as exc:
            return Outcome.THROTTLED, None, exc.reason
        except AwsError as exc:
            return Outcome.SYSTEM_ERROR, None, f"{exc.wire_code}: {exc.message}"
        except Exception as exc:
            log.warning("async event %s: %r", event.request_id, exc)
            return Outcome.SYSTEM_ERROR, None, f"{type(exc).__name__}: {exc}"
        response = Response(result.executed_version, result.function_error, result.payload)
        if not result.function_error:
            return Outcome.SUCCESS, response, ""
        return Outcome.FUNCTION_ERROR, response, _describe_error(result.payload)

    async def _write(self, event: QueuedEvent, effects: list[Effect], now: float) -> None:
        await self.async_store.finish_round(event, effects, now)
        for effect in effects:
            kind = type(effect)
            if kind is Outbox:
                self._outbox.wake()
            elif kind is Reschedule:
                self._dispatcher.wake()  # its next pass may now be due sooner
            elif kind is Complete:
                reason = _DROP_REASONS.get(effect.condition)  # type: ignore[union-attr]
                if reason is not None:
                    self.signals.async_dropped(event.function_name, reason)
                self._finished += 1
                if self._finished % PRUNE_EVERY == 0:
                    await self.async_store.prune(now - RETENTION_S)


def _describe_error(payload: bytes) -> str:
    doc = parse_payload(payload)
    if isinstance(doc, dict):
        kind, message = doc.get("errorType", ""), doc.get("errorMessage", "")
        return f"{kind}: {message}"[:500]
    return str(doc)[:500]
