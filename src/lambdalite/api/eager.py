"""Start a coroutine in the caller's turn of the event loop, as eager tasks do.

A Task runs its first step on the loop's next turn, and under load a turn is a turn's
worth of other work: for an Invoke that is a whole extra lap of queueing before the
request is even looked at. A small driver starts the coroutines the HTTP protocol starts
at once: it steps the coroutine until it waits on a future, resumes it from that future's
callback, and exposes the outcome as a future that graceful shutdown can wait on and
cancel like a task. A coroutine waiting on an InlineFuture (the group commit's) resumes
inside the call that resolves it, one more turn saved (lambdalite/inline.py).

The driver serves every Python version alike. 3.12's eager tasks start at once too, but
a task resumes a turn after its future resolves, so they would lose the inline resume
and make the fast path differ between versions.

The driver runs the coroutine outside any Task, so `asyncio.current_task()` is None
inside it: code reachable from an Invoke uses neither `asyncio.timeout`, `wait_for`
(built on it from 3.12), TaskGroup nor anything else that needs a current task
(tests/unit/test_task_free_path.py enforces this).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Coroutine
from typing import Any, Generic, TypeVar

from lambdalite.inline import InlineFuture

__all__ = ["start_eagerly"]

T = TypeVar("T")


def start_eagerly(
    loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]
) -> asyncio.Future[T]:
    """Run `coro` now up to its first wait; the returned future completes with it."""
    return _EagerRun(loop, coro).future


class _EagerRun(Generic[T]):
    __slots__ = ("_context", "_coro", "_loop", "_waiting", "future")

    def __init__(self, loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> None:
        self._loop = loop
        self._coro = coro
        self._context = contextvars.copy_context()  # as a task's: context changes stay inside
        self._waiting: asyncio.Future[Any] | None = None
        self.future: asyncio.Future[T] = loop.create_future()
        self.future.add_done_callback(self._on_done)
        self._step()

    def _resume(self, future: asyncio.Future[Any]) -> None:
        if future is self._waiting:  # the first of its callbacks (inline or scheduled)
            self._step()

    def _step(self) -> None:
        self._waiting = None
        try:
            if self.future.cancelled():
                yielded = self._context.run(self._coro.throw, asyncio.CancelledError())
            else:  # a resumed await reads its future's result
                yielded = self._context.run(self._coro.send, None)
        except StopIteration as stop:
            if not self.future.done():
                self.future.set_result(stop.value)
            return
        except asyncio.CancelledError:
            self.future.cancel()
            return
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:
            if not self.future.done():
                self.future.set_exception(exc)
            return
        if yielded is None:  # a bare yield (asyncio.sleep(0)): go round the loop once
            self._loop.call_soon(self._step)
        elif getattr(yielded, "_asyncio_future_blocking", None):
            yielded._asyncio_future_blocking = False
            self._waiting = yielded
            yielded.add_done_callback(self._resume)
            if isinstance(yielded, InlineFuture):
                yielded.add_inline_callback(self._resume)  # resumed as it resolves
        else:
            self._loop.call_soon(self._fail, RuntimeError(f"cannot wait on {yielded!r}"))

    def _fail(self, exc: BaseException) -> None:
        self._coro.close()
        if not self.future.done():
            self.future.set_exception(exc)

    def _on_done(self, future: asyncio.Future[T]) -> None:
        # Cancelled from outside (graceful shutdown's deadline): cancel what the coroutine
        # waits on, so it wakes up to a CancelledError like a cancelled task's would.
        if future.cancelled() and self._waiting is not None:
            self._waiting.cancel()
