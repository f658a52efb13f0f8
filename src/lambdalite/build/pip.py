"""Running pip: one `pip install -r requirements.txt --target DIR` with a given interpreter."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

PIP_TIMEOUT_S = 900.0
STDERR_LINES = 6  # of pip's output, enough to carry its reason (ERROR: ... lines)


class PipFailed(Exception):
    """pip exited non-zero (or could not run); the message is the end of its output."""


def install(interpreter: str, requirements: Path, target: Path, cache_dir: Path, cwd: Path) -> None:
    command = [
        interpreter,
        "-m",
        "pip",
        "install",
        "--requirement",
        str(requirements),
        "--target",
        str(target),
        "--cache-dir",
        str(cache_dir),
        "--disable-pip-version-check",
        "--no-input",
        # Local code runs under a private pycache prefix (runtime/isolation.py): bytecode
        # written next to the sources would never be read.
        "--no-compile",
        "--quiet",
    ]
    # The server's own import path must not leak into another interpreter's pip; PIP_*
    # settings (an index, --find-links, offline mode) are the user's and pass through.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    try:
        done = subprocess.run(
            command,
            cwd=cwd,  # relative paths in requirements.txt are relative to the code
            env=env,
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise PipFailed(f"pip did not finish within {PIP_TIMEOUT_S:.0f} s") from exc
    except OSError as exc:
        raise PipFailed(f"could not run {interpreter}: {exc}") from exc
    if done.returncode != 0:
        raise PipFailed(_tail(done.stderr or done.stdout) or f"pip exited {done.returncode}")


def _tail(output: str) -> str:
    lines = [line.rstrip() for line in output.splitlines() if line.strip()]
    # pip's reason is on its ERROR: lines; notices (a newer pip exists) say nothing about it.
    errors = [line for line in lines if line.startswith("ERROR:")]
    return "\n".join((errors or lines)[-STDERR_LINES:])
