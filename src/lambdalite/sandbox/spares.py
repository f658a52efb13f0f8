"""Spare SnapStart restores: environments restored from a snapshot ahead of need.

A restore is a fork of the snapshot (whose cost grows with the snapshot's heap: the page
tables are copied) plus the environment's own set-up and the after-restore hooks. Keeping
one environment per snapshot restored in advance takes all of it off the path of the cold
start that comes next, which then waits for a hand-over only.

What stays as AWS has it: each spare is a new environment whose after-restore hooks ran once,
in it, before any invocation; its first invocation's REPORT gives the Restore Duration that
environment really took (measured when it happened, Environment.prepare); its lines (the
RESTORE_START and RESTORE_REPORT, the hooks' output) are held until that invocation, so a
spare nobody uses leaves no log stream. A spare whose restore failed is dropped silently
(no invocation saw it) and its snapshot gets no more spares: the invocations that follow
restore on demand and report the failure themselves.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable

from lambdalite.sandbox.environment import Environment, State
from lambdalite.sandbox.types import EnvironmentSpec
from lambdalite.settling import until_done

DEFAULT_SPARES = 1  # per snapshot

MakeSpare = Callable[[EnvironmentSpec], Awaitable[Environment | None]]


class SpareRestores:
    def __init__(self, make: MakeSpare, count: int = DEFAULT_SPARES) -> None:
        self._make = make  # restores one (None: its restore failed, or it may not be made)
        self.count = count
        self._spares: dict[str, list[Environment]] = {}
        self._making: dict[str, asyncio.Task[None]] = {}
        self._failed: set[str] = set()  # spec keys whose spare restore failed
        self._stopped = False

    def __contains__(self, env: Environment) -> bool:
        return env in self._spares.get(env.spec.key, ())

    def take(self, key: str) -> Environment | None:
        """A restored environment for the next invocation of `key`, if one is ready."""
        spares = self._spares.get(key)
        while spares:
            env = spares.pop()
            if env.state is State.IDLE and not env.proc.exited:
                env.hand_over()
                return env
            env.discard()
        return None

    def refill(self, spec: EnvironmentSpec) -> None:
        """Restore spares of `spec` in the background, up to the count."""
        key = spec.key
        if self._stopped or key in self._making or key in self._failed:
            return
        live = [e for e in self._spares.get(key, ()) if e.state is State.IDLE]
        if len(live) >= self.count:
            return
        task = asyncio.get_running_loop().create_task(self._fill(spec, self.count - len(live)))
        self._making[key] = task
        task.add_done_callback(lambda _t: self._making.pop(key, None))

    async def _fill(self, spec: EnvironmentSpec, missing: int) -> None:
        for _ in range(missing):  # one at a time: each fork is the snapshot's whole attention
            env = await self._make(spec)
            if env is None:
                self._failed.add(spec.key)
                return
            if self._stopped:
                env.shutdown()
                return
            self._spares.setdefault(spec.key, []).append(env)

    def discard(self, keys: Iterable[str]) -> list[Environment]:
        """Forget the spares of `keys` (their snapshot is gone); returns them."""
        gone: list[Environment] = []
        for key in keys:
            gone += self._spares.pop(key, [])
            self._failed.discard(key)
            task = self._making.pop(key, None)
            if task is not None:
                task.cancel()
        return gone

    async def settle(self) -> None:
        """Wait for the restores in progress (the drain hook: deterministic tests)."""
        await until_done(self._making.values)

    async def stop(self) -> None:
        self._stopped = True
        tasks = list(self._making.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._spares.clear()
