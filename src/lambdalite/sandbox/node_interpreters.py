"""Which Node.js runs which runtime (nodejs20.x, nodejs22.x, nodejs24.x).

Found like Python's interpreters (interpreters.py): `node` on PATH, nvm's versions, then
/usr/local/bin and /usr/bin, each asked its version once. A runtime whose major version is
not installed runs on the nearest installed one (the newer of two equally near), and
`fallback_warning` says so in one line naming both.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

NODE_RUNTIMES = ("nodejs20.x", "nodejs22.x", "nodejs24.x")


@dataclass(frozen=True)
class Node:
    path: str
    version: str  # "20.20.2"
    exact: bool  # False when another major stands in for the runtime's own

    @property
    def major(self) -> int:
        return int(self.version.split(".", 1)[0])


def is_node(runtime: str) -> bool:
    return runtime in NODE_RUNTIMES


def runtime_major(runtime: str) -> int:
    return int(runtime.removeprefix("nodejs").removesuffix(".x"))


def _candidates() -> list[str]:
    found = [p for p in (shutil.which("node"),) if p]
    nvm = Path(os.environ.get("NVM_DIR") or Path.home() / ".nvm") / "versions" / "node"
    found.extend(str(p) for p in sorted(nvm.glob("v*/bin/node"), reverse=True))
    found.extend(p for p in ("/usr/local/bin/node", "/usr/bin/node") if Path(p).exists())
    unique: dict[str, str] = {}  # a symlink to a node already listed is the same node
    for path in found:
        unique.setdefault(os.path.realpath(path), path)
    return list(unique.values())


@functools.cache
def installed() -> tuple[Node, ...]:
    """Every Node.js found here, one per major version (the first found wins)."""
    by_major: dict[int, Node] = {}
    for path in _candidates():
        version = _version_of(path)
        if version is not None:
            node = Node(path, version, True)
            by_major.setdefault(node.major, node)
    return tuple(by_major.values())


@functools.cache
def node_for(runtime: str) -> Node | None:
    """The runtime's own major if installed, else the nearest one; None without any node."""
    wanted = runtime_major(runtime)
    found = sorted(installed(), key=lambda n: (abs(n.major - wanted), -n.major))
    if not found:
        return None
    best = found[0]
    return best if best.major == wanted else Node(best.path, best.version, False)


def fallback_warning(runtime: str) -> str | None:
    """One line naming both versions when `runtime` runs on another Node.js; else None."""
    node = node_for(runtime)
    if node is None:
        return f"{runtime}: no Node.js is installed here; its invocations will fail"
    if node.exact:
        return None
    return f"{runtime} is not installed here; running it on Node.js {node.version} ({node.path})"


def describe() -> dict[str, dict[str, object]]:
    """What each Node.js runtime runs on here (for `GET /_lambdalite/runtimes`)."""
    out: dict[str, dict[str, object]] = {}
    for runtime in NODE_RUNTIMES:
        node = node_for(runtime)
        if node is not None:
            out[runtime] = {"interpreter": node.path, "exact": node.exact, "version": node.version}
    return out


def _version_of(path: str) -> str | None:
    try:
        out = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = out.stdout.strip().removeprefix("v")
    if out.returncode != 0 or not text[:1].isdigit():
        return None
    return text
