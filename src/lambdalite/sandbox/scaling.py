"""How many environments a queue's work may have: new ones follow the backlog.

A synchronous caller waits on the line, so when no warm environment of its function is free
it gets a fresh one at once (AWS's behaviour, up to the concurrency limits checked before
the pool). Work taken from a queue (Event invokes now, event-source pollers later) has no
caller waiting: AWS's pollers do not start an environment per queued item, they add
concurrency while a backlog persists (spec 4.4.2: SQS pollers start with 5 concurrent
batches and add up to 300 a minute). Forking one environment per concurrently running
round instead is what took a burst of 2,000 no-op events to ~60 processes and ~0.9 GB on a
2-core machine (issue 13), where a handful of warm environments kept up with the same
events sent slowly.

The policy, per environment key (one function revision), for a queued invocation:

1. an idle warm environment is taken at once;
2. if none of the key's environments is running either, one is started at once: a queue
   never waits for an environment that is not coming;
3. otherwise it waits, first in first out, for a running environment to finish;
4. when the waiter first in line has waited `patience_s` of clock time, counted from when
   its work was queued (an Event's accept, not its arrival at the pool: a backlog still in
   the store counts too; a retry counts from its round), the backlog has outlasted what the
   warm environments absorb, and one new environment is started for it, if the key's
   growth bucket has a token. The bucket holds `burst` tokens and refills at `per_minute`
   a minute; unused rate does not accumulate past `burst`;
5. an environment that dies (crash, timeout, retirement) while invocations wait is
   replaced at once, without a token: that is not growth.

Every time here is the platform clock's (lambdalite.clock), so a virtual clock drives the
growth in tests and `--clock 60` speeds it up with everything else.
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ScalingPolicy:
    patience_s: float = 0.1  # lambdalite's choice: AWS does not publish its pollers' reaction
    burst: int = 5  # spec 4.4.2: pollers start at 5 concurrent batches
    per_minute: float = 300.0  # spec 4.4.2: and add up to 300 concurrent invocations a minute


class GrowthBucket:
    """Tokens for new environments: `burst` at most, refilled continuously."""

    def __init__(self, policy: ScalingPolicy, now: float) -> None:
        self._capacity = float(policy.burst)
        self._per_s = policy.per_minute / 60.0
        self._tokens = self._capacity
        self._at = now

    def _refill(self, now: float) -> None:
        if now > self._at:
            self._tokens = min(self._capacity, self._tokens + (now - self._at) * self._per_s)
        self._at = now  # a clock that stepped back refills nothing

    def ready_at(self, now: float) -> float:
        """When a token is (or was) available."""
        self._refill(now)
        if self._tokens >= 1.0 or self._per_s <= 0:
            return now if self._tokens >= 1.0 else float("inf")
        return now + (1.0 - self._tokens) / self._per_s

    def take(self, now: float) -> bool:
        self._refill(now)
        if self._tokens < 1.0:
            return False
        self._tokens -= 1.0
        return True


@dataclass(slots=True)
class Waiter(Generic[T]):
    since: float  # clock time it started waiting
    turn: asyncio.Future[T | None]  # an environment, or None: start one


@dataclass(slots=True)
class Backlog(Generic[T]):
    """One key's queued invocations waiting for an environment, and its growth state."""

    bucket: GrowthBucket
    running: int = 0  # turns held: invocations in an environment or handed one, not resumed
    waiters: deque[Waiter[T]] = field(default_factory=deque)
    grower: asyncio.Task[None] | None = None

    def head(self) -> Waiter[T] | None:
        """The oldest waiter still waiting (cancelled ones are dropped)."""
        waiters = self.waiters
        while waiters and waiters[0].turn.done():
            waiters.popleft()
        return waiters[0] if waiters else None

    def hand(self, what: T | None) -> bool:
        """Give the oldest waiter its turn; False if nobody waits."""
        head = self.head()
        if head is None:
            return False
        self.waiters.popleft()
        head.turn.set_result(what)
        return True

    @property
    def idle(self) -> bool:
        return not self.running and self.head() is None and self.grower is None
