"""Prometheus text exposition (format 0.0.4) of lambdalite's own counters (brief section 5).

Names follow the Prometheus guide: the `lambdalite_` prefix, `_total` counters, `_seconds`
histograms with fixed buckets. Labels are bounded (function, qualifier, type, outcome,
reason, mapping, stage): never a request id, trace id or message. The values are folded
from the same outcomes and signals as the CloudWatch series, so the two agree.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Iterable, Mapping

CONTENT_TYPE = b"text/plain; version=0.0.4; charset=utf-8"
DURATION_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    60.0, 300.0, 900.0,
)  # fmt: skip
Labels = tuple[str, ...]

# family -> (type, help, label names)
FAMILIES: dict[str, tuple[str, str, Labels]] = {
    "lambdalite_invocations_total": (
        "counter",
        "Handler runs by function, qualifier, trigger type and outcome.",
        ("function", "qualifier", "type", "outcome"),
    ),
    "lambdalite_invocation_duration_seconds": (
        "histogram",
        "Handler duration of each invocation.",
        ("function", "type"),
    ),
    "lambdalite_init_duration_seconds": (
        "histogram",
        "Init duration of each cold start.",
        ("function",),
    ),
    "lambdalite_cold_starts_total": ("counter", "Cold starts.", ("function",)),
    "lambdalite_throttles_total": (
        "counter",
        "Invocations refused by a concurrency limit.",
        ("function", "type"),
    ),
    "lambdalite_async_events_received_total": (
        "counter",
        "Event invocations accepted.",
        ("function",),
    ),
    "lambdalite_async_event_age_seconds": (
        "histogram",
        "Age of Event invocations at the start of each attempt.",
        ("function",),
    ),
    "lambdalite_async_events_dropped_total": (
        "counter",
        "Event invocations that left the queue without a successful run.",
        ("function", "reason"),
    ),
    "lambdalite_dead_letter_failures_total": (
        "counter",
        "Failed sends to a dead-letter queue.",
        ("function",),
    ),
    "lambdalite_destination_delivery_failures_total": (
        "counter",
        "Failed deliveries of invocation records to destinations.",
        ("function",),
    ),
    "lambdalite_esm_events_total": (
        "counter",
        "Events of event source mappings by stage.",
        ("mapping", "function", "stage"),
    ),
    "lambdalite_esm_iterator_age_seconds": (
        "gauge",
        "Age of the last record of the last batch a stream mapping invoked.",
        ("mapping",),
    ),
    "lambdalite_concurrent_executions": (
        "gauge",
        "Busy execution environments of each function.",
        ("function",),
    ),
    # Read at scrape time from the components (GaugeSource), not folded from outcomes.
    "lambdalite_execution_environments": (
        "gauge",
        "Live execution environments by function and state (initializing, idle, busy).",
        ("function", "state"),
    ),
    "lambdalite_async_queue_events": (
        "gauge",
        "Undone Event invocations by function and state (queued, scheduled_retry, in_flight).",
        ("function", "state"),
    ),
    "lambdalite_sqs_messages": (
        "gauge",
        "Messages of each SQS queue by state (visible, in_flight, delayed).",
        ("queue", "state"),
    ),
    "lambdalite_api_requests_total": (
        "counter",
        "AWS API requests by service, operation and status class.",
        ("service", "operation", "status_class"),
    ),
}
BUILD_LABELS = ("version", "python", "store")


class Histogram:
    __slots__ = ("counts", "count", "total")

    def __init__(self) -> None:
        self.counts = [0] * (len(DURATION_BUCKETS) + 1)
        self.count = 0
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(DURATION_BUCKETS, value)] += 1
        self.count += 1
        self.total += value


class PromState:
    """Counters, histograms and gauges by family and label values (folded, not live)."""

    def __init__(self) -> None:
        self.values: dict[str, dict[Labels, float]] = {}
        self.histograms: dict[str, dict[Labels, Histogram]] = {}

    def inc(self, family: str, labels: Labels, by: float = 1.0) -> None:
        table = self.values.setdefault(family, {})
        table[labels] = table.get(labels, 0.0) + by

    def set(self, family: str, labels: Labels, value: float) -> None:
        self.values.setdefault(family, {})[labels] = value

    def observe(self, family: str, labels: Labels, value: float) -> None:
        table = self.histograms.setdefault(family, {})
        hist = table.get(labels)
        if hist is None:
            hist = table[labels] = Histogram()
        hist.observe(value)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(names: Labels, values: Labels, extra: str = "") -> str:
    parts = [f'{n}="{_escape(v)}"' for n, v in zip(names, values, strict=True)]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def render(state: PromState, gauges: Mapping[str, Mapping[Labels, float]], build: Labels) -> bytes:
    lines: list[str] = []
    for family, (kind, help_text, names) in FAMILIES.items():
        lines.append(f"# HELP {family} {help_text}")
        lines.append(f"# TYPE {family} {kind}")
        if kind == "histogram":
            lines.extend(_histogram(family, names, state.histograms.get(family, {}).items()))
            continue
        values = gauges.get(family) or state.values.get(family, {})
        for labels, value in sorted(values.items()):
            lines.append(f"{family}{_labels(names, labels)} {_number(value)}")
    lines.append("# HELP lambdalite_build_info lambdalite's version, Python and store backend.")
    lines.append("# TYPE lambdalite_build_info gauge")
    lines.append(f"lambdalite_build_info{_labels(BUILD_LABELS, build)} 1.0")
    return ("\n".join(lines) + "\n").encode()


def _histogram(family: str, names: Labels, items: Iterable[tuple[Labels, Histogram]]) -> list[str]:
    base = family
    out: list[str] = []
    for labels, hist in sorted(items, key=lambda item: item[0]):
        running = 0
        for bound, n in zip((*DURATION_BUCKETS, math.inf), hist.counts, strict=True):
            running += n
            le = f'le="{_number(bound)}"'
            out.append(f"{base}_bucket{_labels(names, labels, le)} {float(running)!r}")
        out.append(f"{base}_sum{_labels(names, labels)} {hist.total!r}")
        out.append(f"{base}_count{_labels(names, labels)} {float(hist.count)!r}")
    return out


GaugeSource = Callable[[], Mapping[str, Mapping[Labels, float]]]
