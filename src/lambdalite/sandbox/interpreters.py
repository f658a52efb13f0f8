"""Which Python interpreter runs which runtime (python3.9 .. python3.13).

The sandbox's knowledge: it starts one fork server per interpreter. The control plane asks
it which runtimes exist, the invoke path which executable an environment runs on.
"""

from __future__ import annotations

import functools
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_RUNTIMES = ("python3.9", "python3.10", "python3.11", "python3.12", "python3.13")


@dataclass(frozen=True)
class Interpreter:
    path: str
    exact: bool  # False when the runtime's own version is missing and ours stands in


@functools.cache
def interpreter_for(runtime: str) -> Interpreter:
    """The matching interpreter if one is installed, else the server's own."""
    own = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime == own:
        return Interpreter(sys.executable, True)
    version = runtime.removeprefix("python")
    for candidate in _candidates(runtime, version):
        if _reports_version(candidate, version):
            return Interpreter(candidate, True)
    return Interpreter(sys.executable, False)


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
        runtime: {"interpreter": i.path, "exact": i.exact}
        for runtime in SUPPORTED_RUNTIMES
        for i in (interpreter_for(runtime),)
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
