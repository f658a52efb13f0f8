"""The invocation journal: one durable row per run or throttle, what the console, `lambdalite
logs` and `lambdalite events` read.

Retention (documented in README, "The console"): a function keeps its newest
`Retention.keep_per_function` rows (default 10,000) and no row older than
`Retention.max_age_s` of platform-clock time (default 7 days). Payloads and responses are
kept up to CAPTURE_BYTES each (256 KiB, the async payload limit of old); the original size
is kept beside them so a cut is visible.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from lambdalite.observe.outcome import InvocationOutcome

CAPTURE_BYTES = 256 * 1024
DEFAULT_KEEP_PER_FUNCTION = 10_000
DEFAULT_MAX_AGE_S = 7 * 86400.0

SUCCESS = "Success"
ERROR = "Error"
THROTTLED = "Throttled"


@dataclass(frozen=True)
class Retention:
    keep_per_function: int = DEFAULT_KEEP_PER_FUNCTION
    max_age_s: float = DEFAULT_MAX_AGE_S


# The read shape only: the writer hands the store outcomes, which it turns straight into
# rows (building an entry per invocation first cost 2.5 us of the loop's time each).
@dataclass(slots=True, kw_only=True)
class JournalEntry:
    """One invocation as journalled; `id` is 0 until stored. Listings leave `payload` and
    `response` empty (their sizes stay): fetch one entry by request id for them."""

    id: int = 0
    request_id: str
    function_name: str
    executed_version: str
    invoked_arn: str
    trigger: str
    started_at: float
    ended_at: float
    logged_ms: int  # platform clock when it ended: its log lines are just before
    duration_ms: float
    billed_ms: int
    init_ms: float | None
    max_memory_mb: int
    outcome: str  # Success | Error | Throttled
    error_type: str | None
    payload: bytes
    payload_size: int
    response: bytes
    response_size: int
    trace_id: str | None
    source_id: str

    @property
    def cold(self) -> bool:
        return self.init_ms is not None


# What the writer buffers per invocation: the outcome and its log mark (the platform clock
# in ms when it was recorded: its log lines are just before).
Recorded = tuple[InvocationOutcome, int]


def result_of(outcome: InvocationOutcome) -> str:
    if outcome.throttled:
        return THROTTLED
    return SUCCESS if outcome.function_error is None else ERROR


@dataclass(frozen=True, slots=True)
class FunctionCounts:
    """A function's journalled invocations since some time: the overview's live counts."""

    invocations: int  # runs (throttles are not invocations, as in CloudWatch)
    errors: int
    throttles: int
    total_duration_ms: float
    last_at: float | None


class JournalStore(Protocol):
    async def append(self, recorded: Sequence[Recorded]) -> None:
        """Store an entry per outcome in one transaction, in order: its result by
        `result_of`, payload and response cut to CAPTURE_BYTES, sizes whole."""
        ...

    async def recent(
        self,
        function_name: str,
        limit: int,
        *,
        before_id: int | None = None,
        failed_only: bool = False,
    ) -> list[JournalEntry]:
        """Newest first, without payloads (the listing shape)."""
        ...

    async def by_request(self, request_id: str) -> list[JournalEntry]:
        """Every run with this request id (an async event's attempts), oldest first, whole."""
        ...

    async def counts(self, since: float) -> dict[str, FunctionCounts]:
        """Per function, what started in the minute of `since` (platform clock) or later:
        whole minutes, so up to a minute more than asked for."""
        ...

    async def prune(self, before: float, keep_per_function: int, functions: Sequence[str]) -> int:
        """Delete rows started before `before`, and beyond the newest `keep_per_function`
        of each of `functions`; returns how many went."""
        ...
