"""Turns a freshly forked child of the fork server into an execution environment process.

Runs before any user code: standard streams, environment, working directory, private
/tmp, resource limits. Everything here must be cheap (it is on the cold-start path).
"""

from __future__ import annotations

import ctypes
import io
import os
import resource
import sys
import time
from typing import Any

_CLONE_NEWNS = 0x00020000
_MS_BIND = 4096
_MS_REC = 1 << 14
_MS_PRIVATE = 1 << 18
_PR_SET_PDEATHSIG = 1
_MIB = 1024 * 1024

try:
    _libc: Any = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - no libc symbols (musl static builds)
    _libc = None


class UnbufferedText(io.TextIOWrapper):
    """A text stream that reaches the log pipe on every write, as Lambda's stdout does."""

    def write(self, s: str) -> int:
        n = super().write(s)
        self.flush()
        return n


def _stream(fd: int) -> UnbufferedText:
    raw = io.FileIO(fd, "w", closefd=False)
    return UnbufferedText(
        io.BufferedWriter(raw), encoding="utf-8", errors="backslashreplace", write_through=True
    )


def as_limit(memory_mb: int) -> int:
    """RLIMIT_AS backstop in bytes.

    The RSS watchdog on the server is the real MemorySize limit. This only stops a single
    giant allocation from eating the host before the watchdog's next sample, so it must
    never fire on a legitimate program: address space is far larger than RSS (shared
    libraries, 8 MiB reserved per thread stack, malloc arenas, pymalloc arenas). Hence
    max(2 x MemorySize, MemorySize + 1 GiB).
    """
    return max(2 * memory_mb, memory_mb + 1024) * _MIB


def _set_limits(memory_mb: int, address_space: bool = True) -> None:
    limit = as_limit(memory_mb) if address_space else resource.RLIM_INFINITY
    for res, value in (
        (resource.RLIMIT_AS, limit),
        (resource.RLIMIT_NOFILE, 1024),  # spec 8.1: 1,024 file descriptors
        (resource.RLIMIT_CORE, 0),  # a segfaulting handler must not write a core file
    ):
        try:
            resource.setrlimit(res, (value, value))
        except (ValueError, OSError):
            pass


def _bind_private_tmp(tmp_dir: str) -> bool:
    """Give the process its own /tmp via a private mount namespace (root only; ~1 ms)."""
    if _libc is None or os.geteuid() != 0:
        return False
    if _libc.unshare(_CLONE_NEWNS) != 0:
        return False
    if _libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None) != 0:
        return False
    return bool(_libc.mount(tmp_dir.encode(), b"/tmp", None, _MS_BIND, None) == 0)


def _share_package_bytecode(pycache: str, packages: str) -> None:
    """Under a private pycache prefix, boto3 would be compiled again by every environment
    (about a second): its part of the prefix is a link to the mirror in the packages
    directory (sandbox/runtime_packages.py), which every environment shares. Built
    dependencies and layers, which no environment edits, share theirs the same way."""
    link = os.path.join(pycache, packages.lstrip(os.sep))
    try:
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(os.path.join(packages, ".pycache-prefix"), link)
    except OSError:
        pass  # it only costs the compile time


def _give_tmp(cfg: dict[str, Any], needed: list[str]) -> None:
    """The environment's own /tmp. A bind mount over /tmp would hide code that itself lives
    under /tmp (test runs, a data dir in /tmp): then it gets its own TMPDIR instead."""
    tmp_dir = cfg["tmp"]
    hides_code = any(os.path.realpath(p).startswith("/tmp/") for p in needed if p)
    if hides_code or not (cfg.get("private_tmp") and _bind_private_tmp(tmp_dir)):
        os.environ["TMPDIR"] = tmp_dir
    tempfile = sys.modules.get("tempfile")
    if tempfile is not None:
        setattr(tempfile, "tempdir", None)  # a snapshot may have cached its own  # noqa: B010


def _redirect_output(log_fd: int) -> None:
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(log_fd, 1)
    os.dup2(log_fd, 2)
    os.close(log_fd)


def restore_process(cfg: dict[str, Any], log_fd: int) -> None:
    """Turns a child forked from a SnapStart snapshot (a process that ran setup_process and
    the function's init) into an environment of its own: its log pipe, its variables, its
    /tmp. sys.stdout and sys.stderr write to fds 1 and 2, so they follow the new pipe."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)  # cleared by fork: die with the snapshot
    _redirect_output(log_fd)
    os.environ.update(cfg["env"])
    _give_tmp(cfg, [os.getcwd(), *sys.path])


def setup_process(cfg: dict[str, Any], log_fd: int) -> None:
    if _libc is not None:
        # Die with the fork server, so no environment outlives its supervisor.
        _libc.prctl(_PR_SET_PDEATHSIG, 9, 0, 0, 0)
    _redirect_output(log_fd)
    sys.stdout = _stream(1)
    sys.stderr = _stream(2)

    os.environ.clear()
    os.environ.update(cfg["env"])
    paths = list(cfg.get("paths") or [])
    _give_tmp(cfg, [cfg["cwd"], *paths, *sys.path])
    if cfg.get("pycache"):
        # Local code is edited in place. Python trusts a cached .pyc whose source has the
        # same size and mtime (in whole seconds), so an edit within the second of the last
        # import would run the old code; bytecode private to this environment never is stale,
        # and the user's directory gets no __pycache__ from us.
        sys.pycache_prefix = cfg["pycache"]
        for shared in [cfg.get("packages"), *(cfg.get("shared_paths") or [])]:
            if shared:
                _share_package_bytecode(cfg["pycache"], shared)
    time.tzset()
    os.chdir(cfg["cwd"])
    extra = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    sys.path[:0] = [cfg["cwd"], *paths, *extra]
    # V8 reserves address space far beyond what it uses (its heap cage, WebAssembly guard
    # regions): a Node.js environment relies on the RSS watchdog alone.
    _set_limits(int(cfg["memory_mb"]), not cfg.get("no_address_limit"))
