"""AsyncEventStore's contract, run against every backend: what EventQueue relies on, and how
its destination records sit in the one outbox (asyncq/delivery.py sends them).

Only the interface is used here (no SQL): a restart is a second `opened(...)` over the same
directory followed by `release_leases()`, as a starting server does.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import cast

import pytest

from lambdalite.asyncq.delivery import Delivery
from lambdalite.asyncq.journey import journal_line
from lambdalite.asyncq.model import (
    OUTBOX_KIND,
    Complete,
    Effect,
    EventInvokeConfig,
    Journal,
    Outbox,
    QueuedEvent,
    Reschedule,
)
from lambdalite.asyncq.records import Response
from lambdalite.asyncq.store import AsyncEventStore
from lambdalite.errors import StorageError
from lambdalite.outbox.store import OutboxStore
from tests.contract.backends import opened

T0 = 1_000.0
LEASE = 960.0
QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:q"
FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST"

Scenario = Callable[[AsyncEventStore], Awaitable[None]]


def _run(kind: str, directory: Path, *scenarios: Scenario) -> None:
    """Each scenario on a freshly started server over the same directory (a restart apart)."""

    async def main() -> None:
        for scenario in scenarios:
            async with opened(kind, directory) as backend:
                store: AsyncEventStore = backend.async_events
                await store.release_leases()
                await scenario(store)

    asyncio.run(main())


OwedScenario = Callable[[AsyncEventStore, OutboxStore], Awaitable[None]]


def _run_owed(kind: str, directory: Path, *scenarios: OwedScenario) -> None:
    """As `_run`, with the outbox the event's deliveries are written to."""

    async def main() -> None:
        for scenario in scenarios:
            async with opened(kind, directory) as backend:
                await backend.async_events.release_leases()
                await backend.outbox.release_leases()
                await scenario(backend.async_events, backend.outbox)

    asyncio.run(main())


def _new(request_id: str, at: float = T0, name: str = "fn", payload: bytes = b"{}") -> QueuedEvent:
    return QueuedEvent(
        id=0,
        request_id=request_id,
        function_name=name,
        qualifier=None,
        payload=payload,
        source="test",
        enqueued_at=at,
        attempts=0,
        throttle_retries=0,
        last_response=None,
    )


async def _accept(store: AsyncEventStore, n: int, at: float = T0) -> list[int]:
    return [await store.accept(_new(f"r{i}", at + i)) for i in range(n)]


def test_an_accepted_event_survives_a_restart_as_it_was_given(
    tmp_path: Path, backend_kind: str
) -> None:
    ids: list[int] = []

    async def accept(store: AsyncEventStore) -> None:
        ids.append(await store.accept(_new("r0", payload=b'{"x": 1}')))

    async def after_restart(store: AsyncEventStore) -> None:
        (event,) = await store.claim("a", T0, T0 + LEASE, 10)
        assert event.id == ids[0]
        assert (event.request_id, event.function_name, event.qualifier) == ("r0", "fn", None)
        assert (event.payload, event.source, event.enqueued_at) == (b'{"x": 1}', "test", T0)
        assert (event.attempts, event.throttle_retries, event.last_response) == (0, 0, None)

    _run(backend_kind, tmp_path, accept, after_restart)


def test_concurrent_accepts_get_distinct_ids(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        ids = await asyncio.gather(*(store.accept(_new(f"r{i}")) for i in range(20)))
        assert len(set(ids)) == 20
        claimed = await store.claim("a", T0, T0 + LEASE, 50)
        assert {e.id: e.request_id for e in claimed} == {i: f"r{n}" for n, i in enumerate(ids)}

    _run(backend_kind, tmp_path, scenario)


def test_two_claimers_never_get_the_same_event(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        await _accept(store, 10)
        now = T0 + 100
        first, second, third = await asyncio.gather(
            store.claim("a", now, now + LEASE, 4),
            store.claim("b", now, now + LEASE, 4),
            store.claim("c", now, now + LEASE, 4),
        )
        ids = [e.id for e in (*first, *second, *third)]
        assert len(ids) == len(set(ids)) == 10
        assert await store.claim("d", now, now + LEASE, 10) == []

    _run(backend_kind, tmp_path, scenario)


def test_only_due_events_are_claimed_earliest_first(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        await _accept(store, 3, at=T0)  # due at T0, T0+1, T0+2
        assert await store.next_wake() == T0
        claimed = await store.claim("a", T0 + 1, T0 + LEASE, 10)
        assert [e.request_id for e in claimed] == ["r0", "r1"]
        assert await store.next_wake() == T0 + 2

    _run(backend_kind, tmp_path, scenario)


def test_an_expired_lease_is_claimed_again_with_the_same_request_id(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        await _accept(store, 1)
        (first,) = await store.claim("a", T0, T0 + 100, 10)
        assert await store.claim("b", T0 + 99, T0 + 199, 10) == []  # still held
        assert await store.next_wake() == T0 + 100  # when the lease runs out
        (again,) = await store.claim("b", T0 + 100, T0 + 200, 10)
        assert (again.id, again.request_id) == (first.id, first.request_id)

    _run(backend_kind, tmp_path, scenario)


def test_a_born_held_event_waits_for_its_round_and_is_released_at_restart(
    tmp_path: Path, backend_kind: str
) -> None:
    async def held(store: AsyncEventStore) -> None:
        await store.accept(_new("mine"), leased_to="a")
        await store.accept(_new("other", T0 + 1))
        far = T0 + 10**6  # a held lease has no expiry: never claimable while its round runs
        assert [e.request_id for e in await store.claim("b", far, far + LEASE, 10)] == ["other"]
        assert await store.claim("b", far, far + LEASE, 10) == []

    async def after_restart(store: AsyncEventStore) -> None:
        claimed = await store.claim("new", T0, T0 + LEASE, 10)
        assert [e.request_id for e in claimed] == ["mine"]

    _run(backend_kind, tmp_path, held, after_restart)


def test_a_held_lease_given_an_expiry_is_claimed_again_after_it(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        mine = await store.accept(_new("mine"), leased_to="a")
        await store.hold_until(mine, T0 + 500)
        assert await store.next_wake() == T0 + 500
        assert await store.claim("b", T0 + 499, T0 + 999, 10) == []
        (back,) = await store.claim("b", T0 + 500, T0 + 999, 10)
        assert (back.id, back.request_id) == (mine, "mine")

    _run(backend_kind, tmp_path, scenario)


def test_finishing_a_round_commits_outcome_journal_and_outbox_together(
    tmp_path: Path, backend_kind: str
) -> None:
    async def finish(store: AsyncEventStore, outbox: OutboxStore) -> None:
        event = _new("r0")
        event.id = await store.accept(event, leased_to="a")
        effects: list[Effect] = [
            Journal("attempt", "FunctionError", "ValueError: boom"),
            Outbox("OnFailure", QUEUE_ARN, '{"record": 1}', None, FUNCTION_ARN),
            Complete("RetriesExhausted", 3),
            Journal("final", "RetriesExhausted", f"OnFailure {QUEUE_ARN}"),
        ]
        await store.finish_round(event, effects, T0 + 5)

    async def after_restart(store: AsyncEventStore, outbox: OutboxStore) -> None:
        journey = await store.journey("r0")
        assert journey is not None
        assert (journey.event.state, journey.event.condition) == ("done", "RetriesExhausted")
        assert (journey.event.attempts, journey.event.finished_at) == (3, T0 + 5)
        assert journey.journal == [
            (T0 + 5, Journal("attempt", "FunctionError", "ValueError: boom")),
            (T0 + 5, Journal("final", "RetriesExhausted", f"OnFailure {QUEUE_ARN}")),
        ]
        assert [(p.role, p.target_arn, p.attempts) for p in journey.pending] == [
            ("OnFailure", QUEUE_ARN, 0)
        ]
        (claim,) = await outbox.claim("d", T0 + 5, T0 + 65, 10)
        delivery = Delivery.of(claim)
        assert (claim.kind, delivery.request_id, delivery.body) == (
            OUTBOX_KIND,
            "r0",
            '{"record": 1}',
        )
        assert (delivery.role, delivery.target_arn) == ("OnFailure", QUEUE_ARN)
        assert (delivery.function_arn, delivery.created_at) == (FUNCTION_ARN, T0 + 5)
        # Completed: never claimed again, however late.
        assert await store.claim("b", T0 + 10**6, T0 + 10**6 + LEASE, 10) == []
        assert await store.next_wake() is None

    _run_owed(backend_kind, tmp_path, finish, after_restart)


def test_a_failing_round_writes_neither_its_outcome_nor_its_outbox_row(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore, outbox: OutboxStore) -> None:
        event = _new("r0")
        event.id = await store.accept(event, leased_to="a")
        # A record without a body: the backend refuses the row, so the round's UPDATE goes too.
        bad = Outbox("OnFailure", QUEUE_ARN, cast(str, None), None, FUNCTION_ARN)
        effects: list[Effect] = [bad, Complete("RetriesExhausted", 3)]
        with pytest.raises(StorageError):
            await store.finish_round(event, effects, T0 + 5)
        assert await outbox.pending() == 0
        journey = await store.journey("r0")
        assert journey is not None and journey.event.state == "running"

    _run_owed(backend_kind, tmp_path, scenario)


def test_a_rescheduled_event_is_due_at_its_new_time_and_not_before(
    tmp_path: Path, backend_kind: str
) -> None:
    response = Response("1", "Unhandled", b'{"errorType": "ValueError"}')

    async def reschedule(store: AsyncEventStore) -> None:
        await _accept(store, 1)
        (event,) = await store.claim("a", T0, T0 + LEASE, 10)
        effects: list[Effect] = [
            Journal("attempt", "FunctionError", "x"),
            Reschedule(T0 + 60, 1, 2, response),
            Journal("retry", "Scheduled", "next attempt in 60 s"),
        ]
        await store.finish_round(event, effects, T0 + 1)
        assert await store.next_wake() == T0 + 60  # the round's lease ended with it
        assert await store.claim("b", T0 + 59, T0 + 59 + LEASE, 10) == []

    async def after_restart(store: AsyncEventStore) -> None:
        assert await store.claim("b", T0 + 59, T0 + 59 + LEASE, 10) == []
        (back,) = await store.claim("b", T0 + 60, T0 + 60 + LEASE, 10)
        assert (back.request_id, back.attempts, back.throttle_retries) == ("r0", 1, 2)
        assert back.last_response == response
        assert back.payload == b"{}"
        journey = await store.journey("r0")
        assert journey is not None
        assert [j.outcome for _, j in journey.journal] == ["FunctionError", "Scheduled"]

    _run(backend_kind, tmp_path, reschedule, after_restart)


def test_a_delivery_settled_or_retried_leaves_its_line_on_the_journey(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore, outbox: OutboxStore) -> None:
        for i in range(2):
            event = _new(f"r{i}")
            event.id = await store.accept(event)
            owed = Outbox("DeadLetter", QUEUE_ARN, f"body {i}", '{"a": 1}', FUNCTION_ARN)
            await store.finish_round(event, [owed, Complete("RetriesExhausted", 3)], T0)
        sent, failed = await outbox.claim("d1", T0, T0 + 300, 10)
        assert (failed.attributes, failed.attempts) == ('{"a": 1}', 0)
        delivered = journal_line(T0 + 1, Journal("delivery", "Delivered", "message m"))
        assert await outbox.settle(sent, delivered)
        retry = journal_line(T0 + 2, Journal("delivery", "DeliveryRetry"))
        assert await outbox.retry(failed, T0 + 30, "boom", retry)
        # A consumer whose claim was overtaken writes nothing, journey line included.
        assert not await outbox.settle(sent, delivered)
        journey = await store.journey("r1")
        assert journey is not None
        assert [(p.role, p.attempts, p.due_at) for p in journey.pending] == [
            ("DeadLetter", 1, T0 + 30)
        ]
        for request_id, outcome in (("r0", "Delivered"), ("r1", "DeliveryRetry")):
            journey = await store.journey(request_id)
            assert journey is not None
            assert [j.outcome for _, j in journey.journal].count(outcome) == 1

    _run_owed(backend_kind, tmp_path, scenario)


def test_configs_put_get_list_and_delete(tmp_path: Path, backend_kind: str) -> None:
    latest = EventInvokeConfig(
        function_name="fn", qualifier="$LATEST", maximum_retry_attempts=1, last_modified=T0
    )
    alias = EventInvokeConfig(
        function_name="fn", qualifier="live", on_failure=QUEUE_ARN, last_modified=T0
    )

    async def put(store: AsyncEventStore) -> None:
        assert await store.get_config("fn", "$LATEST") is None
        await store.put_config(latest)
        await store.put_config(alias)
        await store.put_config(EventInvokeConfig(function_name="other", qualifier="$LATEST"))

    async def after_restart(store: AsyncEventStore) -> None:
        assert await store.get_config("fn", "$LATEST") == latest
        assert await store.list_configs("fn", None, 10) == ([latest, alias], None)
        assert await store.list_configs("fn", None, 1) == ([latest], "$LATEST")
        assert await store.list_configs("fn", "$LATEST", 1) == ([alias], None)
        replaced = EventInvokeConfig(function_name="fn", qualifier="live", last_modified=T0 + 1)
        await store.put_config(replaced)
        assert await store.get_config("fn", "live") == replaced
        assert await store.delete_config("fn", "live") is True
        assert await store.delete_config("fn", "live") is False
        assert await store.get_config("fn", "live") is None
        assert await store.list_configs("fn", None, 10) == ([latest], None)

    _run(backend_kind, tmp_path, put, after_restart)


def test_recent_lists_a_function_newest_first_with_its_state(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        for i in range(6):
            await store.accept(_new(f"r{i}", T0 + i, "fn" if i % 2 == 0 else "other"))
        (claimed,) = await store.claim("a", T0, T0 + LEASE, 1)  # r0: running
        await store.finish_round(claimed, [Complete("Success", 1)], T0 + 9)
        await store.claim("a", T0 + 2, T0 + LEASE, 1)  # r1 ("other"), then r2: running
        await store.claim("a", T0 + 2, T0 + LEASE, 1)
        listed = await store.recent("fn", 10)
        assert [(e.request_id, e.state) for e in listed] == [
            ("r4", "queued"),
            ("r2", "running"),
            ("r0", "done"),
        ]
        assert listed[2].condition == "Success" and listed[2].finished_at == T0 + 9
        assert [e.request_id for e in await store.recent("fn", 2)] == ["r4", "r2"]
        assert await store.recent("nobody", 10) == []

    _run(backend_kind, tmp_path, scenario)


def test_prune_drops_only_events_finished_before_the_cutoff(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: AsyncEventStore) -> None:
        ids = await _accept(store, 4)  # r0..r3 accepted at T0 .. T0+3
        for rid, at in (("r0", T0 + 5), ("r1", T0 + 50)):
            event = _new(rid)
            event.id = ids[int(rid[1])]
            await store.finish_round(event, [Complete("Success", 1)], at)
        await store.prune(T0 + 10)
        assert await store.journey("r0") is None  # finished before the cutoff
        for kept in ("r1", "r2", "r3"):  # finished after it, or still queued
            assert await store.journey(kept) is not None
        await store.prune(T0 + 100)
        assert await store.journey("r1") is None
        assert [e.request_id for e in await store.recent("fn", 10)] == ["r3", "r2"]

    _run(backend_kind, tmp_path, scenario)
