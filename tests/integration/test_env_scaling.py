"""How many environments queued work gets (sandbox/scaling.py), in-process over real
environments and a virtual clock: a burst of Event invokes shares the environments it
finds, a backlog that persists adds environments at the policy's rate as clock time
passes, and synchronous invokes still get a fresh environment each at once."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path

import uvloop

from lambdalite.api.lambda_api.functions import create_function
from lambdalite.clock import VirtualClock
from lambdalite.config import Settings
from lambdalite.invoke.resolve import Target, resolve_target
from lambdalite.platform import Platform
from lambdalite.sandbox.scaling import ScalingPolicy

# Holds its environment until the test creates the gate file, then answers its pid.
HANDLER = """
import os, time
def handler(event, context):
    gate = event.get("gate")
    while gate and not os.path.exists(gate):
        time.sleep(0.002)
    return os.getpid()
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


def _with_platform(tmp_path: Path, scenario: Callable[[Platform], Awaitable[None]]) -> None:
    async def main() -> None:
        p = Platform(Settings(data_dir=tmp_path, deploy_example=False, clock="virtual"))
        await p.start()
        try:
            await create_function(
                p,
                {
                    "FunctionName": "fn",
                    "Runtime": "python3.11",
                    "Handler": "app.handler",
                    "Role": "arn:aws:iam::000000000000:role/r",
                    "Timeout": 60,
                    "Code": {"ZipFile": _zip()},
                },
            )
            await p.functions.wait_settled()
            await scenario(p)
        finally:
            await p.stop()

    uvloop.run(main())


async def _target(p: Platform) -> Target:
    s = p.settings
    return await resolve_target(p.store, "fn", None, s.region, s.account_id)


def _environments(p: Platform) -> int:
    return sum(len(pids) for pids in p.pool.stats().pids.values())


async def _until(check: Callable[[], bool], what: str) -> None:
    for _ in range(2000):
        if check():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never: {what}")


def _done(p: Platform, request_ids: list[str]) -> bool:
    marks = ",".join("?" * len(request_ids))
    (count,) = p.store.db.execute(
        f"SELECT COUNT(*) FROM async_events WHERE request_id IN ({marks}) AND state = 'done'",
        request_ids,
    ).fetchone()
    return int(count) == len(request_ids)


def test_a_burst_of_events_shares_the_environment_it_started(tmp_path: Path) -> None:
    _with_platform(tmp_path, _burst)


async def _burst(p: Platform) -> None:
    target = await _target(p)
    burst = 200  # far more than the consumer's 64 rounds in flight
    ids = await asyncio.gather(*(p.async_queue.accept(target, b"{}") for _ in range(burst)))
    await _until(lambda: _done(p, list(ids)), "every event finished")
    # No clock time passed, so no backlog outlasted the policy's patience: the first round
    # started the one environment and every other round waited for its turn in it.
    assert _environments(p) == 1
    assert p.pool.stats().waiting == 0


def test_a_backlog_that_persists_grows_environments_at_the_policys_rate(
    tmp_path: Path,
) -> None:
    _with_platform(tmp_path, _sustained)


async def _sustained(p: Platform) -> None:
    clock, policy = p.clock, p.pool.scaling
    assert isinstance(clock, VirtualClock) and policy == ScalingPolicy()
    per_token_s = 60.0 / policy.per_minute
    gate = p.settings.data_dir / "gate"
    target = await _target(p)
    events = 40
    payload = json.dumps({"gate": str(gate)}).encode()
    ids = [await p.async_queue.accept(target, payload) for _ in range(events)]
    held = _busy_and_waiting(p)
    await _until(lambda: held() == (1, events - 1), "one environment, the rest waiting")
    clock.advance(policy.patience_s / 2)  # not yet: the backlog may still drain
    await asyncio.sleep(0.05)
    assert held() == (1, events - 1)
    clock.advance(policy.patience_s)  # it persisted: the bucket's burst is spent at once
    grown = 1 + policy.burst
    await _until(lambda: held() == (grown, events - grown), "the burst of new environments")
    # Then one more per token refilled (a hair more than a token's time: float clock sums).
    clock.advance(per_token_s * 1.01)
    await _until(lambda: held() == (grown + 1, events - grown - 1), "one more environment")
    clock.advance(3 * per_token_s * 1.01)
    grown += 4
    await _until(lambda: held() == (grown, events - grown), "three more environments")
    gate.touch()
    await _until(lambda: _done(p, ids), "every event finished")
    assert _environments(p) == grown  # draining the backlog took no new ones


def _busy_and_waiting(p: Platform) -> Callable[[], tuple[int, int]]:
    def held() -> tuple[int, int]:
        stats = p.pool.stats()
        return stats.busy, stats.waiting

    return held


def test_synchronous_invokes_each_get_an_environment_at_once(tmp_path: Path) -> None:
    _with_platform(tmp_path, _synchronous)


async def _synchronous(p: Platform) -> None:
    gate = p.settings.data_dir / "gate"
    target = await _target(p)
    payload = json.dumps({"gate": str(gate)}).encode()
    queued = [await p.async_queue.accept(target, payload) for _ in range(5)]
    held = _busy_and_waiting(p)
    await _until(lambda: held() == (1, 4), "one environment for the events, four waiting")
    calls = [asyncio.ensure_future(p.invoker.invoke(target, payload)) for _ in range(4)]
    # No clock time passes, yet each synchronous caller has its own environment.
    await _until(lambda: held() == (5, 4), "a new environment per synchronous invoke")
    gate.touch()
    pids = {json.loads((await call)[1].payload) for call in calls}
    assert len(pids) == 4
    await _until(lambda: _done(p, queued), "every event finished")
    assert _environments(p) == 5


def test_work_that_waited_in_its_queue_counts_its_age_from_there(tmp_path: Path) -> None:
    _with_platform(tmp_path, _aged)


async def _aged(p: Platform) -> None:
    gate = p.settings.data_dir / "gate"
    target = await _target(p)
    payload = json.dumps({"gate": str(gate)}).encode()
    first = await p.async_queue.accept(target, payload)
    held = _busy_and_waiting(p)
    await _until(lambda: held() == (1, 0), "the first event in its environment")
    # Queued a second ago (a backlog in the store): past the patience as it reaches the pool,
    # so it gets an environment of its own with no clock time passing.
    since = p.clock.now() - 1.0
    aged = asyncio.ensure_future(p.invoker.invoke(target, payload, queued_since=since))
    fresh = asyncio.ensure_future(p.invoker.invoke(target, payload, queued_since=p.clock.now()))
    await _until(lambda: held() == (2, 1), "a new environment for the aged work only")
    gate.touch()
    await asyncio.gather(aged, fresh)
    await _until(lambda: _done(p, [first]), "the event finished")
    assert _environments(p) == 2
