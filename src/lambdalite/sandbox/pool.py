"""SandboxPool: warm execution environments per spec key, cold starts through fork servers.

Warm environments are reused most-recently-used first and reaped after an idle TTL. The
pool does no concurrency admission: the caller decides how many invocations may run; the
pool only guarantees one invocation at a time per environment. A synchronous invocation
that finds no warm environment free gets a new one at once; a queued one (Event invokes,
pollers) waits for a busy one, and new environments follow its backlog (scaling.py).
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from lambdalite.clock import Clock, SystemClock
from lambdalite.sandbox.environment import Environment, State
from lambdalite.sandbox.forkserver import ForkServerClient
from lambdalite.sandbox.runtime_api.environment import RuntimeApiEnvironment, uses_runtime_api
from lambdalite.sandbox.runtime_packages import RuntimePackages
from lambdalite.sandbox.scaling import Backlog, GrowthBucket, ScalingPolicy, Waiter
from lambdalite.sandbox.types import (
    EnvironmentSpec,
    InvocationRequest,
    InvocationResult,
    LogSink,
)

log = logging.getLogger(__name__)

DEFAULT_IDLE_TTL_S = 600.0  # AWS reclaims idle environments after ~5-15 min (unconfirmed)
INIT_TIMEOUT_S = 10.0  # spec 8.2: on-demand init limit


# Environments linger on the CPU after an invocation (and the server spins for their answer)
# only for a lone caller: while one invocation is in flight and none ran alongside another
# for CALM_AFTER_S. It cuts a lone caller's latency by a third; under concurrent load the
# same spinning would only take CPU from the server.
LINGER_WHEN_BUSY = 1
CALM_AFTER_S = 1.0


@dataclass(frozen=True, slots=True)
class PoolStats:
    warm: int  # idle environments ready for reuse
    busy: int  # environments running an invocation (or their cold start)
    pids: dict[str, tuple[int, ...]] = field(default_factory=dict)  # spec key -> live pids
    forkservers: dict[str, int] = field(default_factory=dict)  # interpreter -> pid
    waiting: int = 0  # queued invocations waiting for an environment


class SandboxPool:
    def __init__(
        self,
        sink: LogSink,
        *,
        idle_ttl_s: float = DEFAULT_IDLE_TTL_S,
        reap_interval_s: float | None = None,
        init_timeout_s: float = INIT_TIMEOUT_S,
        tmp_root: Path | None = None,
        private_tmp: bool = True,
        platform_env: Mapping[str, str] | None = None,
        default_env: Mapping[str, str] | None = None,
        packages: RuntimePackages | None = None,
        interpreter: str = sys.executable,
        clock: Clock | None = None,
        scaling: ScalingPolicy | None = None,
    ) -> None:
        self.sink = sink
        self.idle_ttl_s = idle_ttl_s
        self.reap_interval_s = reap_interval_s or max(0.05, min(idle_ttl_s / 2, 30.0))
        self.init_timeout_s = init_timeout_s
        self.private_tmp = private_tmp
        self.platform_env = dict(platform_env or {})
        self.default_env = dict(default_env or {})  # below the function's own variables
        self.packages = packages  # boto3 & co. for function code; None: none
        self.interpreter = interpreter
        self.clock = clock or SystemClock()
        self.scaling = scaling or ScalingPolicy()
        self._tmp_root = tmp_root
        self._tmp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._forkservers: dict[str, ForkServerClient] = {}
        self._starting: dict[str, asyncio.Future[ForkServerClient]] = {}
        self._idle: dict[str, list[Environment]] = {}
        self._envs: set[Environment] = set()
        self._backlogs: dict[str, Backlog[Environment]] = {}
        self._reaper: asyncio.TimerHandle | None = None
        self._stopped = False
        self._busy = 0
        self._crowded_at = 0.0

    async def start(self) -> None:
        """Start the server interpreter's fork server now (others start on first use)."""
        if self._tmp_root is None:
            self._tmp_dir = tempfile.TemporaryDirectory(prefix="lambdalite-env-")
            self._tmp_root = Path(self._tmp_dir.name)
        self._tmp_root.mkdir(parents=True, exist_ok=True)
        await self._forkserver(self.interpreter)
        self._schedule_reaper()

    async def invoke(
        self,
        spec: EnvironmentSpec,
        request: InvocationRequest,
        *,
        queued_since: float | None = None,
    ) -> InvocationResult:
        """Run one invocation in a warm environment, or a new one. `queued_since`: work from
        a queue, waiting there since that clock time, which waits for a busy environment
        rather than start one (scaling.py); None for a synchronous caller."""
        if self._stopped or self._tmp_root is None:
            raise RuntimeError("SandboxPool is not running")
        backlog = self._backlogs.get(spec.key) or self._new_backlog(spec.key)
        env = self._take_warm(spec.key)
        if env is None and queued_since is not None and backlog.running:
            env = await self._wait_turn(backlog, queued_since)  # counted when handed over
        else:
            backlog.running += 1
        try:
            if env is None:
                env = await self._start_environment(spec)
            self._busy += 1
            now = time.monotonic()
            if self._busy > LINGER_WHEN_BUSY:
                self._crowded_at = now
            calm = now - self._crowded_at > CALM_AFTER_S
            try:
                return await env.invoke(request, linger=calm)
            finally:
                self._busy -= 1
        finally:
            self._pass_turn(backlog, env)

    def retire(self, function_name: str, *, key: str | None = None) -> int:
        """Stop the function's idle environments (only those of ``key`` if given) and make
        busy ones exit after their current invocation. Returns how many were affected."""
        count = 0
        for env in list(self._envs):
            if env.spec.function_name != function_name or (key and env.spec.key != key):
                continue
            count += 1
            env.retired = True
            if env.state is State.IDLE:
                self._remove_idle(env)
                env.shutdown()
                self._envs.discard(env)
        return count

    async def reap_idle(self, now: float | None = None) -> int:
        """Stop environments idle for longer than the TTL (``now``: a time.monotonic value)."""
        return self._reap(time.monotonic() if now is None else now)

    async def stop(self, grace_s: float = 2.0) -> None:
        """SIGTERM every environment, SIGKILL what is left after ``grace_s``, stop fork
        servers. In-flight invocations end with Runtime.ExitError results."""
        self._stopped = True
        if self._reaper is not None:
            self._reaper.cancel()
        await self._stop_backlogs()
        envs = list(self._envs)
        for env in envs:
            env.proc.signal(signal.SIGTERM)
        exits = [env.proc.wait_exit() for env in envs]
        if exits:
            await asyncio.wait(exits, timeout=grace_s)
        for env in envs:
            env.discard()
        self._envs.clear()
        self._idle.clear()
        await asyncio.gather(*(fs.stop(grace_s) for fs in self._forkservers.values()))
        self._forkservers.clear()
        for _ in range(3):
            await asyncio.sleep(0)  # let the loop finish closing the channels' transports
        if self._tmp_dir is not None:
            self._tmp_dir.cleanup()
            self._tmp_dir = None

    def stats(self) -> PoolStats:
        warm = busy = 0
        pids: dict[str, list[int]] = {}
        for env in self._envs:
            if env.state is State.IDLE:
                warm += 1
            elif env.state in (State.BUSY, State.NEW):
                busy += 1
            if env.pid is not None and not env.proc.exited:
                pids.setdefault(env.spec.key, []).append(env.pid)
        forkservers = {
            interp: fs.pid for interp, fs in self._forkservers.items() if fs.pid is not None
        }
        waiting = sum(not w.turn.done() for b in self._backlogs.values() for w in b.waiters)
        return PoolStats(warm, busy, {k: tuple(v) for k, v in pids.items()}, forkservers, waiting)

    # -- internals -------------------------------------------------------------------------

    async def _start_environment(self, spec: EnvironmentSpec) -> Environment:
        assert self._tmp_root is not None
        forkserver = await self._forkserver(spec.interpreter)
        kind = RuntimeApiEnvironment if uses_runtime_api(spec.runtime) else Environment
        env = kind(
            spec,
            forkserver,
            self.sink,
            tmp_root=self._tmp_root,
            private_tmp=self.private_tmp,
            platform_env=self.platform_env,
            default_env=self.default_env,
            init_timeout_s=self.init_timeout_s,
            clock=self.clock,
        )
        self._envs.add(env)
        return env

    # -- queued invocations: waiting for a turn, growth (policy in scaling.py) --------------

    def _new_backlog(self, key: str) -> Backlog[Environment]:
        backlog: Backlog[Environment] = Backlog(GrowthBucket(self.scaling, self.clock.now()))
        self._backlogs[key] = backlog
        return backlog

    async def _wait_turn(self, backlog: Backlog[Environment], since: float) -> Environment | None:
        """Wait until a finishing invocation hands over its environment (None: start one)."""
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[Environment | None] = loop.create_future()
        backlog.waiters.append(Waiter(min(since, self.clock.now()), turn))
        if backlog.grower is None:
            backlog.grower = loop.create_task(self._grow(backlog))
        try:
            return await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():  # handed over, then cancelled: pass on
                self._pass_turn(backlog, turn.result())
            raise

    def _pass_turn(self, backlog: Backlog[Environment], env: Environment | None) -> None:
        """An invocation is over: its environment goes to the oldest waiter (or, if it cannot
        serve again, a fresh start does), else back to the warm list."""
        if backlog.head() is None:
            backlog.running -= 1
            if env is not None:
                self._release(env)
            return
        if env is not None and not self._reusable(env):
            self._release(env)
            env = None
        backlog.hand(env)

    def _reusable(self, env: Environment) -> bool:
        return (
            env.state is State.IDLE
            and not env.retired
            and not env.proc.exited
            and not self._stopped
        )

    async def _grow(self, backlog: Backlog[Environment]) -> None:
        """Give the oldest waiter a new environment once it has waited the policy's patience
        and the growth bucket has a token; run while anyone waits."""
        try:
            while (head := backlog.head()) is not None:
                now = self.clock.now()
                due = max(head.since + self.scaling.patience_s, backlog.bucket.ready_at(now))
                if due > now:
                    await self.clock.sleep_until(due)
                elif backlog.bucket.take(now):
                    backlog.running += 1
                    backlog.hand(None)
        finally:
            backlog.grower = None

    async def _stop_backlogs(self) -> None:
        growers = [b.grower for b in self._backlogs.values() if b.grower is not None]
        for grower in growers:
            grower.cancel()
        await asyncio.gather(*growers, return_exceptions=True)
        for backlog in self._backlogs.values():
            while (head := backlog.head()) is not None:
                backlog.waiters.popleft()
                head.turn.set_exception(RuntimeError("SandboxPool stopped"))
        self._backlogs.clear()

    def _take_warm(self, key: str) -> Environment | None:
        idle = self._idle.get(key)
        while idle:
            env = idle.pop()  # most recently used first: its caches are the hottest
            if env.state is State.IDLE and not env.proc.exited:
                return env
            self._envs.discard(env)
        return None

    def _release(self, env: Environment) -> None:
        if env.state is State.IDLE and not env.retired and not self._stopped:
            self._idle.setdefault(env.spec.key, []).append(env)
            return
        if env.state is not State.DEAD:
            env.shutdown()
        self._envs.discard(env)

    def _remove_idle(self, env: Environment) -> None:
        idle = self._idle.get(env.spec.key)
        if idle and env in idle:
            idle.remove(env)

    def _reap(self, now: float) -> int:
        reaped = 0
        for key, idle in list(self._idle.items()):
            keep = [e for e in idle if e.last_used + self.idle_ttl_s > now]
            for env in idle:
                if env not in keep:
                    env.shutdown()
                    self._envs.discard(env)
                    reaped += 1
            if keep:
                self._idle[key] = keep
            else:
                del self._idle[key]
        for key, backlog in list(self._backlogs.items()):
            if backlog.idle and key not in self._idle:
                del self._backlogs[key]  # a full bucket again: it would have refilled by now
        return reaped

    def _schedule_reaper(self) -> None:
        loop = asyncio.get_running_loop()
        self._reaper = loop.call_later(self.reap_interval_s, self._reap_tick)

    def _reap_tick(self) -> None:
        if self._stopped:
            return
        self._reap(time.monotonic())
        self._schedule_reaper()

    async def _forkserver(self, interpreter: str) -> ForkServerClient:
        fs = self._forkservers.get(interpreter)
        if fs is not None and fs.alive:
            return fs
        pending = self._starting.get(interpreter)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[ForkServerClient] = asyncio.get_running_loop().create_future()
        self._starting[interpreter] = fut
        try:
            packages = None
            if self.packages is not None:
                packages = await self.packages.directory_for(interpreter)
            fs = ForkServerClient(interpreter, packages)
            await fs.start(self.init_timeout_s)
            self._forkservers[interpreter] = fs
            fut.set_result(fs)
            return fs
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            del self._starting[interpreter]
