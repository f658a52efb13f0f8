"""Fast-forwarding a virtual clock through a span of time, so that everything falling due
in it runs at its own time.

One jump of the clock over an hour runs a retry due in one minute an hour late, and the
retry it schedules (two minutes after that) is then still in the future: a test would have
to know the schedule to step through it. Fast-forwarding instead jumps to the earliest
deadline anything sleeps until, lets the work due then settle (a drain), and repeats until
the span is covered, as trio's autojumping MockClock does; idle time costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from lambdalite.clock import VirtualClock

MAX_STEPS = 100_000  # a loop that keeps rescheduling itself at the same instant stops here

Drain = Callable[[float], Awaitable[bool]]  # drain(timeout_s) -> settled in time


async def fast_forward(clock: VirtualClock, seconds: float, drain: Drain, timeout_s: float) -> bool:
    """Move `clock` forward by `seconds`, stopping at every deadline on the way to drain;
    False when a drain (or all of them together) took longer than `timeout_s` of wall time."""
    if seconds < 0:
        raise ValueError("a clock cannot go backwards")
    target = clock.now() + seconds
    give_up = time.monotonic() + timeout_s
    for _ in range(MAX_STEPS):
        if not await drain(max(give_up - time.monotonic(), 0.0)):
            return False
        deadline = clock.next_deadline()
        if deadline is None or deadline > target:
            break
        clock.advance(max(deadline - clock.now(), 0.0))
    clock.advance(max(target - clock.now(), 0.0))
    return await drain(max(give_up - time.monotonic(), 0.0))
