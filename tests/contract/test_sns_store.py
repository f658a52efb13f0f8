"""The SnsStore contract, run against every backend: what the SNS service and the publisher
rely on, through the interface only; deliveries are rows of the one outbox, read back
through the OutboxStore as the runner sees them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.outbox.store import OutboxStore
from lambdalite.services.sns.model import OUTBOX_KIND, Delivery, Publication, Subscription
from lambdalite.services.sns.store import Fanout, SnsStore
from tests.contract.backends import opened

TOPIC = "arn:aws:sns:us-east-1:000000000000:t"
OTHER = "arn:aws:sns:us-east-1:000000000000:u"
WINDOW = 300.0

Scenario = Callable[[SnsStore], Awaitable[Any]]


def run(kind: str, directory: Path, scenario: Scenario) -> Any:
    """The scenario against a freshly opened backend over `directory` (a restart when the
    directory was used before)."""

    async def main() -> Any:
        async with opened(kind, directory) as backend:
            return await scenario(backend.sns)

    return asyncio.run(main())


OwedScenario = Callable[[SnsStore, OutboxStore], Awaitable[Any]]


def run_owed(kind: str, directory: Path, scenario: OwedScenario) -> Any:
    """As `run`, with the outbox the deliveries are written to."""

    async def main() -> Any:
        async with opened(kind, directory) as backend:
            return await scenario(backend.sns, backend.outbox)

    return asyncio.run(main())


async def due(outbox: OutboxStore, now: float, limit: int = 100) -> list[Delivery]:
    """Claim what is due, as the runner would; released again so the test can look twice."""
    claims = await outbox.claim("test", now, now, limit)
    assert all(c.kind == OUTBOX_KIND for c in claims)
    return [Delivery.of(c) for c in claims]


def _sub(n: int, topic: str = TOPIC, **attributes: str) -> Subscription:
    return Subscription(f"{topic}:sub-{n}", topic, "sqs", f"arn:aws:sqs:r:1:q{n}", attributes)


def _pub(n: int, topic: str = TOPIC, **kw: Any) -> Publication:
    return Publication(f"m{n}", topic, f"message {n}", float(n), **kw)


async def _setup(store: SnsStore, subs: int = 2) -> list[Subscription]:
    await store.create_topic(TOPIC, {})
    out = [_sub(n) for n in range(subs)]
    for sub in out:
        await store.add_subscription(sub)
    return out


# topics and subscriptions -------------------------------------------------------------------


def test_topic_crud_and_pages(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore) -> None:
        assert await store.get_topic(TOPIC) is None
        created = await store.create_topic(TOPIC, {"DisplayName": "one"})
        assert created.attributes == {"DisplayName": "one"}
        again = await store.create_topic(TOPIC, {"DisplayName": "two"})
        assert again.attributes == {"DisplayName": "one"}  # what is stored, unchanged
        await store.set_topic_attributes(TOPIC, {"DisplayName": "three"})
        topic = await store.get_topic(TOPIC)
        assert topic is not None and topic.attributes == {"DisplayName": "three"}
        for n in range(5):
            await store.create_topic(f"{TOPIC}{n}", {})
        first = await store.list_topics(0, 4)
        assert [arn for _, arn in first] == [TOPIC, *(f"{TOPIC}{n}" for n in range(3))]
        rest = await store.list_topics(first[-1][0], 4)
        assert [arn for _, arn in rest] == [f"{TOPIC}3", f"{TOPIC}4"]
        await store.delete_topic(f"{TOPIC}0")
        await store.delete_topic(f"{TOPIC}0")  # idempotent
        assert await store.get_topic(f"{TOPIC}0") is None
        assert len(await store.list_topics(0, 100)) == 5

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: SnsStore) -> None:
        topic = await store.get_topic(TOPIC)
        assert topic is not None and topic.attributes == {"DisplayName": "three"}
        assert len(await store.list_topics(0, 100)) == 5

    run(backend_kind, tmp_path, after_restart)


def test_subscription_crud_and_pages(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore) -> None:
        subs = await _setup(store, subs=3)
        await store.create_topic(OTHER, {})
        await store.add_subscription(_sub(9, OTHER))
        assert await store.get_subscription(subs[1].arn) == subs[1]
        found = await store.find_subscription(TOPIC, "sqs", subs[2].endpoint)
        assert found == subs[2]
        assert await store.find_subscription(OTHER, "sqs", subs[2].endpoint) is None
        await store.set_subscription_attributes(subs[0].arn, {"RawMessageDelivery": "true"})
        changed = await store.get_subscription(subs[0].arn)
        assert changed is not None and changed.raw
        assert await store.count_subscriptions(TOPIC) == 3
        assert [s.arn for s in await store.topic_subscriptions(TOPIC)] == [s.arn for s in subs]
        page = await store.list_subscriptions(TOPIC, 0, 2)
        assert [s.arn for _, s in page] == [subs[0].arn, subs[1].arn]
        rest = await store.list_subscriptions(TOPIC, page[-1][0], 2)
        assert [s.arn for _, s in rest] == [subs[2].arn]
        every = await store.list_subscriptions(None, 0, 100)
        assert [s.arn for _, s in every] == [*(s.arn for s in subs), _sub(9, OTHER).arn]
        await store.delete_subscription(subs[1].arn)
        assert await store.get_subscription(subs[1].arn) is None
        assert await store.count_subscriptions(TOPIC) == 2

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: SnsStore) -> None:
        assert await store.count_subscriptions(TOPIC) == 2
        sub = await store.get_subscription(_sub(0).arn)
        assert sub is not None and sub.raw

    run(backend_kind, tmp_path, after_restart)


def test_deleting_a_topic_takes_its_subscriptions(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore) -> None:
        await _setup(store)
        await store.delete_topic(TOPIC)
        assert await store.count_subscriptions(TOPIC) == 0
        assert await store.list_subscriptions(None, 0, 100) == []

    run(backend_kind, tmp_path, scenario)


# publications and deliveries ----------------------------------------------------------------


def test_a_publication_and_all_its_deliveries_survive_a_restart(
    backend_kind: str, tmp_path: Path
) -> None:
    async def publish(store: SnsStore, outbox: OutboxStore) -> list[Publication]:
        subs = await _setup(store, subs=3)
        return await store.enqueue([(_pub(1), subs), (_pub(2), subs[:1])], 10.0, WINDOW)

    accepted = run_owed(backend_kind, tmp_path, publish)
    assert [p.message_id for p in accepted] == ["m1", "m2"]

    async def after_restart(store: SnsStore, outbox: OutboxStore) -> list[Delivery]:
        assert await outbox.pending(OUTBOX_KIND) == 4
        return await due(outbox, 10.0)

    owed = run_owed(backend_kind, tmp_path, after_restart)
    pairs = sorted((d.publication.message_id, d.subscription.arn) for d in owed)
    assert pairs == sorted([("m1", _sub(n).arn) for n in range(3)] + [("m2", _sub(0).arn)])
    assert all(d.attempts == 0 for d in owed)
    assert owed[0].publication == _pub(1)  # the publication comes back whole
    assert owed[0].subscription == _sub(0)


def test_a_failing_publish_leaves_no_delivery(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore, outbox: OutboxStore) -> None:
        subs = await _setup(store)

        def fanouts() -> Iterator[Fanout]:
            yield _pub(1), subs
            raise RuntimeError("the request broke half way")

        with pytest.raises(RuntimeError):
            await store.enqueue(fanouts(), 10.0, WINDOW)
        assert await outbox.pending() == 0

    run_owed(backend_kind, tmp_path, scenario)

    async def after_restart(store: SnsStore, outbox: OutboxStore) -> None:
        assert await outbox.pending() == 0
        assert await outbox.next_due() is None

    run_owed(backend_kind, tmp_path, after_restart)


def test_a_publication_without_subscribers_owes_nothing(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore, outbox: OutboxStore) -> None:
        await store.create_topic(TOPIC, {})
        assert await store.enqueue([(_pub(1), [])], 10.0, WINDOW) == [_pub(1)]
        assert await outbox.pending() == 0 and await outbox.next_due() is None

    run_owed(backend_kind, tmp_path, scenario)


def test_a_fifo_duplicate_repeats_the_first_publication(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore, outbox: OutboxStore) -> None:
        subs = await _setup(store, subs=1)
        first = _pub(1, deduplication_id="d", sequence_number="1", group_id="g")
        second = _pub(2, deduplication_id="d", sequence_number="2", group_id="g")
        [accepted] = await store.enqueue([(first, subs)], 10.0, WINDOW)
        assert accepted == first
        [repeated] = await store.enqueue([(second, subs)], 20.0, WINDOW)
        assert (repeated.message_id, repeated.sequence_number) == ("m1", "1")
        assert await outbox.pending() == 1
        later = _pub(3, deduplication_id="d", sequence_number="3", group_id="g")
        [fresh] = await store.enqueue([(later, subs)], 10.0 + WINDOW + 1, WINDOW)
        assert fresh == later and await outbox.pending() == 2

    run_owed(backend_kind, tmp_path, scenario)


def test_a_fifo_group_offers_only_its_oldest_delivery(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: SnsStore, outbox: OutboxStore) -> None:
        [sub] = await _setup(store, subs=1)
        for n in (1, 2):
            await store.enqueue([(_pub(n, group_id="g"), [sub])], 10.0, WINDOW)
        await store.enqueue([(_pub(3, group_id="h"), [sub])], 10.0, WINDOW)
        first = await outbox.claim("a", 10.0, 100.0, 100)
        assert [Delivery.of(c).publication.message_id for c in first] == ["m1", "m3"]
        # m2 waits behind m1 while m1 is held, and while m1 waits for a retry
        assert await outbox.claim("b", 10.0, 100.0, 100) == []
        assert await outbox.retry(first[0], 50.0)
        assert await outbox.claim("b", 20.0, 100.0, 100) == []
        assert await outbox.next_due() == 50.0  # not m2's 10.0: it cannot go before m1
        [again] = await outbox.claim("b", 50.0, 100.0, 100)
        assert await outbox.settle(again)
        [m2] = await outbox.claim("b", 50.0, 100.0, 100)
        assert Delivery.of(m2).publication.message_id == "m2"

    run_owed(backend_kind, tmp_path, scenario)


def test_removing_a_subscription_or_topic_drops_what_it_was_owed(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: SnsStore, outbox: OutboxStore) -> None:
        subs = await _setup(store)
        await store.create_topic(OTHER, {})
        other = _sub(7, OTHER)
        await store.add_subscription(other)
        await store.enqueue([(_pub(1), subs), (_pub(2, OTHER), [other])], 10.0, WINDOW)
        assert await outbox.pending() == 3
        await store.delete_subscription(subs[0].arn)
        owed = await due(outbox, 10.0)
        assert sorted(d.subscription.arn for d in owed) == sorted([subs[1].arn, other.arn])
        await store.delete_topic(TOPIC)
        [left] = await due(outbox, 10.0)
        assert left.subscription == other

    run_owed(backend_kind, tmp_path, scenario)
    assert run_owed(backend_kind, tmp_path, lambda _, outbox: outbox.pending()) == 1
