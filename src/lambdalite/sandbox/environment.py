"""One execution environment: cold start (init), then one invocation at a time.

After a timeout or a crash the environment is discarded; the next invocation gets a fresh
one that runs init again. Its private /tmp goes with it (AWS keeps /tmp across such a
reset; we do not).
"""

from __future__ import annotations

import asyncio
import math
import shutil
import signal
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from enum import Enum
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from lambdalite.clock import Clock, SystemClock
from lambdalite.sandbox import outcomes
from lambdalite.sandbox.envvars import build_env, log_group
from lambdalite.sandbox.extensions.discover import find_extensions
from lambdalite.sandbox.extensions.host import RUNTIME_SHUTDOWN_S, ExtensionHost
from lambdalite.sandbox.extensions.mux import MountedApis
from lambdalite.sandbox.forkserver import ForkServerClient
from lambdalite.sandbox.logstream import LogStream, iso_now, stream_name
from lambdalite.sandbox.platform_lines import platform_lines, runtime_version
from lambdalite.sandbox.process import EnvProcess, Outcome
from lambdalite.sandbox.protocol import ERROR, INIT_ERROR, INVOKE, READY, RESULT
from lambdalite.sandbox.runtime_api.http import Routes
from lambdalite.sandbox.types import (
    EnvironmentSpec,
    InvocationRequest,
    InvocationResult,
    LogSink,
)

_SHUTDOWN_S = 2.0  # spec 8.2: SIGTERM, then SIGKILL after the shutdown window


# How long a lone invocation's server side spins for the answer before sleeping in epoll:
# most no-op and small handlers answer well within it.
SPIN_FOR_ANSWER_S = 0.0002


def invoke_meta(request: InvocationRequest, timeout_s: int, linger: bool) -> bytes:
    """The INVOKE frame's meta (see runtime/bootstrap.py), built without a dict or dumps:
    it is encoded once per invocation on the hot path."""
    deadline_ms = int(time.time() * 1000) + timeout_s * 1000
    parts = [
        b'{"id":',
        _json_string(request.request_id),
        b',"arn":',
        _json_string(request.invoked_function_arn),
        b',"deadline_ms":%d' % deadline_ms,
    ]
    if linger:
        parts.append(b',"linger":1')
    for key, value in (
        (b"cc", request.client_context),
        (b"ci", request.cognito_identity),
        (b"trace", request.trace_id),
        (b"tenant", request.tenant_id),
    ):
        if value:
            parts += (b',"', key, b'":', _json_string(value))
    parts.append(b"}")
    return b"".join(parts)


def _json_string(text: str) -> bytes:
    return encode_basestring_ascii(text).encode("ascii")


def process_cfg(
    spec: EnvironmentSpec,
    log_name: str,
    tmp_dir: Path,
    pycache_dir: Path | None,
    packages: Path | None,
    *,
    private_tmp: bool,
    platform_env: Mapping[str, str],
    default_env: Mapping[str, str],
    init_type: str = "on-demand",
) -> dict[str, Any]:
    """What the fork server needs to make an environment (or a SnapStart snapshot) of
    `spec`: runtime/isolation.py applies it."""
    env = build_env(spec, log_name, platform_env, default_env)
    env["AWS_LAMBDA_INITIALIZATION_TYPE"] = init_type
    if init_type == "snap-start":  # AWS does not set these for SnapStart functions
        env.pop("AWS_LAMBDA_LOG_GROUP_NAME", None)
        env.pop("AWS_LAMBDA_LOG_STREAM_NAME", None)
    return {
        "env": env,
        "cwd": str(spec.code_dir),
        "paths": list(spec.paths),
        "shared_paths": list(spec.shared_paths),
        "tmp": str(tmp_dir),
        "pycache": str(pycache_dir) if pycache_dir else None,
        "packages": str(packages) if packages else None,
        "private_tmp": private_tmp,
        "memory_mb": spec.memory_mb,
        "handler": spec.handler,
    }


class State(Enum):
    NEW = "new"
    BUSY = "busy"
    IDLE = "idle"
    DEAD = "dead"


class Environment:
    def __init__(
        self,
        spec: EnvironmentSpec,
        forkserver: ForkServerClient,
        sink: LogSink,
        *,
        tmp_root: Path,
        private_tmp: bool,
        platform_env: Mapping[str, str],
        default_env: Mapping[str, str],
        init_timeout_s: float,
        clock: Clock | None = None,
        init_type: str = "on-demand",
        restores: bool = False,
        launcher: ForkServerClient | None = None,
    ) -> None:
        self.spec = spec
        # AWS_LAMBDA_INITIALIZATION_TYPE; `restores`: `forkserver` is a SnapStart snapshot,
        # so init is a restore (after-restore hooks only).
        self.init_type = init_type
        self.restores = restores
        self.prepared = False  # initialised ahead of any invocation (provisioned)
        # A spare restore (sandbox/spares.py): restored ahead of need, its first invocation
        # reports the Restore Duration it took then.
        self.spare_restore_ms: float | None = None
        self.clock = clock or SystemClock()
        self.id = uuid.uuid4().hex
        self.state = State.NEW
        self.retired = False
        self.last_used = time.monotonic()
        self.invocations = 0
        now = self.clock.now
        name = stream_name(spec.function_version, self.id, now())
        self.log = LogStream(sink, log_group(spec), name, now)
        self.lines = platform_lines(spec.log_format, spec.system_log_level, now)
        self._status = "success"  # of the current invocation, for platform.report
        self.proc = EnvProcess(self.log.feed, spec.memory_mb)
        self.tmp_dir = tmp_root / self.id
        # Only code run in place needs bytecode of its own (see runtime/isolation.py).
        self.pycache_dir = tmp_root / f"{self.id}.pycache" if spec.code_is_local else None
        self._forkserver = forkserver
        # What starts the external extensions: a SnapStart snapshot serves only forks of
        # itself, so restores get theirs from the interpreter's fork server.
        self._launcher = launcher or forkserver
        self._private_tmp = private_tmp
        self._platform_env = platform_env
        self._default_env = default_env
        self._init_timeout_s = init_timeout_s
        self._timed_out = False
        self._discarded = False
        self._loop = asyncio.get_running_loop()  # retire() may be called from sync code
        # Extensions (sandbox/extensions/): None for Python functions without external ones,
        # which then pay nothing, not even a listener; Runtime API environments always have
        # one (for internal extensions, which register from the runtime's process).
        self.extensions: ExtensionHost | None = None
        self._apis: MountedApis | None = None
        self._shutdown_reason = "spindown"  # what SHUTDOWN tells the extensions
        # The pool's, to wait for a Shutdown phase still running (its drain hook).
        self.on_closing: Callable[[asyncio.Task[None]], None] | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid

    async def invoke(self, request: InvocationRequest, linger: bool = False) -> InvocationResult:
        """Run one invocation (cold-starting first if new). Always returns a result: function
        failures, timeouts and crashes are results, as AWS reports them."""
        if self.state not in (State.NEW, State.IDLE):
            raise RuntimeError(f"environment {self.id} is {self.state.value}")
        cold = self.state is State.NEW
        self.state = State.BUSY
        if request.want_log_tail:
            self.log.start_tail()
        try:
            init_ms: float | None = None
            failure: bytes | None = None
            if cold:
                init_ms, failure = await self._init(request.request_id)
            restore_ms, self.spare_restore_ms = self.spare_restore_ms, None
            if self.restores and init_ms is not None:
                restore_ms, init_ms = init_ms, None  # REPORT says Restore Duration instead
            return await self._run(request, init_ms, failure, linger, restore_ms)
        except BaseException:
            self.discard()  # cancelled mid-invocation: the environment's state is unknown
            raise
        finally:
            self.invocations += 1
            self.last_used = time.monotonic()

    async def prepare(self, spare: bool = False) -> bytes | None:
        """Initialise now, ahead of any invocation (provisioned concurrency): None when the
        environment is ready (its first invocation then reports no init), else the init
        failure's error document (the environment is discarded). `spare`: a SnapStart
        restore made ahead of need; its lines are held (see hand_over) and its first
        invocation reports the restore."""
        if self.state is not State.NEW:
            raise RuntimeError(f"environment {self.id} is {self.state.value}")
        self.state = State.BUSY
        self.log.held = spare
        try:
            ms, failure = await self._init("")
        except BaseException:
            self.discard()
            raise
        self.log.flush()
        if failure is not None or self.proc.exited:
            self.discard()
            return failure or outcomes.exit_error("", self.proc.exit_code)
        self.state = State.IDLE
        self.prepared = not spare
        if spare:
            self.spare_restore_ms = ms
        self.last_used = time.monotonic()
        return None

    def hand_over(self) -> None:
        """A spare restore goes to its first invocation: its held lines are its own now."""
        self.log.held = False
        self.log.flush()

    async def _init(self, request_id: str) -> tuple[float, bytes | None]:
        spec = self.spec
        self.tmp_dir.mkdir(parents=True, exist_ok=True)
        cfg = self._spawn_config()
        names = (spec.runtime, spec.region, spec.function_name, spec.function_version)
        if self.restores:
            self.log.line(*self.lines.restore_start(*names))
        else:
            self.log.line(*self.lines.init_start(*names, init_type=self.init_type))
        started = time.perf_counter()
        refused = self._entrypoint_error(request_id)
        if refused is not None:
            init_ms = (time.perf_counter() - started) * 1000
            error_type = outcomes.error_type_of(refused)
            self.log.line(*self.lines.init_report(init_ms, "error", error_type))
            return init_ms, refused
        deadline = self._loop.time() + self._init_timeout_s
        # SnapStart: AWS snapshots the extensions with the runtime; here they start afresh
        # with every restore (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start), before it.
        found = find_extensions(spec.layer_dirs) if spec.layer_dirs else []
        if found or self._serves_extensions():
            failed = await self._start_extensions(found, cfg, deadline, request_id)
            if failed is not None:
                return self._init_failed(started, *failed)
        waiter = self.proc.arm(max(deadline - self._loop.time(), 0.001))
        await self._spawn(cfg)
        outcome = await waiter
        init_ms = (time.perf_counter() - started) * 1000
        if outcome.frame is not None and outcome.frame.kind == READY:
            host = self.extensions
            if host is not None:
                self._publish_init(self._phase_event("RuntimeDone"), "success")
                if not await host.init_done(deadline):
                    return self._init_failed(started, *self._extensions_failure(request_id))
                init_ms = (time.perf_counter() - started) * 1000
                self._publish_init(self._phase_event("Report"), "success", init_ms)
            if self.restores:
                self.log.line(*self.lines.restore_report(init_ms, "success", None))
            return init_ms, None
        if outcome.timed_out:
            failure = outcomes.timed_out(request_id, spec.timeout_s)
            status = "timeout"
        elif outcome.frame is not None and outcome.frame.kind == INIT_ERROR:
            failure, status = outcome.frame.payload, "error"
        else:
            failure, status = self._crash(request_id, outcome), "error"
        return self._init_failed(started, failure, status)

    def _init_failed(self, started: float, failure: bytes, status: str) -> tuple[float, bytes]:
        init_ms = (time.perf_counter() - started) * 1000
        error_type = outcomes.error_type_of(failure)
        if self.restores:
            self.log.line(*self.lines.restore_report(init_ms, status, error_type))
        else:
            self.log.line(*self.lines.init_report(init_ms, status, error_type, self.init_type))
        self._publish_init(self._phase_event("Report"), status, init_ms, error_type)
        return init_ms, failure

    # -- extensions (sandbox/extensions/) ----------------------------------------------------

    async def _start_extensions(
        self, found: Sequence[tuple[str, Path]], cfg: dict[str, Any], deadline: float, rid: str
    ) -> tuple[bytes, str] | None:
        """Extension init: start them, wait until each registered (else the failure)."""
        spec = self.spec
        host = ExtensionHost(spec, found, self.log, self.clock, self._mount, self.lines)
        host.on_failure = self._extension_failed
        self.extensions = host
        self.log.tap = host.function_line
        cfg["env"]["AWS_LAMBDA_RUNTIME_API"] = await self._api_address()
        version, digest = runtime_version(spec.runtime)
        self._publish_init(
            self._phase_event("Start"), None, runtimeVersion=version,
            runtimeVersionArn=f"arn:aws:lambda:{spec.region}::runtime:{digest}",
            functionName=spec.function_name, functionVersion=spec.function_version,
        )  # fmt: skip
        await host.launch(self._launcher, cfg)
        if await host.registered(deadline):
            return None
        return self._extensions_failure(rid)

    def _extensions_failure(self, rid: str) -> tuple[bytes, str]:
        """The error document and status of an extension failure (or timeout) in init."""
        host = self.extensions
        assert host is not None
        self._shutdown_reason = "failure"
        if host.failure is None:
            self._shutdown_reason = "timeout"
            return outcomes.timed_out(rid, self.spec.timeout_s), "timeout"
        error_type, reason = host.failure
        self.log.line(f"RequestId: {rid} Error: {reason}\n", f"{error_type}\n")
        return host.error_document(rid), "error"

    def _extension_failed(self) -> None:
        """An extension failed: an idle environment is reset now (a busy one ends its
        invocation with the error first)."""
        self._shutdown_reason = "failure"
        if self.state is State.IDLE:
            self.discard()

    def _phase_event(self, suffix: str) -> str:
        """platform.initStart and the like, or for a SnapStart restore platform.restore*."""
        return f"platform.{'restore' if self.restores else 'init'}{suffix}"

    def _publish(self, event_type: str, record: dict[str, Any]) -> None:
        if self.extensions is not None:
            self.extensions.publish(event_type, record)

    def _publish_init(
        self,
        event_type: str,
        status: str | None,
        init_ms: float | None = None,
        error_type: str | None = None,
        **more: str,
    ) -> None:
        if self.extensions is None:
            return
        record: dict[str, Any] = dict(more)
        if not self.restores:  # the restore* records have neither (Telemetry API schema)
            record = {"initializationType": self.init_type, "phase": "init", **more}
        if status is not None:
            record["status"] = status
        if error_type:
            record["errorType"] = error_type
        if init_ms is not None:
            record["metrics"] = {"durationMs": round(init_ms, 3)}
        self.extensions.publish(event_type, record)

    async def _api_address(self) -> str:
        """AWS_LAMBDA_RUNTIME_API: a listener of its own for the Python runtimes."""
        if self._apis is None:
            self._apis = MountedApis()
        return await self._apis.start()

    def _mount(self, prefix: bytes, routes: Routes) -> None:
        if self._apis is None:
            self._apis = MountedApis()
        self._apis.mount(prefix, routes)

    def _close_apis(self) -> None:
        if self._apis is not None:
            self._apis.close()

    # -- what differs between ways to talk to an environment (runtime_api/environment.py) --

    def _spawn_config(self) -> dict[str, Any]:
        """What the fork server needs (runtime/isolation.py); other runtimes add to it."""
        return process_cfg(
            self.spec, self.log.name, self.tmp_dir, self.pycache_dir, self._forkserver.packages,
            private_tmp=self._private_tmp, platform_env=self._platform_env,
            default_env=self._default_env, init_type=self.init_type,
        )  # fmt: skip

    def _serves_extensions(self) -> bool:
        """Whether the Extensions and Telemetry APIs are served without external extensions
        (for internal ones): not here, where they would cost a listener per environment."""
        return False

    def _entrypoint_error(self, request_id: str) -> bytes | None:
        """An error document when the environment cannot even be started (None: it can)."""
        return None

    async def _spawn(self, cfg: dict[str, Any]) -> None:
        await self.proc.spawn(self._forkserver, cfg)

    def _send_invoke(self, request: InvocationRequest, linger: bool) -> None:
        meta = invoke_meta(request, self.spec.timeout_s, linger)
        self.proc.send(INVOKE, meta, request.payload)

    async def _run(
        self,
        request: InvocationRequest,
        init_ms: float | None,
        failure: bytes | None,
        linger: bool = False,
        restore_ms: float | None = None,
    ) -> InvocationResult:
        spec = self.spec
        rid = request.request_id
        if failure is None and request.want_log_tail:
            self.log.start_tail()  # init output of a successful cold start is not in the tail
        started = time.perf_counter()
        self._status = "success"
        if failure is None:
            payload, error = await self._call(request, linger)
        else:
            self.log.line(*self.lines.start(rid, spec.function_version))
            payload, error = failure, "Unhandled"
            self._status = "error"
        duration_ms = (time.perf_counter() - started) * 1000
        if self._timed_out:
            duration_ms = spec.timeout_s * 1000.0  # AWS reports the limit itself
            if spec.log_format != "JSON":  # JSON: the report's status says it
                at = iso_now(self.clock.now())
                self.log.line(f"{at} {rid} Task timed out after {spec.timeout_s:.2f} seconds\n")
        if failure is not None or self.state is State.DEAD:
            self.discard()
        else:
            self.state = State.IDLE
        billed = math.ceil(duration_ms + (init_ms or 0.0))  # init is billed since Aug 2025
        used_mb = math.ceil(self.proc.max_rss / (1024 * 1024))
        status = self._status
        error_type = None if status == "success" else outcomes.error_type_of(payload)
        self.log.line(
            *self.lines.end(
                rid,
                status,
                error_type,
                duration_ms,
                billed,
                spec.memory_mb,
                used_mb,
                init_ms,
                request.trace_id,
                restore_ms=restore_ms,
            )
        )
        if self.extensions is not None:
            self._publish("platform.report", _report_record(
                rid, status, error_type, duration_ms, billed, spec.memory_mb, used_mb, init_ms,
                request,
            ))  # fmt: skip
        self.log.flush()
        return InvocationResult(
            payload=payload,
            function_error=error,
            executed_version=spec.function_version,
            duration_ms=duration_ms,
            billed_duration_ms=billed,
            max_memory_used_mb=used_mb,
            init_duration_ms=init_ms,
            log_tail=self.log.take_tail(),
            restore_duration_ms=restore_ms,
            restore_failed=self.restores and failure is not None and restore_ms is not None,
        )

    async def _call(self, request: InvocationRequest, linger: bool) -> tuple[bytes, str | None]:
        spec = self.spec
        host = self.extensions
        deadline = self._loop.time() + spec.timeout_s  # the whole Invoke phase (spec 8.2)
        waiter = self.proc.arm(float(spec.timeout_s))
        self._send_invoke(request, linger and host is None)
        if host is not None:
            host.invoke(request, int(time.time() * 1000) + spec.timeout_s * 1000)
        # Logged once the request is on its way: the environment works meanwhile, and its
        # output is read only after this coroutine yields, so START still comes first.
        self.log.line(*self.lines.start(request.request_id, spec.function_version))
        if host is not None:  # (no record built on the hot path of functions without)
            start: dict[str, Any] = {"requestId": request.request_id}
            start["version"] = spec.function_version
            self._publish("platform.start", _with_tracing(start, request))
        if linger and host is None:
            self.proc.spin_until_answer(SPIN_FOR_ANSWER_S)
        started = time.perf_counter()
        outcome = await waiter
        answer = self._answer(request, outcome)
        if host is not None and self.state is not State.DEAD:
            record = {
                "requestId": request.request_id, "status": self._status,
                "metrics": {
                    "durationMs": round((time.perf_counter() - started) * 1000, 3),
                    "producedBytes": len(answer[0]),
                },
            }  # fmt: skip
            self._publish("platform.runtimeDone", _with_tracing(record, request))
            if not await host.post_invoke(deadline):  # every extension back in event/next
                return self._invoke_failed_by_extensions(request.request_id)
        return answer

    def _answer(self, request: InvocationRequest, outcome: Outcome) -> tuple[bytes, str | None]:
        frame = outcome.frame
        if frame is not None and frame.kind in (RESULT, ERROR):
            if frame.payload_size > outcomes.MAX_RESPONSE:
                self._status = "failure"
                return outcomes.too_large(), "Unhandled"
            if frame.kind == RESULT:
                return frame.payload, None
            self._status = "failure"
            return frame.payload, "Unhandled"
        self.state = State.DEAD
        self._status = "error"
        self._shutdown_reason = "failure"
        if outcome.timed_out:
            self._timed_out = True
            self._status = "timeout"
            self._shutdown_reason = "timeout"
            return outcomes.timed_out(request.request_id, self.spec.timeout_s), "Unhandled"
        self.proc.kill()
        return self._crash(request.request_id, outcome), "Unhandled"

    def _invoke_failed_by_extensions(self, rid: str) -> tuple[bytes, str | None]:
        """An extension crashed, reported exit/error or missed the deadline in the
        post-invoke phase: the invocation fails and the environment is reset."""
        self.state = State.DEAD
        self.proc.kill()
        failure, status = self._extensions_failure(rid)
        self._status = status
        self._timed_out = status == "timeout"
        return failure, "Unhandled"

    def _crash(self, request_id: str, outcome: Outcome) -> bytes:
        code = outcome.exit_code if outcome.died else None
        reason = outcomes.exit_reason(code)
        self.log.line(f"RequestId: {request_id} Error: {reason}\n")
        self.log.line("Runtime.ExitError\n")
        return outcomes.exit_error(request_id, code)

    def shutdown(self) -> None:
        """Graceful stop (idle reaping, retirement): SIGTERM, SIGKILL after the window."""
        if self._discarded:
            return
        self.proc.signal(signal.SIGTERM)
        # With external extensions the runtime gets only its share of the window (spec 8.2).
        external = self.extensions is not None and self.extensions.count > 0
        window = RUNTIME_SHUTDOWN_S if external else _SHUTDOWN_S
        self._loop.call_later(window, self.proc.kill)
        self.discard(kill=False)

    def stop_extensions(self) -> asyncio.Task[None] | None:
        """Start the extensions' Shutdown phase (once); the task ends with them all gone.
        None when the environment has no extensions."""
        host = self.extensions
        if host is None:
            return None
        task = host.shutdown(self._shutdown_reason, self._remove_files)
        if self.on_closing is not None:
            self.on_closing(task)
        return task

    def discard(self, kill: bool = True) -> None:
        """Never use this environment again; release everything it holds."""
        self.state = State.DEAD
        if self._discarded:
            return
        self._discarded = True
        if kill:
            self.proc.kill()
        self.proc.close()
        self.log.flush()
        if self.stop_extensions() is None:
            self._remove_files()  # else once the extensions are gone: they share /tmp

    def _remove_files(self) -> None:
        self._close_apis()
        for directory in (self.tmp_dir, self.pycache_dir):
            if directory is not None:
                self._loop.run_in_executor(None, shutil.rmtree, directory, True)


def _with_tracing(record: dict[str, Any], request: InvocationRequest) -> dict[str, Any]:
    if request.trace_id:
        record["tracing"] = {"type": "X-Amzn-Trace-Id", "value": request.trace_id}
    return record


def _report_record(
    rid: str, status: str, error_type: str | None, duration_ms: float, billed: int,
    memory_mb: int, used_mb: int, init_ms: float | None, request: InvocationRequest,
) -> dict[str, Any]:  # fmt: skip
    """platform.report (observability.md, "System records")."""
    metrics: dict[str, Any] = {
        "durationMs": round(duration_ms, 3), "billedDurationMs": billed,
        "memorySizeMB": memory_mb, "maxMemoryUsedMB": used_mb,
    }  # fmt: skip
    if init_ms is not None:
        metrics["initDurationMs"] = round(init_ms, 3)
    record: dict[str, Any] = {"requestId": rid, "status": status, "metrics": metrics}
    if error_type:
        record["errorType"] = error_type
    return _with_tracing(record, request)
