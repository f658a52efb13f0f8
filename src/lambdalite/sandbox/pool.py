"""SandboxPool: warm execution environments per spec key, cold starts through fork servers.

Warm environments are reused most-recently-used first and reaped after an idle TTL. The
pool does no concurrency admission: the caller decides how many invocations may run; the
pool only guarantees one invocation at a time per environment.
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

from lambdalite.sandbox.environment import Environment, State
from lambdalite.sandbox.forkserver import ForkServerClient
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
        interpreter: str = sys.executable,
    ) -> None:
        self.sink = sink
        self.idle_ttl_s = idle_ttl_s
        self.reap_interval_s = reap_interval_s or max(0.05, min(idle_ttl_s / 2, 30.0))
        self.init_timeout_s = init_timeout_s
        self.private_tmp = private_tmp
        self.platform_env = dict(platform_env or {})
        self.interpreter = interpreter
        self._tmp_root = tmp_root
        self._tmp_dir: tempfile.TemporaryDirectory[str] | None = None
        self._forkservers: dict[str, ForkServerClient] = {}
        self._starting: dict[str, asyncio.Future[ForkServerClient]] = {}
        self._idle: dict[str, list[Environment]] = {}
        self._envs: set[Environment] = set()
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

    async def invoke(self, spec: EnvironmentSpec, request: InvocationRequest) -> InvocationResult:
        if self._stopped or self._tmp_root is None:
            raise RuntimeError("SandboxPool is not running")
        env = self._take_warm(spec.key)
        if env is None:
            forkserver = await self._forkserver(spec.interpreter)
            env = Environment(
                spec,
                forkserver,
                self.sink,
                tmp_root=self._tmp_root,
                private_tmp=self.private_tmp,
                platform_env=self.platform_env,
                init_timeout_s=self.init_timeout_s,
            )
            self._envs.add(env)
        self._busy += 1
        now = time.monotonic()
        if self._busy > LINGER_WHEN_BUSY:
            self._crowded_at = now
        calm = now - self._crowded_at > CALM_AFTER_S
        try:
            return await env.invoke(request, linger=calm)
        finally:
            self._busy -= 1
            self._release(env)

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
        return PoolStats(warm, busy, {k: tuple(v) for k, v in pids.items()}, forkservers)

    # -- internals -------------------------------------------------------------------------

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
            fs = ForkServerClient(interpreter)
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
