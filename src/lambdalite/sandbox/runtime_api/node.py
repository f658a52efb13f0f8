"""Node.js functions (nodejs20.x, nodejs22.x, nodejs24.x): an environment that runs the
project's own Node.js bootstrap (runtime/node/bootstrap.cjs) over the Runtime API.

Node cannot be forked warm, so each environment is a fork of the fork server that execs
`node` (node_interpreters.py picks which). Everything else (limits, logs, deadlines, the
REPORT line) is a Runtime API environment's.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from lambdalite.sandbox.environment import Environment
from lambdalite.sandbox.node_interpreters import node_for, runtime_major
from lambdalite.sandbox.runtime_api.environment import RuntimeApiEnvironment

BOOTSTRAP = str(Path(__file__).resolve().parents[2] / "runtime" / "node" / "bootstrap.cjs")
_SHOWN_NODE = "/var/lang/bin/node"  # how AWS names the interpreter in its errors


def node_flags() -> list[str]:
    """Node's own options only. AWS's launcher also passes V8 flags (--expose-gc, a heap
    sized from MemorySize), but any V8 flag makes node refuse its built-in code cache and
    costs ~5 ms of every cold start here (bench/node.py): MemorySize is enforced by the RSS
    watchdog, and a function that wants V8's limits sets NODE_OPTIONS."""
    return ["--max-http-header-size=81920"]


def node_path(code_dir: str, layer_dirs: tuple[str, ...], major: int) -> str:
    """NODE_PATH as AWS sets it (/opt/nodejs/nodeNN/node_modules, /opt/nodejs/node_modules,
    then the code), with each layer's directory where AWS's merged /opt would be."""
    parts = [f"{d}/nodejs/node{major}/node_modules" for d in layer_dirs]
    parts += [f"{d}/nodejs/node_modules" for d in layer_dirs]
    return ":".join([*parts, code_dir])


class NodeEnvironment(RuntimeApiEnvironment):
    def _entrypoint_error(self, request_id: str) -> bytes | None:
        node = node_for(self.spec.runtime)  # cached: asked once per runtime
        if node is None:
            return self._refuse(request_id, f"fork/exec {_SHOWN_NODE}: no such file or directory")
        self._bootstrap = (node.path, _SHOWN_NODE)
        return None

    def _spawn_config(self) -> dict[str, Any]:
        # A Runtime API environment's config minus its provided.* changes: Node functions
        # keep AWS_EXECUTION_ENV (spec 8.4).
        cfg = Environment._spawn_config(self)
        spec = self.spec
        env = cfg["env"]
        code = str(spec.code_dir)
        node = node_for(spec.runtime)
        if node is not None and "PATH" not in spec.environment:  # node's own directory first
            env["PATH"] = f"{os.path.dirname(node.path)}:/usr/local/bin:/usr/bin:/bin"
        env.setdefault(
            "NODE_PATH", node_path(code, tuple(spec.layer_dirs), runtime_major(spec.runtime))
        )
        libs = [code, f"{code}/lib", *(f"{d}/lib" for d in spec.layer_dirs)]
        env.setdefault("LD_LIBRARY_PATH", ":".join(libs))
        cfg["no_address_limit"] = True  # V8 reserves far more than it uses (isolation.py)
        return cfg

    async def _spawn(self, cfg: dict[str, Any]) -> None:
        assert self._bootstrap is not None
        node = self._bootstrap[0]
        cfg["argv"] = [node, *node_flags(), BOOTSTRAP]
        await super()._spawn(cfg)
