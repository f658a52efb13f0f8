"""Client for the fork server (lambdalite/runtime/forkserver.py): one per interpreter."""

from __future__ import annotations

import array
import asyncio
import json
import logging
import os
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdalite.sandbox.errors import ForkServerError, SnapshotInitError

log = logging.getLogger(__name__)

SCRIPT = Path(__file__).resolve().parent.parent / "runtime" / "forkserver.py"
_MAX_MSG = 1 << 16

ExitCallback = Callable[[int | None], None]
"""Receives the exit code (negative: killed by that signal), or None if it is unknown."""


@dataclass(frozen=True, slots=True)
class Spawned:
    pid: int
    pidfd: int | None  # lets the server signal the process without pid-reuse races


class ForkServerClient:
    def __init__(self, interpreter: str, packages: Path | None = None) -> None:
        self.interpreter = interpreter
        self.packages = packages  # runtime_packages.py: appended to the environments' sys.path
        self.version = ""
        self._proc: asyncio.subprocess.Process | None = None
        self._ctl: socket.socket | None = None
        self._hello: asyncio.Future[None] | None = None
        self._next_id = 0
        self._spawning: dict[int, tuple[asyncio.Future[Spawned], ExitCallback]] = {}
        self._on_exit: dict[int, ExitCallback] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def alive(self) -> bool:
        return self._ctl is not None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self, timeout_s: float = 10.0) -> None:
        self._loop = asyncio.get_running_loop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            # -I -S: no user site, no environment variables, and no site-packages (nor .pth
            # files): function code sees the interpreter's standard library and what the
            # fork server adds, never the packages installed next to the interpreter.
            self._proc = await asyncio.create_subprocess_exec(
                self.interpreter,
                "-I",
                "-S",
                str(SCRIPT),
                str(theirs.fileno()),
                *([str(self.packages)] if self.packages is not None else []),
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,  # the terminal's Ctrl-C must not hit environments
            )
        except OSError as e:
            ours.close()
            raise ForkServerError(f"cannot start fork server {self.interpreter}: {e}") from e
        finally:
            theirs.close()
        try:
            await self.attach(ours, timeout_s)
        except (TimeoutError, ForkServerError) as e:
            await self._kill_process()
            raise ForkServerError(f"fork server {self.interpreter} did not start: {e}") from e

    async def attach(self, ctl: socket.socket, timeout_s: float) -> None:
        """Serve the control channel `ctl` and wait for the other side's hello. Used
        directly for a SnapStart snapshot, a fork server started by another (snapshot.py):
        its init failure arrives as SnapshotInitError, carrying the error document."""
        self._loop = loop = asyncio.get_running_loop()
        self._ctl = ctl
        self._hello = loop.create_future()
        loop.add_reader(ctl.fileno(), self._on_readable)
        try:
            # asyncio.wait, not wait_for: a cold Invoke may start this outside any task
            # (api/eager.py), and wait_for needs one from 3.12.
            done, _ = await asyncio.wait((self._hello,), timeout=timeout_s)
            if not done:
                raise TimeoutError(f"no hello within {timeout_s} s")
            self._hello.result()
        except BaseException:
            self._die()
            raise

    def spawn(
        self, cfg: dict[str, Any], fds: tuple[int, int, int], on_exit: ExitCallback
    ) -> asyncio.Future[Spawned]:
        """Ask for a new environment process with its (request, answer, log) pipe ends; the
        kernel duplicates the fds into it."""
        return self._send_request("spawn", cfg, fds, on_exit)

    def _send_request(
        self, op: str, cfg: dict[str, Any], fds: tuple[int, ...], on_exit: ExitCallback
    ) -> asyncio.Future[Spawned]:
        if self._ctl is None:
            raise ForkServerError("fork server is not running")
        self._next_id += 1
        fut: asyncio.Future[Spawned] = asyncio.get_running_loop().create_future()
        self._spawning[self._next_id] = (fut, on_exit)
        data = json.dumps({"op": op, "id": self._next_id, "cfg": cfg}).encode()
        try:
            passed = array.array("i", fds)
            self._ctl.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, passed)])
        except OSError as e:
            del self._spawning[self._next_id]
            self._die()
            raise ForkServerError(f"fork server gone: {e}") from e
        return fut

    def spawn_template(
        self, cfg: dict[str, Any], fds: tuple[int, int], on_exit: ExitCallback
    ) -> asyncio.Future[Spawned]:
        """Ask for a SnapStart snapshot process (runtime/forkserver.py, op "template") with
        its control socket end and the write end of its log pipe."""
        return self._send_request("template", cfg, fds, on_exit)

    def forget(self, pid: int) -> None:
        self._on_exit.pop(pid, None)

    def _on_readable(self) -> None:
        ctl = self._ctl
        while ctl is not None:
            try:
                data, anc, _flags, _addr = ctl.recvmsg(
                    _MAX_MSG, socket.CMSG_SPACE(4), socket.MSG_DONTWAIT
                )
            except BlockingIOError:
                return
            except OSError:
                data, anc = b"", []
            if not data:
                self._die()
                return
            fds = array.array("i")
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
            self._dispatch(json.loads(data), list(fds))

    def _dispatch(self, msg: dict[str, Any], fds: list[int]) -> None:
        op = msg.get("op")
        if op == "exit":
            callback = self._on_exit.pop(msg["pid"], None)
            if callback is not None:
                callback(msg["code"])
        elif op in ("spawned", "failed"):
            fut, on_exit = self._spawning.pop(msg["id"])
            if op == "spawned" and fut.done():
                # Its asker gave up (cancelled) before the answer came: nobody would own the
                # process, so it goes now, and its pidfd with it.
                _kill_unowned(msg["pid"], fds)
            elif op == "spawned":
                self._on_exit[msg["pid"]] = on_exit
                fut.set_result(Spawned(msg["pid"], fds[0] if fds else None))
            elif not fut.done():
                fut.set_exception(ForkServerError(f"fork failed: {msg.get('error')}"))
        elif op == "hello" and self._hello is not None and not self._hello.done():
            self.version = str(msg.get("version", ""))
            self._hello.set_result(None)
        elif op == "init_error" and self._hello is not None and not self._hello.done():
            self._hello.set_exception(SnapshotInitError(msg.get("doc") or {}))

    def _die(self) -> None:
        """The control channel is gone: every child is unaccounted for."""
        if self._ctl is None:
            return
        if self._loop is not None:
            self._loop.remove_reader(self._ctl.fileno())
        self._ctl.close()
        self._ctl = None
        if self._hello is not None and not self._hello.done():
            self._hello.set_exception(ForkServerError("fork server exited"))
        for fut, _ in self._spawning.values():
            if not fut.done():
                fut.set_exception(ForkServerError("fork server exited"))
        self._spawning.clear()
        callbacks, self._on_exit = list(self._on_exit.values()), {}
        for callback in callbacks:
            callback(None)

    async def _kill_process(self) -> None:
        if self._proc is not None and self._proc.returncode is None:
            self._proc.kill()
            await self._proc.wait()

    async def stop(self, grace_s: float = 2.0) -> None:
        """Close the channel (the fork server then SIGKILLs its children and exits)."""
        self._die()
        if self._proc is None:
            return
        exited = asyncio.ensure_future(self._proc.wait())
        try:
            done, _ = await asyncio.wait((exited,), timeout=grace_s)  # task-free, as start()
            if not done:
                await self._kill_process()
        finally:
            exited.cancel()  # no-op once it is done


def _kill_unowned(pid: int, fds: list[int]) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    for fd in fds:
        os.close(fd)
