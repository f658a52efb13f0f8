"""Which Python interpreter runs which runtime (python3.9 .. python3.14).

The sandbox's knowledge: it starts one fork server per interpreter. The control plane asks
it which runtimes exist, the invoke path which executable an environment runs on.

A runtime whose interpreter is not installed (templates already say python3.14) runs on the
nearest installed Python 3 instead, and `fallback_warning` says so in one line.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from lambdalite.sandbox import node_interpreters

SUPPORTED_RUNTIMES = (
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
)


@dataclass(frozen=True)
class Interpreter:
    path: str
    exact: bool  # False when the runtime's own version is missing and another stands in
    version: str = ""  # the "3.13" of the interpreter that actually runs


def _own() -> Interpreter:
    return Interpreter(sys.executable, True, f"{sys.version_info[0]}.{sys.version_info[1]}")


@functools.cache
def installed(runtime: str) -> Interpreter | None:
    """The runtime's own interpreter when it is installed here."""
    own = _own()
    if runtime == f"python{own.version}":
        return own
    version = runtime.removeprefix("python")
    for candidate in _candidates(runtime, version):
        if _reports_version(candidate, version):
            return Interpreter(candidate, True, version)
    return None


@functools.cache
def interpreter_for(runtime: str) -> Interpreter:
    """The matching interpreter if one is installed, else the nearest installed Python 3
    (the newer one of two equally near), else the server's own. A runtime that is no Python
    (provided.*) gets the server's own: its fork server only forks and execs."""
    if not runtime.startswith("python"):
        return _own()
    exact = installed(runtime)
    if exact is not None:
        return exact
    wanted = _minor(runtime)
    others = [r for r in SUPPORTED_RUNTIMES if r != runtime]
    if wanted is not None:
        others.sort(key=lambda r: (abs((_minor(r) or 0) - wanted), -(_minor(r) or 0)))
    for other in others:
        found = installed(other)
        if found is not None:
            return Interpreter(found.path, False, found.version)
    own = _own()
    return Interpreter(own.path, False, own.version)


def fallback_warning(runtime: str) -> str | None:
    """One line naming both versions when `runtime` runs on another Python (or Node.js,
    node_interpreters.py); else None."""
    if node_interpreters.is_node(runtime):
        return node_interpreters.fallback_warning(runtime)
    if not runtime.startswith("python"):
        return None
    interpreter = interpreter_for(runtime)
    if interpreter.exact:
        return None
    return (
        f"{runtime} is not installed here; running it on python{interpreter.version} "
        f"({interpreter.path})"
    )


def _minor(runtime: str) -> int | None:
    major, _, minor = runtime.removeprefix("python").partition(".")
    return int(minor) if major == "3" and minor.isdigit() else None


def _candidates(runtime: str, version: str) -> list[str]:
    """PATH first, then the usual per-version install roots (pyenv, uv, deadsnakes)."""
    found = [p for p in (shutil.which(runtime),) if p]
    home = Path.home()
    for pattern in (
        f".pyenv/versions/{version}*/bin/{runtime}",
        f".local/share/uv/python/cpython-{version}*/bin/{runtime}",
    ):
        found.extend(str(p) for p in sorted(home.glob(pattern), reverse=True))
    found.extend(
        p for p in (f"/usr/bin/{runtime}", f"/usr/local/bin/{runtime}") if Path(p).exists()
    )
    return found


def describe_runtimes() -> dict[str, dict[str, object]]:
    """What each supported runtime runs on here (for `GET /_lambdalite/runtimes`)."""
    return {
        **{
            runtime: {"interpreter": i.path, "exact": i.exact, "version": i.version}
            for runtime in SUPPORTED_RUNTIMES
            for i in (interpreter_for(runtime),)
        },
        **node_interpreters.describe(),
    }


def _reports_version(executable: str, version: str) -> bool:
    # pyenv installs shims for versions that are not installed; only running tells.
    try:
        out = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return out.returncode == 0 and out.stdout.strip() == version
