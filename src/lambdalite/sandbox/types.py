"""Values that cross the boundary between the invoke path and the sandbox pool."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from lambdalite.logs.store import LogRow

if TYPE_CHECKING:
    from lambdalite.sandbox.streaming import ResponseStream


@dataclass(frozen=True, kw_only=True)
class EnvironmentSpec:
    """Everything needed to start an execution environment for one function version.

    Environments with the same ``key`` are interchangeable: a warm one may serve any
    invocation whose spec has that key. The key changes whenever code or configuration
    changes, which is how an update retires old environments.
    """

    key: str
    function_name: str
    function_version: str  # "$LATEST" or "3"
    function_arn: str  # unqualified ARN
    handler: str
    runtime: str  # e.g. "python3.12"
    interpreter: str  # path of the python executable that runs this runtime
    code_dir: Path
    # Code run in place from a directory of the user's (non-AWS): edited between versions,
    # so its compiled bytecode must not outlive one environment (see runtime/isolation.py).
    code_is_local: bool = False
    # More import path entries, right after the code: built dependencies, then layers'
    # directories (where /opt/python would be).
    paths: tuple[str, ...] = ()
    # Those of `paths` nobody edits (builds, extracted zips): environments running local
    # code share their bytecode instead of compiling it each (see runtime/isolation.py).
    shared_paths: tuple[str, ...] = ()
    # The function's layers' directories (each what /opt would hold), the last layer first:
    # custom runtimes look for /opt/bootstrap and /opt/lib there.
    layer_dirs: tuple[str, ...] = ()
    memory_mb: int = 128
    timeout_s: int = 3
    ephemeral_storage_mb: int = 512
    environment: Mapping[str, str] = field(default_factory=dict)
    region: str = "us-east-1"
    account_id: str = "000000000000"
    log_group: str = ""
    log_format: str = "Text"  # LoggingConfig: "Text" or "JSON"
    application_log_level: str | None = None  # JSON only (AWS_LAMBDA_LOG_LEVEL)
    system_log_level: str | None = None  # JSON only: which platform records are written
    # SnapStart (ApplyOn PublishedVersions, published versions only): environments are
    # forked from a snapshot of the initialised function (sandbox/snapshot.py).
    snap_start: bool = False


# The per-invocation records below are created on the hot path: slots without frozen,
# whose __init__ pays an object.__setattr__ per field (about a microsecond each record).
@dataclass(slots=True, kw_only=True)
class InvocationRequest:
    request_id: str
    payload: bytes
    invoked_function_arn: str
    client_context: str | None = None  # decoded JSON text
    cognito_identity: str | None = None  # JSON text
    trace_id: str | None = None
    want_log_tail: bool = False
    tenant_id: str | None = None  # multi-tenant functions (Lambda-Runtime-Aws-Tenant-Id)
    # A caller that can take a streamed response (sandbox/streaming.py); None: buffered.
    stream: ResponseStream | None = None


@dataclass(slots=True, kw_only=True)
class InvocationResult:
    payload: bytes
    function_error: str | None  # "Unhandled" when the function failed, else None
    executed_version: str
    duration_ms: float
    billed_duration_ms: int
    max_memory_used_mb: int
    init_duration_ms: float | None  # set on a cold start
    log_tail: str  # the invocation's log text (START .. REPORT); filled when asked for
    restore_duration_ms: float | None = None  # SnapStart: set on a restored environment
    restore_failed: bool = False  # SnapStart: its after-restore hooks failed (SnapStartException)


class LogSink(Protocol):
    """Where environments' log lines go (one stream per environment, as CloudWatch does)."""

    def emit(self, rows: list[LogRow]) -> None: ...
