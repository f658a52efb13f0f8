"""How an accepted event reaches a consumer (asyncq/queue.py), in-process over a real store
and real environments: straight into this consumer's lease when it has a free slot, or
into the queue (unleased, claimed later in due order) when it has none."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from lambdalite.api.lambda_api.functions import create_function
from lambdalite.asyncq.journey import event_journey, recent_events
from lambdalite.asyncq.queue import EventQueue
from lambdalite.config import Settings
from lambdalite.invoke.resolve import Target, resolve_target
from lambdalite.platform import Platform

HANDLER = """
import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return event
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _with_platform(
    tmp_path: Path, scenario: Callable[[Platform], Awaitable[None]], clock: str = "system"
) -> None:
    async def main() -> None:
        p = Platform(Settings(data_dir=tmp_path, deploy_example=False, clock=clock))
        await p.start()
        try:
            await create_function(
                p,
                {
                    "FunctionName": "fn",
                    "Runtime": "python3.11",
                    "Handler": "app.handler",
                    "Role": "arn:aws:iam::000000000000:role/r",
                    "Code": {"ZipFile": _zip()},
                },
            )
            await p.functions.wait_settled()
            await _until_idle(p)
            await scenario(p)
        finally:
            await p.stop()

    uvloop.run(main())


async def _target(p: Platform) -> Target:
    s = p.settings
    return await resolve_target(p.store, "fn", None, s.region, s.account_id)


def _row(p: Platform, request_id: str) -> tuple[str | None, str]:
    owner, state = p.backend.database.connection.execute(
        "SELECT lease_owner, state FROM async_events WHERE request_id = ?", (request_id,)
    ).fetchone()
    return owner, state


async def _until_done(p: Platform, request_ids: list[str]) -> list[str]:
    """Request ids in the order their events finished (all of them, once drained)."""
    assert await p.drain()
    marks = ",".join("?" * len(request_ids))
    rows = p.backend.database.connection.execute(
        f"SELECT request_id FROM async_events WHERE request_id IN ({marks}) "
        "AND state = 'done' ORDER BY finished_at, id",
        request_ids,
    ).fetchall()
    assert len(rows) == len(request_ids), "events did not finish"
    return [r[0] for r in rows]


def test_with_a_free_slot_the_accepting_insert_takes_the_lease(tmp_path: Path) -> None:
    _with_platform(tmp_path, _free_slot)


async def _free_slot(platform: Platform) -> None:
    queue = platform.async_queue
    target = await _target(platform)
    claimed = 0
    claim = queue.async_store.claim

    async def counting_claim(*args: object, **kwargs: object) -> list[object]:
        nonlocal claimed
        events = await claim(*args, **kwargs)  # type: ignore[arg-type]
        claimed += len(events)
        return events

    queue.async_store.claim = counting_claim  # type: ignore[method-assign]
    rid = await queue.accept(target, b'{"sleep": 0.2}')
    owner, state = _row(platform, rid)
    assert (owner, state) == (queue._owner, "queued")  # leased from its first commit
    assert await _until_done(platform, [rid]) == [rid]
    assert claimed == 0  # nobody had to claim it (a drain's passes found nothing due)
    doc = await event_journey(queue.async_store, rid)
    assert doc is not None and doc["condition"] == "Success"
    assert [(j["kind"], j["outcome"]) for j in doc["journal"]] == [
        ("attempt", "Success"),
        ("final", "Success"),
    ]


def test_without_a_free_slot_events_wait_unleased_and_run_in_order(tmp_path: Path) -> None:
    _with_platform(tmp_path, _no_free_slot)


async def _one_slot_taken(platform: Platform) -> tuple[EventQueue, Target, str]:
    """A consumer with one slot, taken by an event that outlasts the accepts after it."""
    queue = platform.async_queue
    queue.max_in_flight = 1
    target = await _target(platform)
    first = await queue.accept(target, b'{"sleep": 1.0}')
    return queue, target, first


async def _no_free_slot(platform: Platform) -> None:
    queue, target, first = await _one_slot_taken(platform)
    waiting = [await queue.accept(target, b"{}") for _ in range(3)]
    assert _row(platform, first)[0] is not None
    assert [_row(platform, rid) for rid in waiting] == [(None, "queued")] * 3
    listed = await recent_events(queue.async_store, "fn", 10)
    shown = {e["requestId"]: e["state"] for e in listed["events"]}
    assert shown == {first: "running", **{rid: "queued" for rid in waiting}}
    journey = await event_journey(queue.async_store, first)
    assert journey is not None and journey["state"] == "running"
    order = await _until_done(platform, [first, *waiting])
    assert order == [first, *waiting]


def test_while_older_events_wait_a_new_one_queues_behind_them(tmp_path: Path) -> None:
    _with_platform(tmp_path, _behind_the_backlog)


async def _behind_the_backlog(platform: Platform) -> None:
    queue, target, first = await _one_slot_taken(platform)
    second = await queue.accept(target, b"{}")  # no slot: queued
    queue.max_in_flight = 3  # slots free up, but the queue is not drained yet
    third = await queue.accept(target, b"{}")
    assert _row(platform, third)[0] is None  # behind `second`, not around it
    assert sorted(await _until_done(platform, [first, second, third])) == sorted(
        [first, second, third]
    )


async def _until_idle(p: Platform) -> None:
    """Let the dispatcher's start-up claim find the store empty."""
    assert await p.drain()
    assert not p.async_queue._backlog


def test_a_round_that_fails_unexpectedly_keeps_its_event_until_its_lease_runs_out(
    tmp_path: Path,
) -> None:
    _with_platform(tmp_path, _round_fails_once, clock="virtual")


async def _round_fails_once(platform: Platform) -> None:
    from lambdalite.asyncq.queue import LEASE_S
    from lambdalite.clock import VirtualClock

    queue = platform.async_queue
    clock = platform.clock
    assert isinstance(clock, VirtualClock)
    target = await _target(platform)
    real_round = queue._round
    failures = 0

    async def round_failing_once(*args: object) -> None:
        nonlocal failures
        if failures == 0:
            failures += 1
            raise RuntimeError("a bug in a round")
        await real_round(*args)  # type: ignore[arg-type]

    queue._round = round_failing_once  # type: ignore[method-assign]
    rid = await queue.accept(target, b"{}")
    assert await platform.drain()  # the failed round gives the held lease an expiry
    row = platform.backend.database.connection.execute(
        "SELECT lease_until, state FROM async_events WHERE request_id = ?", (rid,)
    ).fetchone()
    assert row == (clock.now() + LEASE_S, "queued")
    clock.advance(LEASE_S)  # nobody else may take it before; at expiry it is claimed again
    assert await _until_done(platform, [rid]) == [rid]
    assert failures == 1
