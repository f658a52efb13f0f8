"""The external extensions of one execution environment through its phases (spec 8.2).

- Init: every executable is started (through the fork server, with the runtime's variables,
  limits and /tmp) and must register before the runtime starts; init ends once the runtime
  and every extension wait in their `next`.
- Invoke: subscribers get INVOKE; the invocation ends once every extension is back in
  event/next (the post-invoke phase), within the function's timeout.
- Shutdown: subscribers get SHUTDOWN with a reason (spindown, timeout, failure) and the
  rest of the 2 s window to exit; then every extension process is killed.

An extension that cannot start, exits, or reports init/exit errors fails the environment
with AWS's Extension.* error (spec 8.8); only that environment is affected.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from lambdalite.clock import Clock
from lambdalite.sandbox import outcomes
from lambdalite.sandbox.extensions.api import PREFIX as EXTENSION_PREFIX
from lambdalite.sandbox.extensions.api import Extension, ExtensionsApi, Phase
from lambdalite.sandbox.extensions.telemetry import LOGS_PREFIX, Subscription, TelemetryApi
from lambdalite.sandbox.extensions.telemetry import PREFIX as TELEMETRY_PREFIX
from lambdalite.sandbox.forkserver import ForkServerClient
from lambdalite.sandbox.logstream import LogStream, iso_now
from lambdalite.sandbox.platform_lines import PlatformLines
from lambdalite.sandbox.process import EnvProcess
from lambdalite.sandbox.runtime_api.http import Routes
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest

SHUTDOWN_WINDOW_S = 2.0  # spec 8.2: the whole Shutdown phase
RUNTIME_SHUTDOWN_S = 0.3  # spec 8.2: the runtime's share when external extensions exist

Mount = Callable[[bytes, Routes], None]


class _Lines:
    """An extension's output, cut into lines for the log stream and the Telemetry API."""

    def __init__(self, emit: Callable[[str], None]) -> None:
        self._emit = emit
        self._partial = bytearray()

    def feed(self, data: bytes) -> None:
        self._partial += data
        *lines, rest = self._partial.split(b"\n")
        for line in lines:
            self._emit(line.decode("utf-8", "replace") + "\n")
        self._partial = bytearray(rest)

    def end(self) -> None:
        if self._partial:
            self._emit(self._partial.decode("utf-8", "replace") + "\n")
            self._partial.clear()


class ExtensionHost:
    def __init__(
        self,
        spec: EnvironmentSpec,
        found: Sequence[tuple[str, Path]],
        log: LogStream,
        clock: Clock,
        mount: Mount,
        lines: PlatformLines,
    ) -> None:
        self._spec = spec
        self._found = list(found)
        self._log = log
        self._clock = clock
        self._lines = lines  # EXTENSION and TELEMETRY in the function's log format
        identity = {
            "functionName": spec.function_name,
            "functionVersion": spec.function_version,
            "handler": spec.handler,
            "accountId": spec.account_id,
        }
        self.api = ExtensionsApi(identity, self._poke)
        self.telemetry = TelemetryApi(self.api, clock, self._subscribed)
        mount(EXTENSION_PREFIX, self.api)
        mount(TELEMETRY_PREFIX, self.telemetry)
        mount(LOGS_PREFIX, self.telemetry)
        self._procs: dict[Extension, EnvProcess] = {}
        self._outputs: dict[Extension, _Lines] = {}
        self.failure: tuple[str, str] | None = None  # (errorType, reason) that ends this env
        self._pokes: list[asyncio.Future[None]] = []
        self._closing = False
        self._history: list[tuple[str, Any, str]] | None = []  # init's events, for subscribers
        self.shut: asyncio.Task[None] | None = None
        self.on_failure: Callable[[], None] | None = None  # the environment's reset

    @property
    def count(self) -> int:
        return len(self._found)

    # -- Init ------------------------------------------------------------------------------

    async def launch(self, forkserver: ForkServerClient, cfg: dict[str, Any]) -> None:
        for name, path in self._found:
            ext = self.api.expect(name)
            lines = _Lines(functools.partial(self._output, ext))
            proc = EnvProcess(lines.feed, self._spec.memory_mb)
            self._procs[ext] = proc
            self._outputs[ext] = lines
            await proc.spawn(forkserver, {**cfg, "exec": str(path)}, channel=False)
            proc.wait_exit().add_done_callback(functools.partial(self._exited, ext))

    async def registered(self, deadline: float) -> bool:
        """Every launched extension registered (False: a failure, or the deadline)."""
        return await self._until(
            lambda: all(e.phase is not Phase.LAUNCHED for e in self._procs), deadline
        )

    async def init_done(self, deadline: float) -> bool:
        """Every registered extension waits in event/next: init is over."""
        done = await self._until(self._all_ready, deadline)
        self.api.registration_open = False
        self._history = None
        if done:
            for ext in self.api.extensions.values():
                self._extension_line(ext, "Ready")
        return done

    def init_failed(self, timed_out: bool) -> tuple[str, str]:
        """Why init failed on the extensions' side: (errorType, reason), logged."""
        if self.failure is not None:
            return self.failure
        if timed_out:
            return "Sandbox.Timedout", "Task timed out"
        return "Extension.Crash", "extension did not register"

    # -- Invoke ----------------------------------------------------------------------------

    def invoke(self, request: InvocationRequest, deadline_ms: int) -> None:
        event: dict[str, Any] = {
            "eventType": "INVOKE",
            "deadlineMs": deadline_ms,
            "requestId": request.request_id,
            "invokedFunctionArn": request.invoked_function_arn,
        }
        if request.trace_id:
            event["tracing"] = {"type": "X-Amzn-Trace-Id", "value": request.trace_id}
        for ext in self.api.extensions.values():
            if "INVOKE" in ext.events:
                self.api.send(ext, event)

    async def post_invoke(self, deadline: float) -> bool:
        """Every extension back in event/next (False: a failure, or the deadline)."""
        return await self._until(self._all_ready, deadline)

    def error_document(self, request_id: str) -> bytes:
        error_type, reason = self.failure or ("Extension.Crash", "extension failed")
        return json.dumps(
            {"errorType": error_type, "errorMessage": f"RequestId: {request_id} Error: {reason}"}
        ).encode()

    # -- Telemetry -------------------------------------------------------------------------

    def publish(self, event_type: str, record: Any) -> None:
        at = iso_now(self._clock.now())
        if self._history is not None:
            self._history.append((event_type, record, at))
        self.telemetry.publish(event_type, record, at)

    def function_line(self, text: str) -> None:
        self.telemetry.publish("function", text.rstrip("\n"), iso_now(self._clock.now()))

    # -- Shutdown --------------------------------------------------------------------------

    def shutdown(self, reason: str, on_closed: Callable[[], None]) -> asyncio.Task[None]:
        """Start the Shutdown phase (once); the task ends with every extension gone."""
        if self.shut is None:
            loop = asyncio.get_running_loop()
            self.shut = loop.create_task(self._shutdown(reason, on_closed))
        return self.shut

    async def _shutdown(self, reason: str, on_closed: Callable[[], None]) -> None:
        self._closing = True
        deadline = asyncio.get_running_loop().time() + SHUTDOWN_WINDOW_S
        try:
            await self.telemetry.flush_all()
            deadline_ms = int((time.time() + SHUTDOWN_WINDOW_S) * 1000)
            event = {"eventType": "SHUTDOWN", "shutdownReason": reason, "deadlineMs": deadline_ms}
            told = [
                e for e in self._procs if "SHUTDOWN" in e.events and e.phase is not Phase.EXITED
            ]
            for ext in told:
                self.api.send(ext, event)
            await self._until(
                lambda: all(e.phase in (Phase.EXITED, Phase.READY) for e in told),
                deadline,
                stop_on_failure=False,
            )
        finally:
            self.kill()
            await asyncio.gather(*(p.wait_exit() for p in self._procs.values()))
            await self.telemetry.close()
            self.api.close()
            for proc in self._procs.values():
                proc.close()
            on_closed()

    def kill(self) -> None:
        self._closing = True
        for proc in self._procs.values():
            proc.kill()

    def alive(self) -> list[int]:
        return [p.pid for p in self._procs.values() if p.pid is not None and not p.exited]

    # -- internals -------------------------------------------------------------------------

    def _all_ready(self) -> bool:
        return all(e.phase is Phase.READY and not e.queue for e in self.api.extensions.values())

    def _exited(self, ext: Extension, _done: object = None) -> None:
        proc = self._procs[ext]
        self._outputs[ext].end()
        self.api.exited(ext)
        if not self._closing and self.failure is None:
            launch = proc.exec_error()
            if launch is not None:
                where = f"/opt/extensions/{ext.name}"
                self._fail(ext, "Extension.LaunchError", f"fork/exec {where}: {launch.lower()}")
            elif ext.error_type is not None:
                pass  # the failure it reported is recorded already
            else:
                reason = outcomes.exit_reason(proc.exit_code).replace("Runtime", "Extension", 1)
                self._fail(ext, "Extension.Crash", reason)
        self._poke()

    def _poke(self) -> None:
        if self.failure is None and not self._closing:
            for ext in self.api.extensions.values():
                if ext.phase is Phase.FAILED and ext.error_type is not None:
                    registered = self.api.registration_open
                    kind = "Extension.InitError" if registered else "Extension.ExitError"
                    self._fail(ext, kind, f"extension {ext.name} reported {ext.error_type}")
                    break
        pokes, self._pokes = self._pokes, []
        for fut in pokes:
            if not fut.done():
                fut.set_result(None)

    def _fail(self, ext: Extension, error_type: str, reason: str) -> None:
        self.failure = (error_type, reason)
        state = error_type.removeprefix("Extension.")
        self._extension_line(ext, state, error_type)
        if self.on_failure is not None:
            self.on_failure()

    def _extension_line(self, ext: Extension, state: str, error_type: str | None = None) -> None:
        record: dict[str, Any] = {"name": ext.name, "state": state, "events": sorted(ext.events)}
        if error_type:
            record["errorType"] = error_type
        self._log.line(*self._lines.extension(ext.name, state, sorted(ext.events), error_type))
        self.publish("platform.extension", record)

    def _subscribed(self, sub: Subscription) -> None:
        types = sorted(sub.types)
        self._log.line(*self._lines.telemetry_subscription(sub.name, types))
        for event_type, record, at in self._history or []:  # what happened since init began
            self.telemetry.publish_to(sub, event_type, record, at)
        record = {"name": sub.name, "state": "Subscribed", "types": types}
        self.publish("platform.telemetrySubscription", record)

    def _output(self, ext: Extension, text: str) -> None:
        self._log.line(text)
        self.telemetry.publish("extension", text.rstrip("\n"), iso_now(self._clock.now()))

    async def _until(
        self, done: Callable[[], bool], deadline: float, stop_on_failure: bool = True
    ) -> bool:
        loop = asyncio.get_running_loop()
        while not done():
            if stop_on_failure and self.failure is not None:
                return False
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            fut: asyncio.Future[None] = loop.create_future()
            self._pokes.append(fut)
            timer = loop.call_later(remaining, _settle, fut)
            try:
                await fut
            finally:
                timer.cancel()
        return not (stop_on_failure and self.failure is not None)


def _settle(fut: asyncio.Future[None]) -> None:
    if not fut.done():
        fut.set_result(None)
