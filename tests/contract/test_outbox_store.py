"""The OutboxStore contract, run against every backend: what the outbox runner relies on
(claims, leases, fencing, retries, settling) and what the owners rely on (their rows are
written with their own transaction, and survive a restart)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from lambdalite.asyncq.model import Complete, Outbox, QueuedEvent
from lambdalite.outbox.model import DEAD_LETTER, DeadLetter, Entry, Retry, Settle
from lambdalite.outbox.store import OutboxStore
from lambdalite.services.sns.model import OUTBOX_KIND as SNS_KIND
from lambdalite.services.sns.model import Publication, Subscription
from tests.contract.backends import opened

T0 = 1_000.0
LEASE = 300.0
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"

Scenario = Callable[[Any], Awaitable[Any]]


def run(kind: str, directory: Path, *scenarios: Scenario) -> list[Any]:
    """Each scenario on a freshly opened backend over the same directory (a restart apart)."""

    async def main() -> list[Any]:
        results = []
        for scenario in scenarios:
            async with opened(kind, directory) as backend:
                results.append(await scenario(backend))
        return results

    return asyncio.run(main())


def entry(n: int, due: float = T0, kind: str = "test", group: str | None = None) -> Entry:
    return Entry(
        kind=kind,
        ref=f"ref-{n}",
        target=QUEUE,
        body=f"body {n}",
        attributes='{"a": 1}' if n == 1 else None,
        meta=f'{{"n": {n}}}',
        group=group,
        created_at=T0 - 1,
        due_at=due,
    )


def test_rows_come_back_whole_and_due_in_order(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1, T0 + 30), entry(2, T0 + 10)])
        await outbox.add([entry(3, T0 + 20)])
        assert await outbox.pending() == 3 and await outbox.pending("test") == 3
        assert await outbox.pending("other") == 0
        assert await outbox.next_due() == T0 + 10
        assert await outbox.claim("a", T0 + 9, T0 + 9 + LEASE, 10) == []
        two = await outbox.claim("a", T0 + 30, T0 + 30 + LEASE, 2)
        assert [c.body for c in two] == ["body 2", "body 3"]
        [one] = await outbox.claim("a", T0 + 30, T0 + 30 + LEASE, 10)
        assert (one.kind, one.ref, one.target, one.body) == ("test", "ref-1", QUEUE, "body 1")
        assert (one.attributes, one.meta, one.created_at) == ('{"a": 1}', '{"n": 1}', T0 - 1)
        assert (one.attempts, one.last_error) == (0, None)

    run(backend_kind, tmp_path, scenario)


def test_a_claim_is_never_given_to_two_consumers(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(n) for n in range(10)])
        a = await outbox.claim("a", T0, T0 + LEASE, 4)
        b = await outbox.claim("b", T0, T0 + LEASE, 100)
        assert len(a) == 4 and len(b) == 6
        assert not {c.id for c in a} & {c.id for c in b}
        assert await outbox.claim("c", T0 + LEASE - 1, T0 + 2 * LEASE, 100) == []
        assert await outbox.next_due() == T0 + LEASE  # the leases running out

    run(backend_kind, tmp_path, scenario)


def test_an_expired_lease_is_claimed_again_and_fences_out_its_first_owner(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1), entry(2)])
        first, other = await outbox.claim("a", T0, T0 + LEASE, 10)
        again, other_again = await outbox.claim("b", T0 + LEASE, T0 + 2 * LEASE, 10)
        assert (again.id, again.body) == (first.id, first.body)
        assert again.token != first.token
        # The first owner's lease ran out: whatever it does now is refused and changes nothing.
        assert await outbox.settle(first) is False
        assert await outbox.retry(other, T0 + 5000, "late") is False
        letter = DeadLetter(QUEUE, "dead", None, "late")
        assert await outbox.dead_letter(first, letter, T0 + LEASE) is False
        assert await outbox.pending() == 2
        # ... and the row stays with its new owner, who settles it once.
        assert await outbox.claim("c", T0 + LEASE, T0 + 2 * LEASE, 10) == []
        assert await outbox.retry(other_again, T0 + 400, "boom") is True
        assert await outbox.settle(again) is True
        assert await outbox.settle(again) is False
        assert await outbox.pending() == 1
        [moved] = await outbox.claim("c", T0 + 400, T0 + 400 + LEASE, 10)
        assert (moved.id, moved.attempts, moved.last_error) == (other.id, 1, "boom")

    run(backend_kind, tmp_path, scenario)


def test_a_batch_applies_each_outcome_fenced(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1), entry(2), entry(3)])
        a, b, c = await outbox.claim("a", T0, T0 + 1, 10)
        [b_again] = await outbox.claim("b", T0 + 1, T0 + LEASE, 1)  # a's lease ran out
        assert b_again.id == a.id  # earliest due, lowest id first
        outcomes = [(a, Settle()), (b, Retry(T0 + 60, "e")), (c, Settle())]
        assert await outbox.apply(outcomes, T0 + 1) == [False, True, True]
        assert await outbox.pending() == 2

    run(backend_kind, tmp_path, scenario)


def test_a_retry_moves_the_due_time_and_counts_the_attempt(
    backend_kind: str, tmp_path: Path
) -> None:
    async def before(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1), entry(2)])
        first, second = await outbox.claim("a", T0, T0 + LEASE, 10)
        assert await outbox.retry(first, T0 + 50, "first failure")
        assert await outbox.next_due() == T0 + 50  # not `second`'s lease: it is earlier
        assert await outbox.settle(second)
        assert await outbox.next_due() == T0 + 50
        assert await outbox.claim("b", T0 + 49, T0 + 49 + LEASE, 10) == []

    async def after_restart(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        [moved] = await outbox.claim("b", T0 + 50, T0 + 50 + LEASE, 10)
        assert (moved.body, moved.attempts, moved.last_error) == ("body 1", 1, "first failure")
        assert moved.created_at == T0 - 1  # an age limit still counts from the first write
        assert await outbox.retry(moved, T0 + 60, "second failure")
        [again] = await outbox.claim("b", T0 + 60, T0 + 60 + LEASE, 10)
        assert (again.attempts, again.last_error) == (2, "second failure")

    run(backend_kind, tmp_path, before, after_restart)


def test_a_settled_row_is_gone_for_good(backend_kind: str, tmp_path: Path) -> None:
    async def before(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1), entry(2, T0 + 20)])
        [first] = await outbox.claim("a", T0, T0 + LEASE, 10)
        assert await outbox.settle(first)
        assert await outbox.next_due() == T0 + 20

    async def after_restart(backend: Any) -> int:
        outbox: OutboxStore = backend.outbox
        [left] = await outbox.claim("a", 1e12, 1e12 + LEASE, 10)
        assert left.body == "body 2"
        return await outbox.pending()

    assert run(backend_kind, tmp_path, before, after_restart)[-1] == 1


def test_a_dead_letter_becomes_a_row_of_its_own_kind_due_at_once(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(backend: Any) -> None:
        outbox: OutboxStore = backend.outbox
        await outbox.add([entry(1, group="g"), entry(2, group="g")])
        [head] = await outbox.claim("a", T0, T0 + LEASE, 10)
        letter = DeadLetter("arn:aws:sqs:us-east-1:000000000000:dlq", "dead body", '{"x": 1}', "m1")
        assert await outbox.dead_letter(head, letter, T0 + 5)
        rows = await outbox.claim("a", T0 + 5, T0 + 5 + LEASE, 10)
        # The dead letter leaves its group: the next row of the group is free to go.
        assert sorted((c.kind, c.body) for c in rows) == [
            (DEAD_LETTER, "dead body"),
            ("test", "body 2"),
        ]
        [dead] = [c for c in rows if c.kind == DEAD_LETTER]
        assert (dead.target, dead.attributes, dead.ref, dead.attempts) == (
            letter.target,
            '{"x": 1}',
            "m1",
            0,
        )

    run(backend_kind, tmp_path, scenario)


def test_leases_of_a_process_gone_are_released_at_start(backend_kind: str, tmp_path: Path) -> None:
    async def dies_holding(backend: Any) -> None:
        await backend.outbox.add([entry(1)])
        assert len(await backend.outbox.claim("dead", T0, T0 + LEASE, 10)) == 1

    async def restarts(backend: Any) -> int:
        await backend.outbox.release_leases()
        return len(await backend.outbox.claim("new", T0 + 1, T0 + 1 + LEASE, 10))

    assert run(backend_kind, tmp_path, dies_holding, restarts)[-1] == 1


# written with the owner's transaction ----------------------------------------------------


def _event(request_id: str) -> QueuedEvent:
    return QueuedEvent(
        id=0,
        request_id=request_id,
        function_name="fn",
        qualifier=None,
        payload=b"{}",
        source="test",
        enqueued_at=T0,
        attempts=0,
        throttle_retries=0,
        last_response=None,
    )


def test_an_async_round_writes_its_outbox_row_in_its_own_commit(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(backend: Any) -> None:
        store = backend.async_events
        good, bad = _event("good"), _event("bad")
        good.id = await store.accept(good, leased_to="a")
        bad.id = await store.accept(bad, leased_to="a")
        owed = Outbox("OnSuccess", QUEUE, "{}", None, "arn:fn")
        await store.finish_round(good, [owed, Complete("Success", 1)], T0)
        broken = Outbox("OnSuccess", QUEUE, None, None, "arn:fn")  # type: ignore[arg-type]
        with pytest.raises(Exception):  # noqa: B017 - the backend's own error
            await store.finish_round(bad, [Complete("Success", 1), broken], T0)

    async def after_restart(backend: Any) -> None:
        [claim] = await backend.outbox.claim("a", T0, T0 + LEASE, 10)
        assert claim.ref == "good"
        done = await backend.async_events.journey("bad")
        assert done.event.state != "done"  # the round's UPDATE went with its outbox row

    run(backend_kind, tmp_path, scenario, after_restart)


def test_an_sns_publish_writes_every_delivery_or_none(backend_kind: str, tmp_path: Path) -> None:
    topic = "arn:aws:sns:us-east-1:000000000000:t"
    subs = [Subscription(f"{topic}:s{n}", topic, "sqs", QUEUE, {}) for n in range(3)]

    async def scenario(backend: Any) -> None:
        sns = backend.sns
        await sns.create_topic(topic, {})
        pub = Publication("m1", topic, "hello", T0)

        def fanouts() -> Any:
            yield pub, subs
            raise RuntimeError("the request broke half way")

        with pytest.raises(RuntimeError):
            await sns.enqueue(fanouts(), T0, 300.0)
        assert await backend.outbox.pending() == 0
        await sns.enqueue([(pub, subs)], T0, 300.0)

    async def after_restart(backend: Any) -> None:
        assert await backend.outbox.pending(SNS_KIND) == 3

    run(backend_kind, tmp_path, scenario, after_restart)
