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
from lambdalite.sandbox.node_interpreters import is_node
from lambdalite.sandbox.runtime_api.environment import RuntimeApiEnvironment, uses_runtime_api
from lambdalite.sandbox.runtime_api.node import NodeEnvironment
from lambdalite.sandbox.runtime_packages import RuntimePackages
from lambdalite.sandbox.scaling import Backlog, GrowthBucket, ScalingPolicy, Waiter
from lambdalite.sandbox.snapshot import Snapshot, Snapshots
from lambdalite.sandbox.spares import DEFAULT_SPARES, SpareRestores
from lambdalite.sandbox.types import (
    EnvironmentSpec,
    InvocationRequest,
    InvocationResult,
    LogSink,
)
from lambdalite.settling import until_done

log = logging.getLogger(__name__)

DEFAULT_IDLE_TTL_S = 600.0  # AWS reclaims idle environments after ~5-15 min (unconfirmed)
INIT_TIMEOUT_S = 10.0  # spec 8.2: on-demand init limit


# Environments linger on the CPU after an invocation (and the server spins for their answer)
# only for a lone caller: while one invocation is in flight and none ran alongside another
# for CALM_AFTER_S. It cuts a lone caller's latency by a third; under concurrent load the
# same spinning would only take CPU from the server.
LINGER_WHEN_BUSY = 1
CALM_AFTER_S = 1.0


_ENV_STATES = {State.NEW: "initializing", State.IDLE: "idle", State.BUSY: "busy"}


@dataclass(frozen=True, slots=True)
class PoolStats:
    warm: int  # idle environments ready for reuse
    busy: int  # environments running an invocation (or their cold start)
    pids: dict[str, tuple[int, ...]] = field(default_factory=dict)  # spec key -> live pids
    forkservers: dict[str, int] = field(default_factory=dict)  # interpreter -> pid
    waiting: int = 0  # queued invocations waiting for an environment
    snapshots: dict[str, int] = field(default_factory=dict)  # spec key -> SnapStart snapshot pid
    provisioned: int = 0  # pre-initialised environments (provisioned concurrency), idle or busy


@dataclass(frozen=True, slots=True)
class Provisioned:
    """What a provisioning left: how many environments are initialised, and the error
    document of the init that failed, if one did."""

    allocated: int
    failure: bytes | None = None


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
        snapstart_spares: int = DEFAULT_SPARES,
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
        self.snapshots = Snapshots(
            sink, self.clock, private_tmp=private_tmp, platform_env=self.platform_env,
            default_env=self.default_env,
        )  # fmt: skip
        # SnapStart: environments restored ahead of need, per snapshot (spares.py).
        self.spares = SpareRestores(self._make_spare, snapstart_spares)
        # Provisioned concurrency: pre-initialised environments per (spec key, qualifier),
        # outside the warm lists, so never reaped, retired or taken by other invocations.
        self._provisioned: dict[tuple[str, str], list[Environment]] = {}
        self._group_of: dict[Environment, tuple[str, str]] = {}
        # What each group should hold, so that a crashed or timed-out one is replaced.
        self._targets: dict[tuple[str, str], tuple[EnvironmentSpec, int]] = {}
        self._replacing: set[asyncio.Task[None]] = set()
        # Environments' Shutdown phases still running (their extensions get SHUTDOWN).
        self._closing: set[asyncio.Task[None]] = set()

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
        provisioned: str | None = None,
    ) -> InvocationResult:
        """Run one invocation in a warm environment, or a new one. `queued_since`: work from
        a queue, waiting there since that clock time, which waits for a busy environment
        rather than start one (scaling.py); None for a synchronous caller. `provisioned`:
        the qualifier whose provisioned environments serve it first (see provision)."""
        if self._stopped or self._tmp_root is None:
            raise RuntimeError("SandboxPool is not running")
        if provisioned is not None:
            env = self._take_provisioned((spec.key, provisioned))
            if env is not None:
                try:
                    return await env.invoke(request)
                finally:
                    self._release(env)
        backlog = self._backlogs.get(spec.key) or self._new_backlog(spec.key)
        env = self._take_warm(spec.key)
        if spec.snap_start:
            if env is None:
                env = self.spares.take(spec.key)
            self.spares.refill(spec)  # for the next cold start (if there is no spare yet)
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

    # -- SnapStart and provisioned concurrency -----------------------------------------------

    async def snapshot(self, spec: EnvironmentSpec) -> float:
        """Make the SnapStart snapshot of `spec` (a published version) now; returns its init
        time in ms. Raises SnapshotInitError (init or a before-snapshot hook failed) or
        TimeoutError."""
        assert self._tmp_root is not None
        forkserver = await self._forkserver(spec.interpreter)
        snap = await self.snapshots.ensure(spec, forkserver, self._tmp_root)
        self.spares.refill(spec)
        return snap.init_ms

    async def drop_snapshots(self, function_name: str, version: str | None = None) -> int:
        """Stop the snapshots of a deleted version (every version if None), and with them
        the environments forked from them."""
        keys: list[str] = []

        def match(snap: Snapshot) -> bool:
            if snap.function_name == function_name and version in (None, snap.function_version):
                keys.append(snap.key)
                return True
            return False

        dropped = await self.snapshots.discard(match)
        for env in self.spares.discard(keys):
            env.discard()
            self._envs.discard(env)
        return dropped

    async def provision(self, spec: EnvironmentSpec, qualifier: str, count: int) -> Provisioned:
        """Keep `count` initialised environments of `spec` for invocations of `qualifier`:
        start what is missing (concurrently, each running init now) or stop what is over.
        Stops at the first init failure, keeping what did start."""
        group = (spec.key, qualifier)
        if count > 0:
            self._targets[group] = (spec, count)
        else:
            self._targets.pop(group, None)
        envs = self._provisioned.setdefault(group, [])
        envs[:] = [e for e in envs if e.state is not State.DEAD and not e.proc.exited]
        while len(envs) > count:
            env = next((e for e in reversed(envs) if e.state is State.IDLE), envs[-1])
            envs.remove(env)
            self._group_of.pop(env, None)
            env.retired = True
            if env.state is State.IDLE:
                env.shutdown()
                self._envs.discard(env)
        missing = count - len(envs)
        failure: bytes | None = None
        if missing > 0:
            results = await asyncio.gather(
                *(self._prepare(spec) for _ in range(missing)), return_exceptions=True
            )
            for result in results:
                if isinstance(result, Environment):
                    if count == 0 or self._stopped:
                        result.shutdown()
                        self._envs.discard(result)
                        continue
                    envs.append(result)
                    self._group_of[result] = group
                elif isinstance(result, bytes):
                    failure = failure or result
                elif isinstance(result, BaseException):
                    failure = failure or str(result).encode()
        if not envs:
            self._provisioned.pop(group, None)
        return Provisioned(len(envs), failure)

    def release_provisioned(self, function_name: str, qualifier: str | None) -> int:
        """Stop the provisioned environments of `function_name` kept for `qualifier` (all
        of its qualifiers when None): its config, version or alias was deleted."""
        released = 0
        for group, envs in list(self._provisioned.items()):
            if qualifier not in (None, group[1]) or envs[:1] == []:
                continue
            if envs[0].spec.function_name != function_name:
                continue
            del self._provisioned[group]
            self._targets.pop(group, None)
            for env in envs:
                self._group_of.pop(env, None)
                env.retired = True  # a busy one stops after its invocation (_release)
                if env.state is State.IDLE:
                    env.shutdown()
                    self._envs.discard(env)
                released += 1
        for group in [g for g, (s, _) in self._targets.items() if s.function_name == function_name]:
            if qualifier in (None, group[1]):
                del self._targets[group]  # none started yet: a replacement in flight stops
        return released

    def _replace(self, group: tuple[str, str]) -> None:
        """A provisioned environment crashed, timed out or died idle: start another, so the
        allocation recovers without a new Put."""
        target = self._targets.get(group)
        if target is None or self._stopped:
            return
        task = asyncio.get_running_loop().create_task(self._replacement(group, *target))
        self._replacing.add(task)
        task.add_done_callback(self._replacing.discard)

    async def _replacement(self, group: tuple[str, str], spec: EnvironmentSpec, count: int) -> None:
        result = await self._prepare(spec)
        if not isinstance(result, Environment):
            log.warning("provisioned %s: replacement init failed", group)
            return
        envs = self._provisioned.setdefault(group, [])
        if self._targets.get(group) is None or self._stopped or len(envs) >= count:
            result.shutdown()
            self._envs.discard(result)
            return
        envs.append(result)
        self._group_of[result] = group

    def provisioned_count(self, key: str, qualifier: str) -> int:
        envs = self._provisioned.get((key, qualifier), [])
        return sum(1 for e in envs if e.state is not State.DEAD and not e.proc.exited)

    async def _prepare(self, spec: EnvironmentSpec) -> Environment | bytes:
        init_type = "snap-start" if spec.snap_start else "provisioned-concurrency"
        env = await self._start_environment(spec, init_type)
        failure = await env.prepare()
        if failure is not None:
            self._envs.discard(env)
            return failure
        return env

    async def _make_spare(self, spec: EnvironmentSpec) -> Environment | None:
        """A spare restore for spares.py: None if it failed or its snapshot is gone."""
        if self._stopped or self.snapshots.get(spec.key) is None:
            return None
        env = await self._start_environment(spec)
        if await env.prepare(spare=True) is not None:
            self._envs.discard(env)
            return None
        return env

    def _take_provisioned(self, group: tuple[str, str]) -> Environment | None:
        envs = self._provisioned.get(group, [])
        for env in list(envs):
            if env.state is State.IDLE and not env.proc.exited:
                return env
            if env.proc.exited:  # died while idle (killed from outside): replace it
                envs.remove(env)
                self._group_of.pop(env, None)
                env.discard()
                self._envs.discard(env)
                self._replace(group)
        return None

    def retire(self, function_name: str, *, key: str | None = None) -> int:
        """Stop the function's idle environments (only those of ``key`` if given) and make
        busy ones exit after their current invocation. Returns how many were affected."""
        count = 0
        for env in list(self._envs):
            if env.spec.function_name != function_name or (key and env.spec.key != key):
                continue
            if env in self._group_of or env in self.spares:
                continue  # a published version's: unchanged until its config goes (provision)
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
        await self.spares.stop()
        for task in list(self._replacing):
            task.cancel()
        await asyncio.gather(*list(self._replacing), return_exceptions=True)
        envs = list(self._envs)
        for env in envs:
            env.proc.signal(signal.SIGTERM)
            env.stop_extensions()
        exits: list[asyncio.Future[None]] = [env.proc.wait_exit() for env in envs]
        exits += self._closing
        if exits:
            await asyncio.wait(exits, timeout=grace_s)
        for env in envs:
            env.discard()
        await self.settle()
        self._envs.clear()
        self._idle.clear()
        self._provisioned.clear()
        self._group_of.clear()
        await self.snapshots.stop()
        await asyncio.gather(*(fs.stop(grace_s) for fs in self._forkservers.values()))
        self._forkservers.clear()
        for _ in range(3):
            await asyncio.sleep(0)  # let the loop finish closing the channels' transports
        if self._tmp_dir is not None:
            self._tmp_dir.cleanup()
            self._tmp_dir = None

    async def settle(self) -> None:
        """The drain hook for extensions: wait for Shutdown phases in progress, and send the
        Telemetry API batches due by the clock."""
        for env in list(self._envs):
            if env.extensions is not None:
                await env.extensions.telemetry.flush_due()
        await self.spares.settle()
        await until_done(lambda: self._replacing)
        await until_done(lambda: self._closing)
        self._closing.difference_update([t for t in self._closing if t.done()])

    def _track_closing(self, task: asyncio.Task[None]) -> None:
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

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
        return PoolStats(
            warm, busy, {k: tuple(v) for k, v in pids.items()}, forkservers, waiting,
            self.snapshots.pids(), len(self._group_of),
        )  # fmt: skip

    def environments(self) -> dict[tuple[str, str], int]:
        """Live environments by (function name, state): initializing (a cold start),
        idle (warm) or busy. Read-only, for the Prometheus scrape."""
        out: dict[tuple[str, str], int] = {}
        for env in self._envs:
            state = _ENV_STATES.get(env.state)
            if state is not None:
                key = (env.spec.function_name, state)
                out[key] = out.get(key, 0) + 1
        return out

    # -- internals -------------------------------------------------------------------------

    async def _start_environment(
        self, spec: EnvironmentSpec, init_type: str = "on-demand"
    ) -> Environment:
        assert self._tmp_root is not None
        forkserver = launcher = await self._forkserver(spec.interpreter)
        restores = spec.snap_start
        if restores:  # forked from the version's snapshot (made again if it died)
            forkserver = (await self.snapshots.ensure(spec, forkserver, self._tmp_root)).client
            init_type = "snap-start"
        kind: type[Environment] = Environment
        if is_node(spec.runtime):
            kind = NodeEnvironment
        elif uses_runtime_api(spec.runtime):
            kind = RuntimeApiEnvironment
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
            init_type=init_type,
            restores=restores,
            launcher=launcher,
        )
        env.on_closing = self._track_closing
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
        group = self._group_of.get(env)
        if group is not None:
            if env.state is State.IDLE and not self._stopped:
                return  # stays in its provisioned list
            self._group_of.pop(env, None)
            envs = self._provisioned.get(group)
            if envs is not None and env in envs:
                envs.remove(env)
                if not self._stopped:
                    self._replace(group)
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
