"""An execution environment whose runtime talks the Lambda Runtime API: a custom runtime's
`bootstrap` (provided.al2023, provided.al2), any language, or AWS's runtime interface
clients started from one.

It is a Python environment in everything but the channel (DESIGN.md, "Two ways to talk to
an environment"): the process is forked by the same fork server and then execs the
bootstrap, with the same limits, log pipe, deadline and memory watchdog; the Runtime API
(server.py) hands it events and turns its answers into the frames `Environment` waits for.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from lambdalite.sandbox.environment import Environment
from lambdalite.sandbox.process import Outcome
from lambdalite.sandbox.runtime_api.http import Routes
from lambdalite.sandbox.runtime_api.server import RuntimeApi
from lambdalite.sandbox.types import InvocationRequest

RUNTIME_API_RUNTIMES = ("provided.al2023", "provided.al2")

# How AWS names the places it looks for a bootstrap (the code, then the layers' /opt).
_TASK_BOOTSTRAP = "/var/task/bootstrap"
_OPT_BOOTSTRAP = "/opt/bootstrap"


def uses_runtime_api(runtime: str) -> bool:
    return runtime in RUNTIME_API_RUNTIMES


def invalid_entrypoint(request_id: str, reason: str) -> bytes:
    return json.dumps(
        {
            "errorType": "Runtime.InvalidEntrypoint",
            "errorMessage": f"RequestId: {request_id} Error: {reason}",
        }
    ).encode()


class RuntimeApiEnvironment(Environment):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.api = RuntimeApi(self.proc.deliver, self.proc.peak_rss_kb)
        self._bootstrap: tuple[str, str] | None = None  # (path here, the path AWS names)
        self._address: str | None = None

    def _candidates(self) -> list[tuple[str, str]]:
        spec = self.spec
        found = [(str(spec.code_dir / "bootstrap"), _TASK_BOOTSTRAP)]
        for layer in spec.layer_dirs:  # the winner of AWS's merge into /opt first
            found.append((str(Path(layer) / "bootstrap"), _OPT_BOOTSTRAP))
        return found

    def _entrypoint_error(self, request_id: str) -> bytes | None:
        for path, shown in self._candidates():
            if os.path.lexists(path):
                self._bootstrap = (path, shown)
                if os.path.isdir(path) or not os.access(path, os.X_OK):
                    return self._refuse(request_id, f"fork/exec {shown}: permission denied")
                return None
        return self._refuse(
            request_id, f"Couldn't find valid bootstrap(s): [{_TASK_BOOTSTRAP} {_OPT_BOOTSTRAP}]"
        )

    def _refuse(self, request_id: str, reason: str) -> bytes:
        self.log.line(f"RequestId: {request_id} Error: {reason}\n", "Runtime.InvalidEntrypoint\n")
        return invalid_entrypoint(request_id, reason)

    def _spawn_config(self) -> dict[str, Any]:
        cfg = super()._spawn_config()
        env = cfg["env"]
        env.pop("AWS_EXECUTION_ENV", None)  # spec 8.4: absent for provided runtimes
        code = str(self.spec.code_dir)
        libs = [code, f"{code}/lib", *(f"{d}/lib" for d in self.spec.layer_dirs)]
        env.setdefault("LD_LIBRARY_PATH", ":".join(libs))
        return cfg

    async def _spawn(self, cfg: dict[str, Any]) -> None:
        assert self._bootstrap is not None
        cfg["exec"] = self._bootstrap[0]
        cfg["env"]["AWS_LAMBDA_RUNTIME_API"] = await self._api_address()
        await self.proc.spawn(self._forkserver, cfg, channel=False)

    def _send_invoke(self, request: InvocationRequest, linger: bool) -> None:
        deadline_ms = int(time.time() * 1000) + self.spec.timeout_s * 1000
        self.api.invoke(request, deadline_ms)

    def _crash(self, request_id: str, outcome: Outcome) -> bytes:
        failed = self.proc.exec_error()
        if failed is None or self._bootstrap is None:
            return super()._crash(request_id, outcome)
        reason = failed[:1].lower() + failed[1:]  # Go's wording of the errno
        return self._refuse(request_id, f"fork/exec {self._bootstrap[1]}: {reason}")

    def _serves_extensions(self) -> bool:
        return True  # the runtime's listener serves them at no extra cost

    # The Extensions and Telemetry APIs share the runtime's host:port.
    async def _api_address(self) -> str:
        if self._address is None:
            self._address = await self.api.start()
        return self._address

    def _mount(self, prefix: bytes, routes: Routes) -> None:
        self.api.mount(prefix, routes)

    def _close_apis(self) -> None:
        self.api.close()
