"""One outcome boundary: every invocation, whatever path made it, ends here once.

The invoker records an `InvocationOutcome` for each run (and each throttle) through the
platform's `OutcomeBoundary`, which hands it to every registered sink: metrics, the journal
the console reads, the live feed. Sinks are called on the event loop, on the invoke path:
`record` must not block or await, only append to something a background task drains.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class Trigger(StrEnum):
    """Which path made the invocation."""

    SYNC = "sync"  # Invoke with RequestResponse (and DryRun never arrives here)
    ASYNC = "async"  # one attempt of an Event invocation
    MAPPING = "mapping"  # one batch of an event source mapping
    GATEWAY = "gateway"  # an API Gateway or ALB route
    URL = "url"  # a function URL


# Created once per invocation on the hot path: slots, not frozen (see sandbox/types.py).
@dataclass(slots=True, kw_only=True)
class InvocationOutcome:
    function_name: str
    executed_version: str  # "$LATEST" or "3"; the resolved version, also for an alias
    invoked_arn: str  # as the caller named it (qualified with an alias, a version, or not)
    request_id: str
    trigger: Trigger
    started_at: float  # the platform clock's epoch seconds when the run was admitted
    duration_ms: float  # 0.0 for a throttle
    billed_duration_ms: int = 0
    init_duration_ms: float | None = None  # set on a cold start
    max_memory_used_mb: int = 0
    function_error: str | None = None  # "Unhandled" (or "Handled") when the function failed
    error_type: str | None = None  # errorType of the error document, when one was returned
    throttled: bool = False  # refused by a concurrency limit: nothing ran
    payload: bytes = b""  # the event
    response: bytes = b""  # the response or error document
    trace_id: str | None = None  # X-Amzn-Trace-Id's value, when the invocation had one
    source_id: str = ""  # the async event id or the mapping UUID that made it, if any

    @property
    def cold(self) -> bool:
        return self.init_duration_ms is not None


class OutcomeSink(Protocol):
    def record(self, outcome: InvocationOutcome) -> None:
        """Take one outcome; on the event loop, without blocking (see the module doc)."""
        ...


class OutcomeBoundary:
    """Fans each outcome out to the sinks registered at start-up."""

    __slots__ = ("_sinks",)

    def __init__(self) -> None:
        self._sinks: tuple[OutcomeSink, ...] = ()

    def add(self, sink: OutcomeSink) -> None:
        self._sinks = (*self._sinks, sink)

    def record(self, outcome: InvocationOutcome) -> None:
        for sink in self._sinks:
            sink.record(outcome)
