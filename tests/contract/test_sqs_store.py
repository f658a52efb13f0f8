"""The SqsStore contract: what the SQS service relies on, run against every backend.

Only the interface is used (never SQL); time is passed in, as the service passes its clock.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from lambdalite.services.sqs.attributes import with_defaults
from lambdalite.services.sqs.model import DEDUP_INTERVAL_S, NewMessage, Queue, Received
from lambdalite.services.sqs.receipts import Receipt, decode_receipt
from lambdalite.services.sqs.store import SqsStore
from tests.contract.backends import opened

T = 1_000_000.0  # the clock's "now" at the start of every scenario


def _queue(name: str, **attributes: str) -> Queue:
    fifo = name.endswith(".fifo")
    arn = f"arn:aws:sqs:us-east-1:000000000000:{name}"
    return Queue(name, arn, with_defaults(attributes, fifo), T, T)


def _message(
    body: str, *, delay_s: int = 0, group: str | None = None, dedup: str | None = None
) -> NewMessage:
    return NewMessage(body, {}, {}, delay_s, group, dedup)


def _receipt(message: Received) -> Receipt:
    receipt = decode_receipt(message.receipt_handle)
    assert receipt is not None
    return receipt


R = TypeVar("R")


def _run(backend_kind: str, directory: Path, scenario: Callable[[SqsStore], Awaitable[R]]) -> R:
    """Open the backend over `directory`, run the scenario on its SQS store, close it."""

    async def main() -> R:
        async with opened(backend_kind, directory) as backend:
            return await scenario(backend.sqs)

    return asyncio.run(main())


async def _with_queue(store: SqsStore, queue: Queue, *bodies: str) -> list[str]:
    await store.create_queue(queue)
    sent = await store.send(queue, [_message(b) for b in bodies], T)
    return [s.message_id for s in sent]


def test_a_sent_message_is_received_once(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        (message_id,) = await _with_queue(store, q, "hello")
        got, moved = await store.claim(q, T, 10, 30, None)
        assert [(m.message_id, m.body, m.receive_count) for m in got] == [(message_id, "hello", 1)]
        assert not moved
        assert got[0].first_receive == T
        assert await store.claim(q, T + 1, 10, 30, None) == ([], False)
        assert await store.counts(q, T + 1) == (0, 1, 0)

    _run(backend_kind, tmp_path, scenario)


def test_concurrent_receivers_never_get_the_same_message(tmp_path: Path, backend_kind: str) -> None:
    bodies = [f"m{i}" for i in range(60)]

    async def setup(store: SqsStore) -> None:
        await _with_queue(store, _queue("q"), *bodies)

    async def receive(store: SqsStore) -> list[str]:
        out: list[str] = []
        for _ in bodies:  # bounded: a store that hands out a message twice must not hang
            batch, _ = await store.claim(_queue("q"), T, 3, 30, None)
            if not batch:
                break
            out.extend(m.body for m in batch)
            await asyncio.sleep(0)
        return out

    async def two_receivers(store: SqsStore) -> list[list[str]]:
        return list(await asyncio.gather(receive(store), receive(store)))

    _run(backend_kind, tmp_path, setup)
    # Two handles on the same database, each on a thread of its own (as two nodes would
    # be), with two receivers on each.
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(_run, backend_kind, tmp_path, two_receivers) for _ in range(2)]
        received = [body for run in runs for one in run.result() for body in one]
    assert sorted(received) == sorted(bodies)  # each exactly once


def test_an_in_flight_message_reappears_after_its_visibility_timeout(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        (message_id,) = await _with_queue(store, q, "x")
        (first,), _ = await store.claim(q, T, 10, 30, None)
        assert await store.next_visible("q", T) == T + 30
        assert await store.claim(q, T + 29.9, 10, 30, None) == ([], False)
        (again,), _ = await store.claim(q, T + 30, 10, 30, None)
        assert again.message_id == message_id
        assert again.receive_count == 2
        assert again.first_receive == T
        assert again.receipt_handle != first.receipt_handle

    _run(backend_kind, tmp_path, scenario)


def test_a_standard_delete_takes_any_receipt_of_the_message(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        await _with_queue(store, q, "x")
        (first,), _ = await store.claim(q, T, 10, 30, None)
        (latest,), _ = await store.claim(q, T + 30, 10, 30, None)
        # AWS: an older receipt handle succeeds; here it deletes the message too.
        assert await store.delete_messages(q, [_receipt(first)], T + 31) == ["ok"]
        assert await store.counts(q, T + 31) == (0, 0, 0)
        assert await store.claim(q, T + 1000, 10, 30, None) == ([], False)
        assert await store.delete_messages(q, [_receipt(latest)], T + 31) == ["gone"]

    _run(backend_kind, tmp_path, scenario)


def test_a_fifo_delete_needs_the_latest_receipt_in_flight(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        await store.send(q, [_message("x", group="g", dedup="d")], T)
        (first,), _ = await store.claim(q, T, 10, 30, None)
        assert await store.delete_messages(q, [_receipt(first)], T + 30) == ["expired"]
        (latest,), _ = await store.claim(q, T + 30, 10, 30, None)
        assert await store.delete_messages(q, [_receipt(first)], T + 31) == ["expired"]
        assert await store.counts(q, T + 31) == (0, 1, 0)  # still there
        assert await store.delete_messages(q, [_receipt(latest)], T + 31) == ["ok"]
        assert await store.counts(q, T + 31) == (0, 0, 0)
        assert await store.delete_messages(q, [_receipt(latest)], T + 31) == ["gone"]

    _run(backend_kind, tmp_path, scenario)


def test_a_delete_batch_answers_per_receipt(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q, other = _queue("q"), _queue("other")
        await _with_queue(store, q, "a", "b")
        await _with_queue(store, other, "c")
        (a, b), _ = await store.claim(q, T, 10, 30, None)
        (c,), _ = await store.claim(other, T, 10, 30, None)
        wrong_queue = Receipt("q", _receipt(c).message_key, _receipt(c).nonce)
        outcomes = await store.delete_messages(q, [_receipt(a), wrong_queue, _receipt(b)], T)
        assert outcomes == ["ok", "gone", "ok"]
        assert await store.counts(q, T) == (0, 0, 0)
        assert await store.counts(other, T) == (0, 1, 0)

    _run(backend_kind, tmp_path, scenario)


def test_change_visibility_to_zero_makes_it_visible_at_once(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        await _with_queue(store, q, "x")
        (first,), _ = await store.claim(q, T, 10, 30, None)
        assert await store.change_visibilities(q, [(_receipt(first), 0)], T + 1) == ["ok"]
        assert await store.counts(q, T + 1) == (1, 0, 0)
        (again,), _ = await store.claim(q, T + 1, 10, 30, None)
        assert again.receive_count == 2
        assert await store.change_visibilities(q, [(_receipt(first), 0)], T + 2) == ["stale"]
        assert await store.change_visibilities(q, [(_receipt(again), 100)], T + 2) == ["ok"]
        assert await store.next_visible("q", T + 2) == T + 102
        assert await store.change_visibilities(q, [(_receipt(again), 0)], T + 3) == ["ok"]
        # Its timeout over, the latest receipt still hides the message again (as on AWS).
        assert await store.change_visibilities(q, [(_receipt(again), 10)], T + 3) == ["ok"]
        assert await store.counts(q, T + 3) == (0, 1, 0)
        assert await store.delete_messages(q, [_receipt(again)], T + 3) == ["ok"]
        outcome = await store.change_visibilities(q, [(_receipt(again), 10)], T + 3)
        assert outcome == ["gone"]

    _run(backend_kind, tmp_path, scenario)


def test_a_fifo_visibility_change_needs_the_receipt_in_flight(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        await store.send(q, [_message("x", group="g", dedup="d")], T)
        (first,), _ = await store.claim(q, T, 10, 30, None)
        assert await store.change_visibilities(q, [(_receipt(first), 60)], T + 1) == ["ok"]
        outcome = await store.change_visibilities(q, [(_receipt(first), 60)], T + 61)
        assert outcome == ["expired"]
        assert await store.counts(q, T + 61) == (1, 0, 0)

    _run(backend_kind, tmp_path, scenario)


def test_redrive_moves_an_over_received_message_to_the_dead_letter_queue(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        dlq = _queue("dlq")
        await store.create_queue(dlq)
        policy = {"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2}
        source = _queue("source", RedrivePolicy=json.dumps(policy))
        (message_id,) = await _with_queue(store, source, "poison")
        for at in (T, T + 10):
            (got,), moved = await store.claim(source, at, 10, 10, dlq)
            assert not moved
        assert await store.claim(source, T + 20, 10, 10, dlq) == ([], True)
        assert await store.counts(source, T + 20) == (0, 0, 0)
        (dead,), _ = await store.claim(dlq, T + 20, 10, 10, None)
        assert (dead.message_id, dead.body) == (message_id, "poison")
        assert dead.dead_letter_source == source.arn
        assert await store.dead_letter_sources(dlq.arn) == ["source"]

    _run(backend_kind, tmp_path, scenario)


def test_fifo_groups_come_in_order_and_a_group_in_flight_waits(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        batch = [
            _message(body, group=body[0], dedup=body)
            for body in ("a1", "a2", "b1", "b2", "a3", "c1")
        ]
        sent = await store.send(q, batch, T)
        numbers = [int(s.sequence or 0) for s in sent]
        assert 0 not in numbers and numbers == sorted(set(numbers))  # increasing
        (a1,), _ = await store.claim(q, T, 1, 30, None)
        assert a1.body == "a1" and a1.sequence == sent[0].sequence
        got, _ = await store.claim(q, T, 10, 30, None)
        assert [m.body for m in got] == ["b1", "b2", "c1"]  # group a waits for a1
        assert await store.claim(q, T, 10, 30, None) == ([], False)
        assert await store.delete_messages(q, [_receipt(a1)], T) == ["ok"]
        got, _ = await store.claim(q, T, 10, 30, None)
        assert [m.body for m in got] == ["a2", "a3"]

    _run(backend_kind, tmp_path, scenario)


def test_fifo_hands_out_one_group_together_then_fills_with_the_next(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        order = ("b1", "a1", "b2", "c1", "a2", "b3", "a3")
        await store.send(q, [_message(b, group=b[0], dedup=b) for b in order], T)
        got, _ = await store.claim(q, T, 4, 30, None)
        assert [m.body for m in got] == ["b1", "b2", "b3", "a1"]
        got, _ = await store.claim(q, T, 10, 30, None)
        assert [m.body for m in got] == ["c1"]  # groups a and b have messages in flight

    _run(backend_kind, tmp_path, scenario)


def test_a_fifo_group_waits_while_any_of_its_messages_is_in_flight(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        await store.send(q, [_message(b, group="g", dedup=b) for b in ("m1", "m2", "m3")], T)
        (m1, m2, m3), _ = await store.claim(q, T, 3, 30, None)
        # m1 is visible again, but m2 and m3 are still in flight: the group stays blocked.
        assert await store.change_visibilities(q, [(_receipt(m1), 0)], T + 1) == ["ok"]
        assert await store.counts(q, T + 1) == (1, 2, 0)
        assert await store.claim(q, T + 1, 10, 30, None) == ([], False)
        assert await store.delete_messages(q, [_receipt(m2)], T + 2) == ["ok"]
        assert await store.claim(q, T + 2, 10, 30, None) == ([], False)  # m3 in flight
        assert await store.delete_messages(q, [_receipt(m3)], T + 3) == ["ok"]
        (again,), _ = await store.claim(q, T + 3, 10, 30, None)
        assert (again.body, again.receive_count) == ("m1", 2)

    _run(backend_kind, tmp_path, scenario)


def test_a_deduplication_id_within_the_interval_drops_the_duplicate(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("f.fifo")
        await store.create_queue(q)
        (first,) = await store.send(q, [_message("one", group="g", dedup="d")], T)
        (dup,) = await store.send(q, [_message("two", group="g", dedup="d")], T + 100)
        assert (dup.message_id, dup.sequence) == (first.message_id, first.sequence)
        assert await store.counts(q, T + 100) == (1, 0, 0)
        later = T + DEDUP_INTERVAL_S + 1
        (fresh,) = await store.send(q, [_message("three", group="g", dedup="d")], later)
        assert fresh.message_id != first.message_id
        assert int(fresh.sequence or 0) > int(first.sequence or 0)
        got, _ = await store.claim(q, later, 10, 30, None)
        assert [m.body for m in got] == ["one", "three"]

    _run(backend_kind, tmp_path, scenario)


def test_purge_drops_every_message(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q, other = _queue("q"), _queue("other")
        await _with_queue(store, q, "a", "b", "c")
        await _with_queue(store, other, "kept")
        await store.claim(q, T, 1, 30, None)
        await store.purge("q")
        assert await store.counts(q, T) == (0, 0, 0)
        assert await store.claim(q, T + 100, 10, 30, None) == ([], False)
        assert await store.counts(other, T) == (1, 0, 0)

    _run(backend_kind, tmp_path, scenario)


def test_purge_forgets_the_deduplication_ids(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q, other = _queue("f.fifo"), _queue("o.fifo")
        for queue in (q, other):
            await store.create_queue(queue)
            await store.send(queue, [_message("one", group="g", dedup="d")], T)
        await store.purge("f.fifo")
        (again,) = await store.send(q, [_message("two", group="g", dedup="d")], T + 1)
        got, _ = await store.claim(q, T + 1, 10, 30, None)
        assert [(m.message_id, m.body) for m in got] == [(again.message_id, "two")]
        await store.send(other, [_message("dup", group="g", dedup="d")], T + 1)
        assert await store.counts(other, T + 1) == (1, 0, 0)  # the other queue's still hold

    _run(backend_kind, tmp_path, scenario)


def test_a_delayed_message_is_visible_after_its_delay(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        await store.create_queue(q)
        await store.send(q, [_message("later", delay_s=10)], T)
        assert await store.counts(q, T) == (0, 0, 1)
        assert await store.next_visible("q", T) == T + 10
        assert await store.claim(q, T + 9, 10, 30, None) == ([], False)
        (got,), _ = await store.claim(q, T + 10, 10, 30, None)
        assert got.body == "later"

    _run(backend_kind, tmp_path, scenario)


def test_queues_and_messages_survive_a_restart(tmp_path: Path, backend_kind: str) -> None:
    q = _queue("q", VisibilityTimeout="45")
    q.tags["team"] = "core"
    binary = {"blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}}

    async def before(store: SqsStore) -> None:
        await store.create_queue(q)
        await store.send(q, [NewMessage("durable", binary, {}, 0), _message("in flight")], T)
        (in_flight,), _ = await store.claim(q, T, 1, 30, None)
        assert in_flight.body == "durable"

    async def after(store: SqsStore) -> None:
        (stored,) = await store.queues()
        assert (stored.name, stored.attributes, stored.tags) == ("q", q.attributes, q.tags)
        assert (stored.created, stored.modified) == (T, T)
        assert await store.counts(q, T + 1) == (1, 1, 0)
        got, _ = await store.claim(q, T + 30, 10, 30, None)
        assert [(m.body, m.receive_count) for m in got] == [("in flight", 1), ("durable", 2)]
        assert got[1].attributes == binary

    _run(backend_kind, tmp_path, before)
    _run(backend_kind, tmp_path, after)


def test_reaping_drops_messages_past_retention(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q", MessageRetentionPeriod="60")
        await store.create_queue(q)
        await store.send(q, [_message("old")], T)
        await store.send(q, [_message("new")], T + 50)
        assert await store.counts(q, T + 61) == (1, 0, 0)  # expired: never counted
        assert await store.reap([q], T + 61) == T + 110  # when "new" expires in turn
        q.attributes["MessageRetentionPeriod"] = "345600"  # would bring "old" back, unreaped
        await store.update_queue(q)
        got, _ = await store.claim(q, T + 61, 10, 30, None)
        assert [m.body for m in got] == ["new"]

    _run(backend_kind, tmp_path, scenario)


def test_deleting_a_queue_drops_its_messages(tmp_path: Path, backend_kind: str) -> None:
    async def scenario(store: SqsStore) -> None:
        q = _queue("q")
        await _with_queue(store, q, "a")
        await store.delete_queue("q")
        assert await store.queues() == []
        await store.create_queue(q)
        assert await store.counts(q, T) == (0, 0, 0)

    _run(backend_kind, tmp_path, scenario)


def test_reaping_says_when_the_next_message_or_deduplication_id_expires(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario(store: SqsStore) -> None:
        assert await store.reap([], T) is None
        fifo = _queue("q.fifo", MessageRetentionPeriod=str(int(2 * DEDUP_INTERVAL_S)))
        await store.create_queue(fifo)
        await store.send(fifo, [_message("a", group="g", dedup="d")], T)
        assert await store.reap([fifo], T) == T + DEDUP_INTERVAL_S  # the id lapses first
        assert await store.reap([fifo], T + DEDUP_INTERVAL_S) == T + 2 * DEDUP_INTERVAL_S
        assert await store.reap([fifo], T + 2 * DEDUP_INTERVAL_S) is None

    _run(backend_kind, tmp_path, scenario)
