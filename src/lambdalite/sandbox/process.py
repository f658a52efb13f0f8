"""The server's handle on one environment process: channels, signals, deadline, watchdog.

Every wait ends through one future (``arm``/``wait``): a frame from the runtime, the
deadline (then SIGKILL), the memory watchdog (then SIGKILL) or the process's death reported
by the fork server. No task is spawned per invocation.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from lambdalite.sandbox.forkserver import ForkServerClient
from lambdalite.sandbox.outcomes import MAX_RESPONSE, OOM_KILLED
from lambdalite.sandbox.protocol import Frame, FrameReader, ProtocolError, frame_parts

_PAGE = os.sysconf("SC_PAGE_SIZE")
_PIPE_SIZE = 1 << 20  # fewer wake-ups when a handler floods its output
_READ_CHUNK = 1 << 18
WATCHDOG_FIRST_S = 0.003  # invocations shorter than this are never sampled
WATCHDOG_EVERY_S = 0.01
_EOF_GRACE_S = 0.2  # after an exit, how long to wait for frames still in flight


@dataclass(slots=True)  # not frozen: built per invocation (see sandbox/types.py)
class Outcome:
    frame: Frame | None = None
    timed_out: bool = False
    died: bool = False
    exit_code: int | None = None  # negative: killed by that signal; None: unknown


class EnvProcess(asyncio.Protocol):
    def __init__(self, on_output: Callable[[bytes], None], memory_limit_mb: int) -> None:
        self.pid: int | None = None
        self._loop = asyncio.get_running_loop()
        self.exit_code: int | None = None
        self.exited = False
        self.max_rss = 0  # bytes, from watchdog samples and the runtime's ru_maxrss
        self._on_output = on_output
        self._limit = memory_limit_mb * 1024 * 1024
        self._pidfd: int | None = None
        self._transport: asyncio.ReadTransport | None = None  # answers (frames) from it
        self._requests: asyncio.WriteTransport | None = None
        self._channel_fd = -1
        self._reader = FrameReader(MAX_RESPONSE)
        self._log_fd: int | None = None
        self._log_poll = select.poll()
        self._eof = False
        self._deadline_passed = False
        self._waiter: asyncio.Future[Outcome] | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._deadline = 0.0
        self._watch_memory = True
        self._forkserver: ForkServerClient | None = None
        self._exit_waiters: list[asyncio.Future[None]] = []
        self._exec_status: int | None = None  # channel-less processes: exec's failure

    async def spawn(
        self, forkserver: ForkServerClient, cfg: dict[str, Any], channel: bool = True
    ) -> None:
        """Start the process. `channel`: it speaks frames on the pipes (the Python runtime);
        without, it execs cfg["exec"] and answers through `deliver` (the Runtime API), and
        the answer pipe only reports a failed exec (read it with `exec_error`)."""
        if not channel:
            await self._spawn_exec(forkserver, cfg)
            return
        loop = self._loop
        request_r, request_w = os.pipe()
        answer_r, answer_w = os.pipe()
        log_r, log_w = os.pipe()
        try:
            fcntl.fcntl(log_r, fcntl.F_SETPIPE_SZ, _PIPE_SIZE)
        except OSError:
            pass
        os.set_blocking(log_r, False)
        self._log_fd = log_r
        self._log_poll.register(log_r, select.POLLIN)
        loop.add_reader(log_r, self._read_output)
        self._forkserver = forkserver
        try:
            fut = forkserver.spawn(cfg, (request_r, answer_w, log_w), self._on_exit)
        except BaseException:
            os.close(request_w)
            os.close(answer_r)
            raise
        finally:
            for fd in (request_r, answer_w, log_w):
                os.close(fd)
        requests = os.fdopen(request_w, "wb", buffering=0)
        answers = os.fdopen(answer_r, "rb", buffering=0)
        try:
            spawned = await fut
        except BaseException:
            requests.close()
            answers.close()
            raise
        self.pid, self._pidfd = spawned.pid, spawned.pidfd
        self._channel_fd = answer_r
        await loop.connect_read_pipe(lambda: self, answers)
        self._requests, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, requests)
        if self._deadline_passed:
            self.kill()  # the init deadline passed while we were still spawning

    async def _spawn_exec(self, forkserver: ForkServerClient, cfg: dict[str, Any]) -> None:
        loop = self._loop
        status_r, status_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        log_r, log_w = os.pipe()
        os.set_blocking(log_r, False)
        os.set_blocking(status_r, False)
        self._log_fd = log_r
        self._log_poll.register(log_r, select.POLLIN)
        loop.add_reader(log_r, self._read_output)
        self._exec_status = status_r
        self._eof = True  # no frame channel to wait for at exit
        self._forkserver = forkserver
        try:
            fut = forkserver.spawn(cfg, (devnull, status_w, log_w), self._on_exit)
        finally:
            for fd in (devnull, status_w, log_w):
                os.close(fd)
        spawned = await fut
        self.pid, self._pidfd = spawned.pid, spawned.pidfd
        if self._deadline_passed:
            self.kill()

    def exec_error(self) -> str | None:
        """Why the exec of a channel-less process failed (its strerror), if it did."""
        if self._exec_status is None:
            return None
        try:
            data = os.read(self._exec_status, 4096)
        except OSError:
            data = b""
        return data.decode("utf-8", "replace") or None

    def deliver(self, frame: Frame) -> None:
        """An answer that came another way than the frame channel (the Runtime API)."""
        rss_kb = frame.meta.get("rss_kb")
        if isinstance(rss_kb, int):
            self.max_rss = max(self.max_rss, rss_kb * 1024)
        self.drain_output()  # output written before the answer belongs to this phase
        self._resolve(Outcome(frame=frame))

    def peak_rss_kb(self) -> int:
        """The process's peak RSS (VmHWM) so far, in KiB; 0 if it cannot be read."""
        if self.pid is None or self.exited:
            return 0
        try:
            with open(f"/proc/{self.pid}/status", "rb") as f:
                status = f.read()
        except OSError:
            return 0
        at = status.find(b"VmHWM:")
        if at < 0:
            return 0
        fields = status[at + 6 : status.find(b"\n", at)].split()
        return int(fields[0]) if fields and fields[0].isdigit() else 0

    # -- waiting ---------------------------------------------------------------------------

    def arm(self, deadline_s: float, watch_memory: bool = True) -> asyncio.Future[Outcome]:
        loop = self._loop
        self._waiter = waiter = loop.create_future()
        self._deadline = loop.time() + deadline_s
        self._watch_memory = watch_memory
        # One timer per invocation serves both the deadline and the memory watchdog:
        # invocations shorter than WATCHDOG_FIRST_S cost a single timer.
        first = min(WATCHDOG_FIRST_S, deadline_s) if watch_memory else deadline_s
        self._timers.append(loop.call_later(first, self._tick))
        if self.exited and self._eof:
            self._resolve(Outcome(died=True, exit_code=self.exit_code))
        return waiter

    def spin_until_answer(self, limit_s: float) -> None:
        """Busy-wait (without reading) until the environment's answer is readable.

        Used only for a lone invocation: the event loop would otherwise sleep in epoll and
        pay a cross-CPU wake-up when the answer lands; after this the loop finds the channel
        ready at once. Bounded, so a slow handler costs at most `limit_s` of spinning.
        """
        if self._channel_fd < 0:
            return
        poller = select.poll()
        poller.register(self._channel_fd, select.POLLIN)
        deadline = time.perf_counter() + limit_s
        while not poller.poll(0) and time.perf_counter() < deadline:
            pass

    def send(self, kind: int, meta: bytes, payload: bytes) -> None:
        transport = self._requests
        if transport is None or transport.is_closing():
            return  # the death is reported through the waiter
        for part in frame_parts(kind, meta, payload):
            transport.write(part)

    def _resolve(self, outcome: Outcome) -> None:
        waiter = self._waiter
        if waiter is None or waiter.done():
            return
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        waiter.set_result(outcome)

    def _on_deadline(self) -> None:
        self._deadline_passed = True
        self.kill()
        self._resolve(Outcome(timed_out=True))

    def _tick(self) -> None:
        self._timers.clear()  # the handle that fired is spent
        remaining = self._deadline - self._loop.time()
        if remaining <= 0:
            self._on_deadline()
            return
        if self._watch_memory:
            if self._sample():
                return
            delay = min(WATCHDOG_EVERY_S, remaining)
        else:
            delay = remaining
        self._timers.append(self._loop.call_later(delay, self._tick))

    def _sample(self) -> bool:
        """Sample the RSS; True when it passed the limit and the process was killed."""
        if self.pid is None or self.exited:
            return False
        try:
            with open(f"/proc/{self.pid}/statm", "rb") as f:
                rss = int(f.read().split()[1]) * _PAGE
        except (OSError, IndexError, ValueError):
            return False
        self.max_rss = max(self.max_rss, rss)
        if rss > self._limit:
            self.kill()
            self._resolve(Outcome(died=True, exit_code=OOM_KILLED))
            return True
        return False

    # -- asyncio.Protocol (frame channel) --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.ReadTransport, transport)  # uvloop's: no subclass

    def data_received(self, data: bytes) -> None:
        try:
            frames = self._reader.feed(data)
        except ProtocolError:
            self.kill()  # a garbled channel is never trusted again
            return
        for frame in frames:
            rss_kb = frame.meta.get("rss_kb")
            if isinstance(rss_kb, int):
                self.max_rss = max(self.max_rss, rss_kb * 1024)
            self.drain_output()  # output written before the frame belongs to this phase
            if self._waiter is None or self._waiter.done():
                self.kill()  # unsolicited frame: protocol violation
                return
            self._resolve(Outcome(frame=frame))

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._transport = None
        if self.exited:
            self._resolve(Outcome(died=True, exit_code=self.exit_code))
        else:
            self.kill()  # the runtime closed its channel: it is of no further use

    # -- process lifetime ------------------------------------------------------------------

    def wait_exit(self) -> asyncio.Future[None]:
        fut: asyncio.Future[None] = self._loop.create_future()
        if self.exited or self.pid is None:
            fut.set_result(None)
        else:
            self._exit_waiters.append(fut)
        return fut

    def _on_exit(self, code: int | None) -> None:
        self.exited, self.exit_code = True, code
        for fut in self._exit_waiters:
            if not fut.done():
                fut.set_result(None)
        self._exit_waiters.clear()
        if self._pidfd is not None:
            os.close(self._pidfd)
            self._pidfd = None
        self.drain_output()
        if self._eof:
            self._resolve(Outcome(died=True, exit_code=code))
        else:
            self._loop.call_later(_EOF_GRACE_S, self._resolve, Outcome(died=True, exit_code=code))

    def signal(self, sig: int) -> None:
        if self.exited or self.pid is None:
            return
        try:
            if self._pidfd is not None:
                signal.pidfd_send_signal(self._pidfd, sig)
            else:
                os.kill(self.pid, sig)
        except (ProcessLookupError, OSError):
            pass

    def kill(self) -> None:
        self.signal(signal.SIGKILL)

    def close(self) -> None:
        """Release the server-side resources (call once the process is dead or doomed)."""
        if self._requests is not None:
            self._requests.abort()
        if self._transport is not None:
            self._transport.close()
        self.drain_output()
        self._close_log()
        if self._exec_status is not None:
            os.close(self._exec_status)
            self._exec_status = None
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()

    # -- output ----------------------------------------------------------------------------

    def _read_output(self) -> None:
        self._read_log(limit=4 * _READ_CHUNK)  # bounded, so one flood cannot starve the loop

    def drain_output(self) -> None:
        # Whatever was written before a frame or an exit is in the pipe already (at most
        # its capacity); the bound stops a background flood from holding the loop forever.
        # Most invocations write nothing: a poll is far cheaper than a read that fails.
        if self._log_fd is not None and self._log_poll.poll(0):
            self._read_log(limit=2 * _PIPE_SIZE)

    def _read_log(self, limit: int) -> None:
        fd = self._log_fd
        total = 0
        while fd is not None and total < limit:
            try:
                data = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._close_log()
                return
            total += len(data)
            self._on_output(data)

    def _close_log(self) -> None:
        if self._log_fd is not None:
            self._log_poll.unregister(self._log_fd)
            self._loop.remove_reader(self._log_fd)
            os.close(self._log_fd)
            self._log_fd = None
