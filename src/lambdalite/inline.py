"""Futures that resume an eagerly driven waiter inside the call that resolves them.

An asyncio future schedules its callbacks for the loop's next turn. For the group commit
that is one more lap of queueing between the COMMIT and the 202 it allows: the request's
coroutine (driven by api/eager.py) could answer at once. Such a waiter registers an inline
callback as well as the usual one; resolve() and fail() call the inline ones before
returning. Everything else awaiting the future (tasks) is woken the usual way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class InlineFuture(asyncio.Future[T], Generic[T]):
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop=loop)
        self._inline: list[Callable[[asyncio.Future[T]], None]] = []

    def add_inline_callback(self, callback: Callable[[asyncio.Future[T]], None]) -> None:
        self._inline.append(callback)

    def resolve(self, value: T) -> None:
        if not self.done():
            self.set_result(value)
            self._run_inline()

    def fail(self, exc: BaseException) -> None:
        if not self.done():
            self.set_exception(exc)
            self._run_inline()

    def _run_inline(self) -> None:
        callbacks, self._inline = self._inline, []
        for callback in callbacks:
            callback(self)
