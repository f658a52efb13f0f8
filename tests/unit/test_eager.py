"""api/eager.py: coroutines started in the caller's turn, driven like tasks after that."""

from __future__ import annotations

import asyncio

import pytest

from lambdalite.api.eager import start_eagerly


def test_the_first_step_runs_before_start_eagerly_returns() -> None:
    steps: list[str] = []

    async def body(gate: asyncio.Future[str]) -> None:
        steps.append("first")
        steps.append(await gate)
        await asyncio.sleep(0)  # a bare yield goes round the loop once
        steps.append("last")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate: asyncio.Future[str] = loop.create_future()
        run = start_eagerly(loop, body(gate))
        assert steps == ["first"] and not run.done()
        gate.set_result("resumed")
        await run
        assert steps == ["first", "resumed", "last"]

    asyncio.run(scenario())


def test_a_coroutine_that_never_waits_is_done_at_once() -> None:
    async def body() -> None:
        return None

    async def scenario() -> None:
        run = start_eagerly(asyncio.get_running_loop(), body())
        assert run.done() and run.result() is None

    asyncio.run(scenario())


def test_errors_land_in_the_future_and_awaited_errors_reach_the_coroutine() -> None:
    seen: list[str] = []

    async def body(gate: asyncio.Future[None]) -> None:
        try:
            await gate
        except ValueError as exc:
            seen.append(str(exc))
            raise KeyError("after") from None

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate: asyncio.Future[None] = loop.create_future()
        run = start_eagerly(loop, body(gate))
        gate.set_exception(ValueError("before"))
        with pytest.raises(KeyError):
            await run
        assert seen == ["before"]

    asyncio.run(scenario())


def test_cancelling_the_future_cancels_the_coroutine_where_it_waits() -> None:
    cleaned: list[bool] = []

    async def body(gate: asyncio.Future[None]) -> None:
        try:
            await gate
        finally:
            cleaned.append(gate.cancelled())

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate: asyncio.Future[None] = loop.create_future()
        run = start_eagerly(loop, body(gate))
        run.cancel(msg="graceful shutdown deadline")
        for _ in range(3):
            await asyncio.sleep(0)
        assert run.cancelled() and cleaned == [True]

    asyncio.run(scenario())
