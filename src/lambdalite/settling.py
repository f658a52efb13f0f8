"""Waiting for background tasks that other tasks may add to while we wait (the drain hook's
building block).

Judged by each task's `done()`, never by its collection emptying: a finished task leaves a
set or dict only through a done callback, which runs a loop turn after the task ends (and,
for a task whose loop has stopped, never), so `while tasks: await gather(...)` can spin.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any


async def until_done(tasks: Callable[[], Iterable[asyncio.Future[Any]]]) -> None:
    """Return once every task `tasks()` yields is done, asking again after each wait so that
    tasks started meanwhile are waited for too. Their exceptions are theirs to report."""
    while pending := [t for t in tasks() if not t.done()]:
        await asyncio.gather(*pending, return_exceptions=True)
