"""api/eager.py: coroutines started in the caller's turn, driven like tasks after that."""

from __future__ import annotations

import asyncio

import pytest

from lambdalite.api.eager import start_eagerly
from lambdalite.inline import InlineFuture


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


def test_a_waiter_on_an_inline_future_resumes_inside_resolve() -> None:
    steps: list[str] = []

    async def body(gate: InlineFuture[int]) -> None:
        steps.append(f"got {await gate}")

    async def waiting_task(gate: InlineFuture[int]) -> None:
        steps.append(f"task got {await gate}")

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate: InlineFuture[int] = InlineFuture(loop)
        task = loop.create_task(waiting_task(gate))
        await asyncio.sleep(0)  # the task now waits too
        run = start_eagerly(loop, body(gate))
        gate.resolve(7)
        assert steps == ["got 7"] and run.done()  # before any loop turn
        await task  # tasks are woken the usual way
        assert steps == ["got 7", "task got 7"]

    asyncio.run(scenario())


def test_an_inline_future_that_fails_or_is_cancelled_still_resumes_its_waiter() -> None:
    async def body(gate: InlineFuture[int]) -> int:
        return await gate

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        failing: InlineFuture[int] = InlineFuture(loop)
        run = start_eagerly(loop, body(failing))
        failing.fail(LookupError("gone"))
        assert run.done() and isinstance(run.exception(), LookupError)
        cancelled: InlineFuture[int] = InlineFuture(loop)
        run = start_eagerly(loop, body(cancelled))
        cancelled.cancel()  # no inline call: the usual callback resumes it a turn later
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert run.cancelled()

    asyncio.run(scenario())


def test_context_changes_stay_inside_the_coroutine_as_in_a_task() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")
    seen: list[str] = []

    async def body(gate: asyncio.Future[None]) -> None:
        var.set("inside")
        await gate
        seen.append(var.get())

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        gate: asyncio.Future[None] = loop.create_future()
        run = start_eagerly(loop, body(gate))
        assert var.get() == "outside"
        gate.set_result(None)
        await run
        assert seen == ["inside"] and var.get() == "outside"

    asyncio.run(scenario())
