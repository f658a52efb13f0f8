"""What feeds the live feed: invocation outcomes (an OutcomeSink of its own, beside the
journal: neither is derived from the other) and function log lines (a LogWriter listener)."""

from __future__ import annotations

from typing import Any

from lambdalite.logs.store import LogRow
from lambdalite.observe.feed import LiveFeed
from lambdalite.observe.journal import ERROR, SUCCESS, THROTTLED
from lambdalite.observe.outcome import InvocationOutcome


def outcome_summary(outcome: InvocationOutcome) -> dict[str, Any]:
    if outcome.throttled:
        result = THROTTLED
    else:
        result = SUCCESS if outcome.function_error is None else ERROR
    return {
        "requestId": outcome.request_id,
        "functionName": outcome.function_name,
        "trigger": str(outcome.trigger),
        "outcome": result,
        "errorType": outcome.error_type,
        "durationMs": round(outcome.duration_ms, 2),
        "cold": outcome.cold,
        "startedAt": outcome.started_at,
    }


class FeedOutcomes:
    """Publishes each outcome to `overview`, `fn:<name>` and, for an async attempt or a
    mapping batch, `journey:<source id>`: only to topics someone watches."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    def record(self, outcome: InvocationOutcome) -> None:
        feed = self.feed
        if not feed.active:  # no console open: the usual case, one attribute read
            return
        topics = [
            topic
            for topic in ("overview", f"fn:{outcome.function_name}", f"journey:{outcome.source_id}")
            if feed.watched(topic)
        ]
        if not topics:
            return
        summary = outcome_summary(outcome)
        for topic in topics:
            feed.publish(topic, summary)


class FeedLogs:
    """Publishes stored log lines to `logs:<group>` (a LogWriter listener)."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    def __call__(self, rows: list[LogRow]) -> None:
        feed = self.feed
        for group, stream, timestamp_ms, message in rows:
            topic = f"logs:{group}"
            if feed.watched(topic):
                feed.publish(
                    topic, {"stream": stream, "timestamp": timestamp_ms, "message": message}
                )
