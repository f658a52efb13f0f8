"""One environment's log stream: application output from its log pipe plus platform lines.

Events go to the LogSink (one CloudWatch-style stream per environment). Like CloudWatch
events written by Lambda, each message keeps its trailing newline. A bounded copy of the
current invocation's text is kept for the log tail (spec 2.5) when the caller asks for it.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable
from datetime import UTC, datetime

from lambdalite.logs.store import LogRow
from lambdalite.observe.trace import is_sampled, parse, root_of
from lambdalite.sandbox.types import LogSink

log = logging.getLogger(__name__)

TAIL_BYTES = 4096
_TAIL_KEEP = 2 * TAIL_BYTES  # the caller cuts the last 4096 bytes; keep a margin
MAX_EVENT = 256 * 1024  # CloudWatch's event size limit: split longer lines


def iso_now(now: float | None = None) -> str:
    at = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return at.strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def stream_name(version: str, env_id: str, now: float | None = None) -> str:
    """`YYYY/MM/DD/[version]id`: the day the environment started (platform clock)."""
    at = datetime.fromtimestamp(time.time() if now is None else now, UTC)
    return f"{at:%Y/%m/%d}/[{version}]{env_id}"


def runtime_version_name(runtime: str) -> str:
    """`python:3.12.v1`, `nodejs:20.v1`, `provided:al2023.v1`: how INIT_START names a
    runtime version."""
    if runtime.startswith("python"):
        return runtime.replace("python", "python:", 1) + ".v1"
    if runtime.startswith("nodejs"):
        return "nodejs:" + runtime.removeprefix("nodejs").removesuffix(".x") + ".v1"
    return runtime.replace(".", ":", 1) + ".v1"


def init_start_line(runtime: str, region: str) -> str:
    version = runtime_version_name(runtime)
    digest = hashlib.sha256(runtime.encode()).hexdigest()
    arn = f"arn:aws:lambda:{region}::runtime:{digest}"
    return f"INIT_START Runtime Version: {version}\tRuntime Version ARN: {arn}\n"


def report_line(
    request_id: str,
    duration_ms: float,
    billed_ms: int,
    memory_mb: int,
    used_mb: int,
    init_ms: float | None,
    trace_header: str | None = None,
    restore_ms: float | None = None,
) -> str:
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\t"
        f"Max Memory Used: {used_mb} MB\t"
    )
    if init_ms is not None:
        line += f"Init Duration: {init_ms:.2f} ms\t"
    if restore_ms is not None:  # SnapStart: an environment restored from the snapshot
        line += (
            f"Restore Duration: {restore_ms:.2f} ms\t"
            f"Billed Restore Duration: {math.ceil(restore_ms)} ms\t"
        )
    if trace_header and is_sampled(trace_header):  # spec 8.7: only for a sampled trace
        root = root_of(trace_header)
        segment = next((v for k, v in parse(trace_header) if k == "Parent"), "")
        line += f"\nXRAY TraceId: {root}\tSegmentId: {segment}\tSampled: true\t"
    return line + "\n"


class LogStream:
    """`now` is the platform clock (seconds): each line is stamped with the time it was read
    from the environment, which is when the function wrote it, give or take a loop turn."""

    def __init__(
        self, sink: LogSink, group: str, name: str, now: Callable[[], float] = time.time
    ) -> None:
        self.sink = sink
        self.now = now
        self.group = group
        self.name = name
        self._partial = bytearray()
        self._pending: list[LogRow] = []
        self._tail: bytearray | None = None
        # A spare SnapStart restore (sandbox/spares.py) holds its lines until it is handed to
        # an invocation: a restore nobody used leaves no log stream.
        self.held = False
        # Each line of the function's own output (extensions' Telemetry API), if set.
        self.tap: Callable[[str], None] | None = None

    def feed(self, data: bytes) -> None:
        """Raw bytes from the environment's stdout/stderr."""
        if self._tail is not None:
            self._append_tail(data)
        partial = self._partial
        partial += data
        if b"\n" not in data and len(partial) < MAX_EVENT:
            return
        now = int(self.now() * 1000)
        start = 0
        while True:
            nl = partial.find(b"\n", start, start + MAX_EVENT)
            if nl < 0:
                if len(partial) - start < MAX_EVENT:
                    break
                nl = start + MAX_EVENT - 1
            text = partial[start : nl + 1].decode("utf-8", "replace")
            self._pending.append((self.group, self.name, now, text))
            if self.tap is not None:
                self.tap(text)
            start = nl + 1
        del partial[:start]
        self.flush()

    def line(self, *texts: str) -> None:
        """Platform lines (START, END, REPORT, ...); ends any unterminated output first."""
        now = int(self.now() * 1000)
        pending, group, name = self._pending, self.group, self.name
        if self._partial:
            text = self._partial.decode("utf-8", "replace")
            pending.append((group, name, now, text))
            self._partial.clear()
            if self.tap is not None:
                self.tap(text)
        for text in texts:
            pending.append((group, name, now, text))
            if self._tail is not None:
                self._append_tail(text.encode())

    def flush(self) -> None:
        if self.held or not self._pending:
            return
        rows, self._pending = self._pending, []
        try:
            self.sink.emit(rows)
        except Exception:
            log.exception("log sink failed for %s %s", self.group, self.name)

    def start_tail(self) -> None:
        self._tail = bytearray()

    def take_tail(self) -> str:
        tail, self._tail = self._tail, None
        if not tail:
            return ""
        return tail.decode("utf-8", "ignore")  # "ignore": the cut may split a character

    def _append_tail(self, data: bytes) -> None:
        tail = self._tail
        assert tail is not None
        tail += data
        if len(tail) > 2 * _TAIL_KEEP:
            del tail[: len(tail) - _TAIL_KEEP]
