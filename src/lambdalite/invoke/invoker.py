"""The synchronous invoke path: admit, run in an environment, release."""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Protocol

from lambdalite.clock import Clock, SystemClock
from lambdalite.config import Settings
from lambdalite.errors import (
    ResourceConflictException,
    SnapStartException,
    SnapStartNotReadyException,
    TooManyRequestsException,
)
from lambdalite.invoke.concurrency import ConcurrencyLedger
from lambdalite.invoke.resolve import Target
from lambdalite.layers.paths import import_paths
from lambdalite.model.arn import function_arn
from lambdalite.model.function import LATEST, FunctionConfig, State
from lambdalite.observe.outcome import InvocationOutcome, OutcomeBoundary, Trigger
from lambdalite.sandbox.interpreters import interpreter_for
from lambdalite.sandbox.streaming import ResponseStream
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest, InvocationResult

_random_bits = random.Random().getrandbits  # seeded from os.urandom once
_CLEAR_VERSION = ~((0xF << 76) | (0x3 << 62))
_VERSION_4 = (0x4 << 76) | (0x2 << 62)


class Sandbox(Protocol):
    async def invoke(
        self,
        spec: EnvironmentSpec,
        request: InvocationRequest,
        *,
        queued_since: float | None = None,
        provisioned: str | None = None,
    ) -> InvocationResult: ...


def new_request_id() -> str:
    """A lowercase UUID in the version-4 layout of AWS's request ids, whose first 48 bits
    are the time in milliseconds and the other 74 random.

    Time first makes ids sort by creation, so the async queue's unique request-id index
    grows at its right edge: random ids dirtied a different index page per accepted event,
    ~10 us of commit work each (measured in bench/async_invoke.py's setting). Built from
    `random` rather than `os.urandom`: ids need to be unique, not secret.
    """
    bits = (time.time_ns() // 1_000_000) << 80 | _random_bits(80)
    bits = (bits & _CLEAR_VERSION) | _VERSION_4
    h = f"{bits:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


class Invoker:
    def __init__(
        self,
        settings: Settings,
        sandbox: Sandbox,
        ledger: ConcurrencyLedger,
        *,
        clock: Clock | None = None,
        outcomes: OutcomeBoundary | None = None,
    ) -> None:
        self._settings = settings
        self._sandbox = sandbox
        self.ledger = ledger
        self._clock = clock or SystemClock()
        # Every run and every throttle, whatever path asked for it, is recorded here once.
        self.outcomes = outcomes or OutcomeBoundary()
        self._specs: dict[str, EnvironmentSpec] = {}

    def spec_for(self, config: FunctionConfig) -> EnvironmentSpec:
        """Environment specs are cached by revision: building one per call is waste."""
        key = f"{config.name}:{config.version}:{config.revision_id}"
        spec = self._specs.get(key)
        if spec is None:
            if len(self._specs) > 4096:
                self._specs.clear()
            s = self._settings
            paths, shared_paths = import_paths(config)
            spec = EnvironmentSpec(
                key=key,
                function_name=config.name,
                function_version=config.version,
                function_arn=function_arn(s.region, s.account_id, config.name),
                handler=config.handler,
                runtime=config.runtime,
                interpreter=interpreter_for(config.runtime).path,
                code_dir=Path(config.code.directory),
                code_is_local=config.code.local,
                paths=paths,
                shared_paths=shared_paths,
                layer_dirs=tuple(ref.directory for ref in reversed(config.layer_refs)),
                memory_mb=config.memory_size,
                timeout_s=config.timeout,
                ephemeral_storage_mb=config.ephemeral_storage,
                environment=dict(config.environment),
                region=s.region,
                account_id=s.account_id,
                log_group=config.effective_log_group,
                log_format=config.log_format,
                application_log_level=config.application_log_level,
                system_log_level=config.system_log_level,
                snap_start=config.snap_started,
            )
            self._specs[key] = spec
        return spec

    @staticmethod
    def check_invocable(config: FunctionConfig) -> None:
        if config.state is State.PENDING and config.snap_started:
            raise SnapStartNotReadyException(
                "Lambda is initializing your function. You can invoke the function when the "
                "function state becomes Active."
            )
        if config.state is not State.ACTIVE:
            raise ResourceConflictException(
                "The operation cannot be performed at this time. The function is currently "
                f"in the following state: {config.state.value}"
            )

    async def invoke(
        self,
        target: Target,
        payload: bytes,
        *,
        request_id: str | None = None,
        client_context: str | None = None,
        want_log_tail: bool = False,
        queued_since: float | None = None,
        trigger: Trigger = Trigger.SYNC,
        source_id: str = "",
        trace_id: str | None = None,
        stream: ResponseStream | None = None,
    ) -> tuple[str, InvocationResult]:
        """`queued_since`: the clock time work taken from a queue (Event invokes, pollers)
        has waited there since; it waits for a busy environment instead of starting one at
        once (sandbox/scaling.py). None for a synchronous caller. `trigger` and `source_id`
        (an async event's request id, a mapping's UUID) say which path asked. `stream`: the
        caller takes a streamed response (sandbox/streaming.py); the result comes once it
        has ended."""
        config = target.config
        self.check_invocable(config)
        request_id = request_id or new_request_id()
        started_at = self._clock.now()
        pc_key = target.qualifier if target.qualifier not in (None, LATEST) else None
        try:
            slot = self.ledger.try_acquire(
                config.name, target.record.reserved_concurrency, provisioned=pc_key
            )
        except TooManyRequestsException:
            self.outcomes.record(
                InvocationOutcome(
                    function_name=config.name,
                    executed_version=config.version,
                    invoked_arn=target.invoked_arn,
                    request_id=request_id,
                    trigger=trigger,
                    started_at=started_at,
                    duration_ms=0.0,
                    throttled=True,
                    payload=payload,
                    trace_id=trace_id,
                    source_id=source_id,
                )
            )
            raise
        try:
            result = await self._sandbox.invoke(
                self.spec_for(config),
                InvocationRequest(
                    request_id=request_id,
                    payload=payload,
                    invoked_function_arn=target.invoked_arn,
                    client_context=client_context,
                    trace_id=trace_id,
                    want_log_tail=want_log_tail,
                    stream=stream,
                ),
                queued_since=queued_since,
                provisioned=pc_key if slot.provisioned else None,
            )
        finally:
            self.ledger.release(slot)
        if result.restore_failed:
            message = _error_message(result.payload)
            raise SnapStartException(f"Runtime.AfterRestoreError: {message}")
        self.outcomes.record(
            InvocationOutcome(
                function_name=config.name,
                executed_version=result.executed_version,
                invoked_arn=target.invoked_arn,
                request_id=request_id,
                trigger=trigger,
                started_at=started_at,
                duration_ms=result.duration_ms,
                billed_duration_ms=result.billed_duration_ms,
                init_duration_ms=result.init_duration_ms,
                max_memory_used_mb=result.max_memory_used_mb,
                function_error=result.function_error,
                error_type=_error_type(result.payload) if result.function_error else None,
                payload=payload,
                response=result.payload,
                trace_id=trace_id,
                source_id=source_id,
            )
        )
        return request_id, result


def _error_type(document: bytes) -> str | None:
    try:
        value = json.loads(document)
    except ValueError:
        return None
    error_type = value.get("errorType") if isinstance(value, dict) else None
    return error_type if isinstance(error_type, str) else None


def _error_message(document: bytes) -> str:
    try:
        value = json.loads(document)
    except ValueError:
        return ""
    message = value.get("errorMessage") if isinstance(value, dict) else None
    return message if isinstance(message, str) else ""
