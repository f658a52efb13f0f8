"""The lines the platform writes into a function's log stream, in the function's LogFormat
(spec 8.7, brief 2.7).

Text: INIT_START, START, END, REPORT as Lambda writes them. JSON: the Telemetry API records
that replace them (`{"time", "type": "platform.start", "record": {...}}`), each with the
level that decides, against the function's SystemLogLevel, whether it is written at all.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from lambdalite.observe.trace import is_sampled, parse
from lambdalite.sandbox.logstream import init_start_line, report_line, runtime_version_name

SYSTEM_LEVELS = {"DEBUG": 10, "INFO": 20, "WARN": 30}


def runtime_version(runtime: str) -> tuple[str, str]:
    """(`python:3.12.v1`, its runtime version ARN) for a runtime name."""
    version = runtime_version_name(runtime)
    return version, hashlib.sha256(runtime.encode()).hexdigest()


class TextLines:
    def init_start(
        self, runtime: str, region: str, function: str, version: str, init_type: str = "on-demand"
    ) -> list[str]:
        return [init_start_line(runtime, region)]

    def init_report(
        self, init_ms: float, status: str, error_type: str | None, init_type: str = "on-demand"
    ) -> list[str]:
        line = f"INIT_REPORT Init Duration: {init_ms:.2f} ms\tPhase: init\tStatus: {status}\t"
        if error_type:
            line += f"Error Type: {error_type}"
        return [line + "\n"]

    def restore_start(self, runtime: str, region: str, function: str, version: str) -> list[str]:
        return [init_start_line(runtime, region).replace("INIT_START", "RESTORE_START", 1)]

    def restore_report(self, restore_ms: float, status: str, error_type: str | None) -> list[str]:
        line = f"RESTORE_REPORT Restore Duration: {restore_ms:.2f} ms\t"
        if status != "success":
            line += f"Status: {status}\t" + (f"Error Type: {error_type}" if error_type else "")
        return [line + "\n"]

    def start(self, request_id: str, version: str) -> list[str]:
        return [f"START RequestId: {request_id} Version: {version}\n"]

    def end(
        self, request_id: str, status: str, error_type: str | None, duration_ms: float,
        billed_ms: int, memory_mb: int, used_mb: int, init_ms: float | None,
        trace_header: str | None = None, restore_ms: float | None = None,
    ) -> list[str]:  # fmt: skip
        return [
            f"END RequestId: {request_id}\n",
            report_line(
                request_id, duration_ms, billed_ms, memory_mb, used_mb, init_ms, trace_header,
                restore_ms,
            ),
        ]  # fmt: skip

    def extension(
        self, name: str, state: str, events: list[str], error_type: str | None
    ) -> list[str]:
        line = f"EXTENSION\tName: {name}\tState: {state}\tEvents: [{','.join(events)}]"
        return [line + (f"\tError Type: {error_type}" if error_type else "") + "\n"]

    def telemetry_subscription(self, name: str, types: list[str]) -> list[str]:
        shown = ", ".join(t.capitalize() for t in types)
        return [f"TELEMETRY\tName: {name}\tState: Subscribed\tTypes: [{shown}]\n"]


class JsonLines:
    def __init__(self, system_level: str | None, now: Callable[[], float]) -> None:
        self._floor = SYSTEM_LEVELS.get(system_level or "INFO", 20)
        self._now = now

    def _record(self, kind: str, level: str, record: dict[str, Any]) -> list[str]:
        if SYSTEM_LEVELS[level] < self._floor:
            return []
        at = datetime.fromtimestamp(self._now(), UTC)
        time = at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"
        return [json.dumps({"time": time, "type": kind, "record": record}) + "\n"]

    def init_start(
        self, runtime: str, region: str, function: str, version: str, init_type: str = "on-demand"
    ) -> list[str]:
        return self._start("platform.initStart", runtime, region, function, version, init_type)

    def restore_start(self, runtime: str, region: str, function: str, version: str) -> list[str]:
        return self._start("platform.restoreStart", runtime, region, function, version, "")

    def restore_report(self, restore_ms: float, status: str, error_type: str | None) -> list[str]:
        record: dict[str, Any] = {"status": status, "metrics": {"durationMs": round(restore_ms, 3)}}
        if error_type:
            record["errorType"] = error_type
        return self._record("platform.restoreReport", "INFO", record)

    def _start(
        self, kind: str, runtime: str, region: str, function: str, version: str, init_type: str
    ) -> list[str]:
        name, digest = runtime_version(runtime)
        record: dict[str, Any] = {"initializationType": init_type} if init_type else {}
        return self._record(
            kind,
            "INFO",  # INFO when a runtime version is named, as it is here
            {
                **record,
                "phase": "init",
                "runtimeVersion": name,
                "runtimeVersionArn": f"arn:aws:lambda:{region}::runtime:{digest}",
                "functionName": function,
                "functionVersion": version,
            },
        )

    def init_report(
        self, init_ms: float, status: str, error_type: str | None, init_type: str = "on-demand"
    ) -> list[str]:
        record: dict[str, Any] = {
            "initializationType": init_type,
            "phase": "init",
            "status": status,
            "metrics": {"durationMs": round(init_ms, 3)},
        }
        if error_type:
            record["errorType"] = error_type
        return self._record("platform.initReport", "WARN", record)

    def start(self, request_id: str, version: str) -> list[str]:
        return self._record("platform.start", "INFO", {"requestId": request_id, "version": version})

    def end(
        self, request_id: str, status: str, error_type: str | None, duration_ms: float,
        billed_ms: int, memory_mb: int, used_mb: int, init_ms: float | None,
        trace_header: str | None = None, restore_ms: float | None = None,
    ) -> list[str]:  # fmt: skip
        ok = status == "success"
        done: dict[str, Any] = {"requestId": request_id, "status": status}
        if error_type and not ok:
            done["errorType"] = error_type
        report = dict(done)
        done["metrics"] = {"durationMs": round(duration_ms, 3), "producedBytes": 0}
        metrics: dict[str, Any] = {
            "durationMs": round(duration_ms, 3),
            "billedDurationMs": billed_ms,
            "memorySizeMB": memory_mb,
            "maxMemoryUsedMB": used_mb,
        }
        if init_ms is not None:
            metrics["initDurationMs"] = round(init_ms, 3)
        if restore_ms is not None:
            metrics["restoreDurationMs"] = round(restore_ms, 3)
            metrics["billedRestoreDurationMs"] = math.ceil(restore_ms)
        report["metrics"] = metrics
        if trace_header and is_sampled(trace_header):  # brief 2.7: only for a sampled trace
            segment = next((v for k, v in parse(trace_header) if k == "Parent"), "")
            tracing = {"spanId": segment, "type": "X-Amzn-Trace-Id", "value": trace_header}
            done["tracing"] = report["tracing"] = tracing
        return self._record("platform.runtimeDone", "DEBUG" if ok else "WARN", done) + self._record(
            "platform.report", "INFO" if ok else "WARN", report
        )

    # The records that replace EXTENSION and TELEMETRY lines (their Telemetry API shapes).
    # INFO, as their text lines show by default; a failed extension's at WARN (unconfirmed).
    def extension(
        self, name: str, state: str, events: list[str], error_type: str | None
    ) -> list[str]:
        record: dict[str, Any] = {"name": name, "state": state, "events": events}
        if error_type:
            record["errorType"] = error_type
        return self._record("platform.extension", "WARN" if error_type else "INFO", record)

    def telemetry_subscription(self, name: str, types: list[str]) -> list[str]:
        record = {"name": name, "state": "Subscribed", "types": types}
        return self._record("platform.telemetrySubscription", "INFO", record)


PlatformLines = TextLines | JsonLines


def platform_lines(
    log_format: str, system_level: str | None, now: Callable[[], float]
) -> PlatformLines:
    return JsonLines(system_level, now) if log_format == "JSON" else TextLines()
