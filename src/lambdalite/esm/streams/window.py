"""Tumbling windows (spec 4.8): windows aligned on record arrival; the function gets the
state it returned last within the window, and a final invocation closes each window.

A batch holds records of one window only (``window_of``); it is the window's final
invocation when the records after it belong to a later window or the window has ended on
the clock. The state lives with the lane: a restart starts the window's state over."""

from __future__ import annotations

import math
from typing import Any

from lambdalite.esm.streams.lane import Lane
from lambdalite.esm.streams.outcome import Kind, Outcome

MAX_STATE_BYTES = 1024 * 1024


def window_of(arrival: float, seconds: int) -> float:
    return math.floor(arrival / seconds) * seconds


def _iso(timestamp: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def same_window_prefix(records: list[Any], seconds: int) -> int:
    """How many of the leading records share the first one's window."""
    start = window_of(records[0].approximate_arrival_timestamp, seconds)
    for i, record in enumerate(records):
        if window_of(record.approximate_arrival_timestamp, seconds) != start:
            return i
    return len(records)


def window_event(
    event: dict[str, Any],
    lane: Lane,
    batch: list[Any],
    seconds: int,
    shard_id: str,
    source_arn: str,
    now: float,
) -> dict[str, Any]:
    if batch:
        start = window_of(batch[0].approximate_arrival_timestamp, seconds)
        if lane.window_start != start:
            lane.window_start, lane.state = start, None
    else:  # the closing invocation of the lane's window
        assert lane.window_start is not None
        start = lane.window_start
    end = start + seconds
    later = any(window_of(r.approximate_arrival_timestamp, seconds) > start for r in lane.pending)
    final = not batch or later or now >= end
    lane.window_final = final
    return {
        **event,
        "window": {"start": _iso(start), "end": _iso(end)},
        "state": lane.state or {},
        "shardId": shard_id,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": False,
    }


def closing_due(lane: Lane, seconds: int) -> float | None:
    """When the lane's open window needs its final invocation (no record of it is left):
    at its end on the clock, or at once when a later window's record is waiting."""
    if lane.window_start is None or lane.window_final or lane.batches:
        return None
    start = lane.window_start
    if any(window_of(r.approximate_arrival_timestamp, seconds) == start for r in lane.pending):
        return None
    if lane.pending:
        return lane.retry_at
    return max(lane.retry_at, start + seconds)


def window_outcome(response: Any, batch: list[Any], lane: Lane, common: dict[str, Any]) -> Outcome:
    """A response without "state" fails the invocation (spec 4.8)."""
    if not isinstance(response, dict) or "state" not in response:
        return Outcome(Kind.FAILED, **common)
    lane.state = None if lane.window_final else response["state"]
    return Outcome(Kind.SUCCESS, **common)
