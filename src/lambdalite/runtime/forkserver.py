"""Fork server: a small pre-warmed process that forks execution environments.

Run as a script by any python3.9+ interpreter::

    python3.12 -I -S .../runtime/forkserver.py <control fd> [<packages dir>]

The control fd is an AF_UNIX SOCK_SEQPACKET socket (one JSON message per packet):

- server -> here: ``{"op": "spawn", "id": n, "cfg": {...}}`` with three fds attached
  (SCM_RIGHTS): the environment's ends of its frame channel (the read end of the
  request pipe, the write end of the answer pipe) and the write end of its log pipe.
- here -> server: ``{"op": "hello", "pid", "version"}`` once ready;
  ``{"op": "spawned", "id", "pid"}`` with a pidfd attached when the kernel has pidfds;
  ``{"op": "exit", "pid", "code"}`` for every child reaped (code < 0: killed by signal -code);
  ``{"op": "failed", "id", "error"}`` if fork() failed.
- server -> here: ``{"op": "template", "id": n, "cfg": {...}}`` with two fds attached (a
  control socket of its own, the write end of its log pipe): SnapStart. The child runs the
  function's init and its before-snapshot hooks, then serves this same protocol on that
  socket as a fork server of its own (the "snapshot"), whose children run the after-restore
  hooks and then invocations. Its first message there is ``hello``, or
  ``{"op": "init_error", "doc": {...}}`` before it exits. It is reported here like any
  child (``spawned``, ``exit``).

With -S no site-packages are on sys.path: it holds the standard library, then the packages
directory (boto3 and its dependencies, sandbox/runtime_packages.py); each environment puts
its code first (isolation.py). The SDK is importable, not imported.

It pre-imports what the runtime needs (but not asyncio and never user code), so a fork
costs about a millisecond. On EOF of the control socket it kills its children and exits.
"""

from __future__ import annotations

import array
import importlib.util
import json
import os
import select
import signal
import socket
import sys
from typing import Any

_HERE = os.path.dirname(os.path.abspath(__file__))
_PKG = "_lambdalite_runtime"
_MAX_MSG = 1 << 18


def _load_runtime() -> Any:
    """Load this directory as a private package so the runtime's names never clash with user
    modules (a user ``bootstrap.py`` stays importable) and no lambdalite code is loaded."""
    spec = importlib.util.spec_from_file_location(
        _PKG, os.path.join(_HERE, "__init__.py"), submodule_search_locations=[_HERE]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_PKG] = module
    spec.loader.exec_module(module)
    bootstrap = importlib.import_module(_PKG + ".bootstrap")
    importlib.import_module(_PKG + ".isolation")
    # AWS's runtimes ship the SnapStart hooks module; function code imports it by this name.
    sys.modules["snapshot_restore_py"] = sys.modules[_PKG + ".snapshot_restore_py"]
    return bootstrap


def _send(ctl: socket.socket, msg: dict[str, Any], fds: list[int] | None = None) -> None:
    data = json.dumps(msg).encode()
    if fds:
        ctl.sendmsg([data], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
    else:
        ctl.send(data)


def _recv(ctl: socket.socket) -> tuple[dict[str, Any] | None, list[int]]:
    fds = array.array("i")
    data, ancdata, _flags, _addr = ctl.recvmsg(_MAX_MSG, socket.CMSG_SPACE(8 * fds.itemsize))
    for level, kind, cdata in ancdata:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
    return (json.loads(data) if data else None), list(fds)


def _exit_code(exc: SystemExit) -> int:
    code = exc.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    sys.stderr.write(str(code) + "\n")
    return 1


class ForkServer:
    def __init__(self, ctl: socket.socket, bootstrap: Any) -> None:
        self.ctl = ctl
        self.bootstrap = bootstrap
        self.children: set[int] = set()
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self.wake_w)

    def serve(self) -> None:
        _send(self.ctl, {"op": "hello", "pid": os.getpid(), "version": sys.version.split()[0]})
        while True:
            ready, _, _ = select.select([self.ctl.fileno(), self.wake_r], [], [])
            if self.wake_r in ready:
                try:
                    os.read(self.wake_r, 4096)
                except BlockingIOError:
                    pass
            self.reap()
            if self.ctl.fileno() in ready:
                msg, fds = _recv(self.ctl)
                if msg is None:
                    self.shutdown()
                    return
                if msg.get("op") == "spawn" and len(fds) == 3:
                    self.spawn(msg, fds, self._child)
                elif msg.get("op") == "template" and len(fds) == 2:
                    self.spawn(msg, fds, self._template)
                else:
                    _close_all(fds)

    def reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            code = os.waitstatus_to_exitcode(status)
            try:
                _send(self.ctl, {"op": "exit", "pid": pid, "code": code})
            except OSError:
                return  # the server closed the channel: the next read sees EOF and shuts down

    def spawn(self, msg: dict[str, Any], fds: list[int], child: Any) -> None:
        try:
            pid = os.fork()
        except OSError as e:
            _close_all(fds)
            _send(self.ctl, {"op": "failed", "id": msg["id"], "error": str(e)})
            return
        if pid == 0:
            child(msg["cfg"], fds)  # never returns
        _close_all(fds)
        self.children.add(pid)
        pidfd = -1
        if hasattr(os, "pidfd_open"):
            try:
                pidfd = os.pidfd_open(pid)
            except OSError:
                pidfd = -1
        reply = {"op": "spawned", "id": msg["id"], "pid": pid}
        _send(self.ctl, reply, [pidfd] if pidfd >= 0 else None)
        if pidfd >= 0:
            os.close(pidfd)

    def _forget_parent(self) -> None:
        """In a fresh child: nothing of this server's own plumbing stays."""
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        self.ctl.close()
        os.close(self.wake_r)
        os.close(self.wake_w)

    def _child(self, cfg: dict[str, Any], fds: list[int]) -> None:
        request_fd, answer_fd, log_fd = fds

        def become() -> int:
            self._forget_parent()
            sys.modules[_PKG + ".isolation"].setup_process(cfg, log_fd)
            if cfg.get("exec"):  # a custom runtime: become its bootstrap
                _exec(cfg["exec"], request_fd, answer_fd, cfg.get("argv"))  # never returns
            framing = sys.modules[_PKG + ".framing"]
            return int(self.bootstrap.run(cfg, framing.Channel(request_fd, answer_fd)))

        _run_child(become)

    def _template(self, cfg: dict[str, Any], fds: list[int]) -> None:
        ctl_fd, log_fd = fds

        def become() -> int:
            self._forget_parent()
            sys.modules[_PKG + ".isolation"].setup_process(cfg, log_fd)
            ctl = socket.socket(fileno=ctl_fd)
            ctl.setblocking(True)
            handler, doc = self.bootstrap.snapshot(cfg)
            _flush()
            if handler is None:
                _send(ctl, {"op": "init_error", "doc": doc})
                return 64
            import gc

            gc.freeze()  # init's objects stay out of the children's collections: fewer CoW copies
            Snapshot(ctl, self.bootstrap, handler).serve()
            return 0

        _run_child(become)

    def shutdown(self) -> None:
        for pid in list(self.children):
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for pid in list(self.children):
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


class Snapshot(ForkServer):
    """A SnapStart snapshot: a process that ran the function's init, kept to fork
    environments from. Its children skip init: they take their own log pipe, variables and
    /tmp, run the after-restore hooks and serve invocations."""

    def __init__(self, ctl: socket.socket, bootstrap: Any, handler: Any) -> None:
        super().__init__(ctl, bootstrap)
        self.handler = handler

    def _child(self, cfg: dict[str, Any], fds: list[int]) -> None:
        request_fd, answer_fd, log_fd = fds

        def become() -> int:
            self._forget_parent()
            sys.modules[_PKG + ".isolation"].restore_process(cfg, log_fd)
            framing = sys.modules[_PKG + ".framing"]
            channel = framing.Channel(request_fd, answer_fd)
            return int(self.bootstrap.restore(self.handler, channel))

        _run_child(become)


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _run_child(become: Any) -> None:
    """Run a forked child's life and end the process with its exit code (never returns)."""
    code = 1
    try:
        code = become()
    except SystemExit as e:
        code = _exit_code(e)
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    finally:
        _flush()
        os._exit(code)


def _exec(path: str, unused_fd: int, status_fd: int, argv: list[str] | None = None) -> None:
    """Become the runtime's own executable (a custom runtime's bootstrap, or node with the
    project's Node.js bootstrap as `argv`). `status_fd` closes on a successful exec; if exec
    fails, it gets the reason (the server reports it as Runtime.InvalidEntrypoint) and the
    process exits."""
    os.close(unused_fd)
    os.set_inheritable(status_fd, False)
    # Python ignores these; a program it starts expects the defaults (as subprocess does).
    for name in ("SIGPIPE", "SIGXFSZ"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
    try:
        os.execve(path, argv or [path], os.environ)
    except OSError as e:
        os.write(status_fd, (e.strerror or str(e)).encode())
        os._exit(127)


def _close_all(fds: list[int]) -> None:
    for fd in fds:
        os.close(fd)


def _limit_malloc_arenas() -> None:
    # glibc reserves 64 MiB of address space per malloc arena (up to 8 per core); two keep
    # the RLIMIT_AS backstop meaningful for threaded handlers. Children inherit the setting.
    try:
        import ctypes

        ctypes.CDLL(None).mallopt(-8, 2)  # M_ARENA_MAX
    except Exception:
        pass


def _set_path(packages: str | None) -> None:
    """The standard library, then the runtime packages. -S also skipped the builtins that
    the site module adds (exit, quit, help, ...); user code may call them, so add them."""
    import site

    site.setquit()
    site.setcopyright()
    site.sethelper()
    if packages:
        sys.path.append(packages)


def main() -> None:
    ctl = socket.socket(fileno=int(sys.argv[1]))
    _set_path(sys.argv[2] if len(sys.argv) > 2 else None)
    ctl.setblocking(True)
    _limit_malloc_arenas()
    bootstrap = _load_runtime()
    ForkServer(ctl, bootstrap).serve()


if __name__ == "__main__":
    main()
