"""SnapStart snapshots: one initialised process per published version, forked from.

AWS snapshots a microVM after init; here the snapshot is a process. The interpreter's fork
server forks it (op "template", runtime/forkserver.py); it imports the handler, runs the
before-snapshot hooks, then serves the fork-server protocol itself, so every environment
of that version is a fork of an initialised process: a restore costs a fork plus the
after-restore hooks, never the function's init again.

Memory: a snapshot holds what the function's init built (its RSS: the interpreter, the
handler's imports and module state) for as long as its version exists; environments share
those pages copy-on-write, so each pays only for the pages it writes to.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lambdalite.clock import Clock
from lambdalite.sandbox.environment import process_cfg
from lambdalite.sandbox.envvars import log_group
from lambdalite.sandbox.forkserver import ForkServerClient
from lambdalite.sandbox.logstream import LogStream, stream_name
from lambdalite.sandbox.platform_lines import platform_lines
from lambdalite.sandbox.types import EnvironmentSpec, LogSink

# spec 8.2: SnapStart init is not bound by the 10 s on-demand limit but by 130 s or the
# function's timeout, whichever is higher.
SNAPSHOT_INIT_MIN_S = 130.0


@dataclass(slots=True)
class Snapshot:
    key: str
    function_name: str
    function_version: str
    client: ForkServerClient  # the snapshot process, as a fork server
    pid: int
    init_ms: float
    tmp_dir: Path


class Snapshots:
    """The pool's snapshots, by environment spec key."""

    def __init__(
        self,
        sink: LogSink,
        clock: Clock,
        *,
        private_tmp: bool,
        platform_env: Mapping[str, str],
        default_env: Mapping[str, str],
    ) -> None:
        self._sink = sink
        self._clock = clock
        self._private_tmp = private_tmp
        self._platform_env = platform_env
        self._default_env = default_env
        self._ready: dict[str, Snapshot] = {}
        self._making: dict[str, asyncio.Future[Snapshot]] = {}

    def get(self, key: str) -> Snapshot | None:
        snap = self._ready.get(key)
        return snap if snap is not None and snap.client.alive else None

    def pids(self) -> dict[str, int]:
        return {key: snap.pid for key, snap in self._ready.items()}

    async def ensure(
        self, spec: EnvironmentSpec, forkserver: ForkServerClient, tmp_root: Path
    ) -> Snapshot:
        """The version's snapshot, made now if there is none (or it died): concurrent
        callers share one making. Raises SnapshotInitError when init or a before-snapshot
        hook fails, TimeoutError past the init limit."""
        snap = self.get(spec.key)
        if snap is not None:
            return snap
        pending = self._making.get(spec.key)
        if pending is not None:
            return await asyncio.shield(pending)
        fut: asyncio.Future[Snapshot] = asyncio.get_running_loop().create_future()
        self._making[spec.key] = fut
        try:
            snap = await self._make(spec, forkserver, tmp_root)
            self._ready[spec.key] = snap
            fut.set_result(snap)
            return snap
        except BaseException as e:
            fut.set_exception(e)
            fut.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self._making[spec.key]

    async def _make(
        self, spec: EnvironmentSpec, forkserver: ForkServerClient, tmp_root: Path
    ) -> Snapshot:
        sid = uuid.uuid4().hex
        now = self._clock.now
        name = stream_name(spec.function_version, sid, now())
        log = LogStream(self._sink, log_group(spec), name, now)
        lines = platform_lines(spec.log_format, spec.system_log_level, now)
        tmp_dir = tmp_root / f"snapshot-{sid}"
        tmp_dir.mkdir(parents=True, exist_ok=True)
        pycache = tmp_root / f"snapshot-{sid}.pycache" if spec.code_is_local else None
        cfg = process_cfg(
            spec, log.name, tmp_dir, pycache, forkserver.packages,
            private_tmp=self._private_tmp, platform_env=self._platform_env,
            default_env=self._default_env, init_type="snap-start",
        )  # fmt: skip
        names = (spec.runtime, spec.region, spec.function_name, spec.function_version)
        log.line(*lines.init_start(*names, init_type="snap-start"))
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pipe = _LogPipe(log)
        started = time.perf_counter()
        client = ForkServerClient(spec.interpreter, forkserver.packages)
        pid = 0
        try:
            try:
                spawned = await forkserver.spawn_template(
                    cfg, (theirs.fileno(), pipe.write_fd), self._on_exit(spec.key)
                )
            finally:
                theirs.close()
                pipe.close_write()
            pid = spawned.pid
            if spawned.pidfd is not None:
                os.close(spawned.pidfd)
            await client.attach(ours, max(SNAPSHOT_INIT_MIN_S, float(spec.timeout_s)))
        except BaseException as e:
            init_ms = (time.perf_counter() - started) * 1000
            _kill(pid)
            status = "timeout" if isinstance(e, TimeoutError) else "error"
            await pipe.drain()
            log.line(
                *lines.init_report(init_ms, status, getattr(e, "error_type", None), "snap-start")
            )
            log.flush()
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
        init_ms = (time.perf_counter() - started) * 1000
        await asyncio.sleep(0)  # the init's output, written before hello, is read first
        log.line(*lines.init_report(init_ms, "success", None, "snap-start"))
        log.flush()
        return Snapshot(
            spec.key, spec.function_name, spec.function_version, client, pid, init_ms, tmp_dir
        )

    def _on_exit(self, key: str) -> Callable[[int | None], None]:
        def exited(_code: int | None) -> None:
            snap = self._ready.get(key)
            if snap is not None and not snap.client.alive:
                self._ready.pop(key, None)

        return exited

    async def discard(self, match: Callable[[Snapshot], bool]) -> int:
        """Stop the snapshots `match` selects: closing its channel makes a snapshot kill
        the environments forked from it and exit."""
        gone = [snap for snap in self._ready.values() if match(snap)]
        for snap in gone:
            del self._ready[snap.key]
        await asyncio.gather(*(self._stop(snap) for snap in gone))
        return len(gone)

    async def stop(self) -> None:
        await self.discard(lambda snap: True)

    async def _stop(self, snap: Snapshot) -> None:
        await snap.client.stop(1.0)  # EOF: it kills its environments and exits
        shutil.rmtree(snap.tmp_dir, ignore_errors=True)


def _kill(pid: int) -> None:
    if pid > 0:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass


class _LogPipe:
    """The snapshot's stdout and stderr, read into its log stream for as long as it lives."""

    def __init__(self, log: LogStream) -> None:
        self._log = log
        self._loop = asyncio.get_running_loop()
        self._read_fd, self.write_fd = os.pipe()
        os.set_blocking(self._read_fd, False)
        self.open = True
        self._loop.add_reader(self._read_fd, self._read)

    def close_write(self) -> None:
        os.close(self.write_fd)

    def _read(self) -> None:
        try:
            data = os.read(self._read_fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if data:
            self._log.feed(data)
            return
        self._loop.remove_reader(self._read_fd)
        os.close(self._read_fd)
        self.open = False
        self._log.flush()

    async def drain(self) -> None:
        """Give the reader a few loop turns to take a failed init's last output."""
        for _ in range(20):
            if not self.open:
                return
            await asyncio.sleep(0.005)
