"""The EventsStore contract, run against every backend: what EventBridge's service, publisher
and scheduler rely on, through the interface only; deliveries are rows of the one outbox,
read back through the OutboxStore as the runner sees them."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from lambdalite.outbox.store import OutboxStore
from lambdalite.services.events.model import DEFAULT_BUS, OUTBOX_KIND, Delivery, Rule
from lambdalite.services.events.store import EventsStore, NewDelivery
from tests.contract.backends import opened

Scenario = Callable[[EventsStore], Awaitable[Any]]
RULE_ARN = "arn:aws:events:us-east-1:000000000000:rule/r"


def run(kind: str, directory: Path, scenario: Scenario) -> Any:
    """The scenario against a freshly opened backend over `directory` (a restart when the
    directory was used before); the default bus is ensured first, as the service does."""

    async def main() -> Any:
        async with opened(kind, directory) as backend:
            await backend.events.ensure_default_bus(1.0)
            return await scenario(backend.events)

    return asyncio.run(main())


OwedScenario = Callable[[EventsStore, OutboxStore], Awaitable[Any]]


def run_owed(kind: str, directory: Path, scenario: OwedScenario) -> Any:
    """As `run`, with the outbox the deliveries are written to."""

    async def main() -> Any:
        async with opened(kind, directory) as backend:
            await backend.events.ensure_default_bus(1.0)
            return await scenario(backend.events, backend.outbox)

    return asyncio.run(main())


async def due(outbox: OutboxStore, now: float, limit: int = 100) -> list[Delivery]:
    """Claim what is due, as the runner would (leases ending at once: look as often as needed)."""
    claims = await outbox.claim("test", now, now, limit)
    assert all(c.kind == OUTBOX_KIND for c in claims)
    return [Delivery.of(c) for c in claims]


def _rule(name: str, bus: str = DEFAULT_BUS, **kw: Any) -> Rule:
    fields: dict[str, Any] = {
        "event_pattern": '{"source": ["s"]}',
        "schedule": None,
        "state": "ENABLED",
        "description": None,
        "role_arn": None,
        "anchor": 5.0,
        "last_fired": None,
    }
    fields.update(kw)
    return Rule(bus=bus, name=name, **fields)


def _target(target_id: str, arn: str = "arn:aws:sqs:us-east-1:000000000000:q") -> dict[str, Any]:
    return {"Id": target_id, "Arn": arn}


def _new(n: int, due_at: float, target: dict[str, Any] | None = None) -> NewDelivery:
    return NewDelivery(RULE_ARN, target or _target(f"t{n}"), f'{{"n": {n}}}', f"p{n}", 1.0, due_at)


# buses --------------------------------------------------------------------------------------


def test_the_default_bus_exists_after_open_and_keeps_its_creation_time(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventsStore) -> None:
        bus = await store.get_bus(DEFAULT_BUS)
        assert bus is not None and bus.created_at == 1.0
        await store.ensure_default_bus(99.0)  # a later start changes nothing
        assert await store.create_bus(DEFAULT_BUS, None, 100.0) is False

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore) -> None:
        bus = await store.get_bus(DEFAULT_BUS)
        assert bus is not None and bus.created_at == 1.0

    run(backend_kind, tmp_path, after_restart)


def test_bus_crud_and_pages(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventsStore) -> None:
        assert await store.create_bus("orders", "the orders", 2.0) is True
        assert await store.create_bus("orders", "again", 3.0) is False
        bus = await store.get_bus("orders")
        assert bus is not None and (bus.description, bus.created_at) == ("the orders", 2.0)
        for name in ("ops-a", "ops-b", "ops-c"):
            await store.create_bus(name, None, 2.0)
        names = [b.name for b in await store.list_buses("", "", 100)]
        assert names == ["default", "ops-a", "ops-b", "ops-c", "orders"]
        first = await store.list_buses("ops-", "", 2)
        assert [b.name for b in first] == ["ops-a", "ops-b"]
        rest = await store.list_buses("ops-", first[-1].name, 2)
        assert [b.name for b in rest] == ["ops-c"]
        await store.put_rule(_rule("r", bus="ops-a"))
        await store.put_targets("ops-a", "r", [_target("t")])
        await store.delete_bus("ops-a")
        assert await store.get_bus("ops-a") is None
        assert await store.get_rule("ops-a", "r") is None
        assert await store.targets("ops-a", "r") == []

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore) -> None:
        names = [b.name for b in await store.list_buses("", "", 100)]
        assert names == ["default", "ops-b", "ops-c", "orders"]

    run(backend_kind, tmp_path, after_restart)


# rules and targets --------------------------------------------------------------------------


def test_rule_crud_listing_by_prefix_and_pages(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventsStore) -> None:
        await store.create_bus("other", None, 2.0)
        for name in ("a-1", "a-2", "a-3", "b-1"):
            await store.put_rule(_rule(name))
        await store.put_rule(_rule("a-9", bus="other"))
        replaced = _rule("a-2", description="new", state="DISABLED")
        await store.put_rule(replaced)
        assert await store.get_rule(DEFAULT_BUS, "a-2") == replaced
        assert await store.get_rule("other", "a-2") is None
        first = await store.list_rules(DEFAULT_BUS, "a-", "", 2)
        assert [r.name for r in first] == ["a-1", "a-2"]
        rest = await store.list_rules(DEFAULT_BUS, "a-", first[-1].name, 2)
        assert [r.name for r in rest] == ["a-3"]
        every = await store.rules_of_bus(DEFAULT_BUS)
        assert [r.name for r in every] == ["a-1", "a-2", "a-3", "b-1"]
        await store.put_targets(DEFAULT_BUS, "b-1", [_target("t")])
        await store.delete_rule(DEFAULT_BUS, "b-1")
        assert await store.get_rule(DEFAULT_BUS, "b-1") is None
        assert await store.targets(DEFAULT_BUS, "b-1") == []

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore) -> None:
        rule = await store.get_rule(DEFAULT_BUS, "a-2")
        assert rule is not None and (rule.description, rule.state) == ("new", "DISABLED")
        assert len(await store.rules_of_bus(DEFAULT_BUS)) == 3

    run(backend_kind, tmp_path, after_restart)


def test_scheduled_rules_and_state(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventsStore) -> None:
        await store.put_rule(_rule("tick", event_pattern=None, schedule="rate(1 minute)"))
        await store.put_rule(_rule("tock", event_pattern=None, schedule="rate(5 minutes)"))
        await store.put_rule(_rule("pattern"))
        assert sorted(r.name for r in await store.scheduled_rules()) == ["tick", "tock"]
        await store.set_state(DEFAULT_BUS, "tock", "DISABLED", 40.0)
        assert [r.name for r in await store.scheduled_rules()] == ["tick"]
        await store.set_state(DEFAULT_BUS, "tock", "ENABLED", 70.0)
        tock = await store.get_rule(DEFAULT_BUS, "tock")
        assert tock is not None and (tock.state, tock.last_fired) == ("ENABLED", 70.0)

    run(backend_kind, tmp_path, scenario)


def test_targets_keep_their_order_are_replaced_in_place_and_removed(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventsStore) -> None:
        await store.put_rule(_rule("r"))
        await store.put_rule(_rule("s"))
        await store.put_targets(DEFAULT_BUS, "r", [_target("b"), _target("a")])
        await store.put_targets(DEFAULT_BUS, "s", [_target("z")])
        changed = {**_target("b"), "Input": '{"x": 1}'}
        await store.put_targets(DEFAULT_BUS, "r", [_target("c"), changed])
        targets = await store.targets(DEFAULT_BUS, "r")
        assert targets == [changed, _target("a"), _target("c")]
        await store.remove_targets(DEFAULT_BUS, "r", ["a", "missing"])
        assert [t["Id"] for t in await store.targets(DEFAULT_BUS, "r")] == ["b", "c"]
        assert await store.targets(DEFAULT_BUS, "s") == [_target("z")]

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore) -> None:
        targets = await store.targets(DEFAULT_BUS, "r")
        assert [t["Id"] for t in targets] == ["b", "c"] and targets[0]["Input"] == '{"x": 1}'

    run(backend_kind, tmp_path, after_restart)


# deliveries and schedules -------------------------------------------------------------------


def test_deliveries_survive_a_restart_whole(backend_kind: str, tmp_path: Path) -> None:
    run(backend_kind, tmp_path, lambda store: store.enqueue([_new(1, 10.0), _new(2, 10.0)]))

    async def after_restart(store: EventsStore, outbox: OutboxStore) -> None:
        assert await outbox.pending(OUTBOX_KIND) == 2
        assert await outbox.next_due() == 10.0
        assert await due(outbox, 9.0) == []
        first, second = await due(outbox, 10.0)
        assert (first.rule_arn, first.target, first.event, first.payload) == (
            RULE_ARN,
            _target("t1"),
            '{"n": 1}',
            "p1",
        )
        assert (first.accepted_at, first.attempts) == (1.0, 0)
        assert first.last_error is None and second.payload == "p2"

    run_owed(backend_kind, tmp_path, after_restart)


def test_a_retry_keeps_the_error_and_the_acceptance_time(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventsStore, outbox: OutboxStore) -> None:
        await store.enqueue([_new(1, 10.0)])
        [claim] = await outbox.claim("a", 10.0, 70.0, 100)
        error = '{"code": "INTERNAL_ERROR", "message": "bad day"}'
        assert await outbox.retry(claim, 50.0, error)

    run_owed(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore, outbox: OutboxStore) -> None:
        assert await due(outbox, 49.0) == []
        [moved] = await due(outbox, 50.0)
        assert (moved.payload, moved.attempts) == ("p1", 1)
        assert moved.last_error == {"code": "INTERNAL_ERROR", "message": "bad day"}
        assert moved.accepted_at == 1.0  # the age limit counts from acceptance, still

    run_owed(backend_kind, tmp_path, after_restart)


def test_a_failing_enqueue_leaves_no_delivery(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventsStore) -> None:
        broken = _new(2, 10.0, {"Id": "t", "Arn": "a", "not": object()})
        with pytest.raises(TypeError):
            await store.enqueue([_new(1, 10.0), broken])

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore, outbox: OutboxStore) -> None:
        assert await outbox.pending() == 0 and await outbox.next_due() is None

    run_owed(backend_kind, tmp_path, after_restart)


def test_a_fired_slot_commits_its_deliveries_with_last_fired(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventsStore) -> None:
        await store.put_rule(_rule("tick", event_pattern=None, schedule="rate(1 minute)"))
        await store.fire_slot(DEFAULT_BUS, "tick", 65.0, [_new(1, 66.0), _new(2, 66.0)])
        await store.fire_slot(DEFAULT_BUS, "tick", 125.0, [])  # no targets: the slot still counts

    run(backend_kind, tmp_path, scenario)

    async def after_restart(store: EventsStore, outbox: OutboxStore) -> None:
        rule = await store.get_rule(DEFAULT_BUS, "tick")
        assert rule is not None and rule.last_fired == 125.0
        assert [r.last_fired for r in await store.scheduled_rules()] == [125.0]
        assert await outbox.pending() == 2
        broken = _new(3, 190.0, {"Id": "t", "Arn": "a", "not": object()})
        with pytest.raises(TypeError):
            await store.fire_slot(DEFAULT_BUS, "tick", 185.0, [_new(4, 190.0), broken])

    run_owed(backend_kind, tmp_path, after_restart)

    async def after_a_failed_slot(store: EventsStore, outbox: OutboxStore) -> None:
        rule = await store.get_rule(DEFAULT_BUS, "tick")
        assert rule is not None and rule.last_fired == 125.0  # neither slot nor deliveries
        assert await outbox.pending() == 2

    run_owed(backend_kind, tmp_path, after_a_failed_slot)
