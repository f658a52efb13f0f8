"""The metrics sink at the outcome boundary, and the metric signals of the subsystems.

On the invoke path `record` only appends the outcome to a list (no aggregation, no I/O):
`fold` turns what was appended into CloudWatch buckets (AWS/Lambda) and Prometheus
values. Every reader folds first (the API, the scrape, the flusher), so a datapoint is
visible at once; the list is also folded whenever it reaches FOLD_AT, which bounds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from lambdalite.clock import Clock
from lambdalite.observe.metrics import catalogue, emf
from lambdalite.observe.metrics.bucket import Bucket
from lambdalite.observe.metrics.catalogue import COUNT, MILLISECONDS, NAMESPACE
from lambdalite.observe.metrics.prometheus import PromState
from lambdalite.observe.metrics.registry import Dimensions, MetricRegistry, SeriesKey
from lambdalite.observe.outcome import InvocationOutcome, Trigger

FOLD_AT = 4_096
_TYPE = {
    Trigger.SYNC: "sync",
    Trigger.ASYNC: "async",
    Trigger.MAPPING: "esm",
    Trigger.GATEWAY: "gateway",
    Trigger.URL: "url",
}
_OUTCOME_BY_ERROR = {"Sandbox.Timedout": "timeout", "Runtime.ExitError": "crash"}

Signal = Callable[[], None]


class LambdaMetrics:
    """OutcomeSink (observe/outcome.py) and MetricSignals (observe/signals.py)."""

    def __init__(self, clock: Clock, registry: MetricRegistry | None = None) -> None:
        self._clock = clock
        self.registry = registry or MetricRegistry()
        self.prom = PromState()
        self._outcomes: list[InvocationOutcome] = []
        self._signals: list[tuple[Any, ...]] = []
        self._sets: dict[tuple[str, str, str], tuple[Dimensions, ...]] = {}
        self._keys: dict[tuple[str, Dimensions], SeriesKey] = {}
        self.enabled = True
        self.on_fold: Callable[[], None] | None = None  # wakes the flusher

    # the hot path ---------------------------------------------------------------------

    def record(self, outcome: InvocationOutcome) -> None:
        if self.enabled:
            self._outcomes.append(outcome)
            if len(self._outcomes) >= FOLD_AT:
                self.fold()

    def _signal(self, *signal: Any) -> None:
        if self.enabled:
            self._signals.append((self._clock.now(), *signal))
            if len(self._signals) >= FOLD_AT:
                self.fold()

    def concurrency(
        self, function: str, busy: int, total: int, unreserved: int, claimed: int
    ) -> None:
        self._signal("concurrency", function, busy, total, unreserved, claimed)

    def async_received(self, function: str) -> None:
        self._signal("received", function)

    def async_attempt(self, function: str, age_ms: float) -> None:
        self._signal("age", function, age_ms)

    def async_dropped(self, function: str, reason: str) -> None:
        self._signal("dropped", function, reason)

    def dead_letter_failed(self, function: str) -> None:
        self._signal("dlq_failed", function)

    def destination_failed(self, function: str) -> None:
        self._signal("destination_failed", function)

    def iterator_age(self, function: str, mapping: str, age_ms: float) -> None:
        self._signal("iterator_age", function, mapping, age_ms)

    def emf_line(self, message: str) -> None:
        """An Embedded Metric Format log line (observe/metrics/emf.py), parsed at fold;
        without `_aws.Timestamp` its time is the platform clock's now."""
        self._signal("emf", message)

    def mapping_events(
        self, mapping: str, function: str, stage: str, count: int, emit: bool
    ) -> None:
        self._signal("mapping", mapping, function, stage, count, emit)

    # folding --------------------------------------------------------------------------

    def fold(self) -> None:
        outcomes, self._outcomes = self._outcomes, []
        signals, self._signals = self._signals, []
        if outcomes:
            self._fold_outcomes(outcomes)
        concurrency: dict[tuple[str, Dimensions, int], Counter[float]] = {}
        for signal in signals:
            if signal[1] == "concurrency":
                self._gather_concurrency(concurrency, signal)
            else:
                self._fold_signal(signal)
        for (name, dims, minute), samples in concurrency.items():
            bucket = Bucket()
            for value, count in samples.items():  # few distinct busy counts: few logs
                bucket.add(value, count)
            self.registry.merge(self._key(name, dims), minute, bucket, COUNT)
        if (outcomes or signals) and self.on_fold is not None:
            self.on_fold()

    def _add(self, name: str, dims: Dimensions, at: float, value: float, unit: str) -> None:
        self.registry.add(self._key(name, dims), at, value, unit)

    def _key(self, name: str, dims: Dimensions) -> SeriesKey:
        key = self._keys.get((name, dims))
        if key is None:
            if len(self._keys) > 50_000:
                self._keys.clear()
            key = self._keys[(name, dims)] = SeriesKey(NAMESPACE, name, dims)
        return key

    def _function_sets(self, cache_key: tuple[str, str, str]) -> tuple[Dimensions, ...]:
        sets = self._sets.get(cache_key)
        if sets is None:
            if len(self._sets) > 10_000:
                self._sets.clear()
            sets = self._sets[cache_key] = catalogue.function_sets(*cache_key)
        return sets

    def _fold_outcomes(self, outcomes: list[InvocationOutcome]) -> None:
        """Grouped by (function, invoked ARN, version, minute) first, so each dimension
        set's buckets are touched once per group, not once per outcome."""
        groups: dict[tuple[str, str, str, int], _Group] = {}
        prom = self.prom
        for o in outcomes:
            minute = int(o.started_at // 60) * 60
            slot = (o.function_name, o.invoked_arn, o.executed_version, minute)
            group = groups.get(slot)
            if group is None:
                group = groups[slot] = _Group()
            kind = _TYPE[o.trigger]
            if o.throttled:
                group.throttles += 1
                prom.inc("lambdalite_throttles_total", (o.function_name, kind))
                continue
            group.duration.add(o.duration_ms)
            outcome = "success"
            if o.function_error:
                group.errors += 1
                outcome = _OUTCOME_BY_ERROR.get(o.error_type or "", "function_error")
            fn = o.function_name
            labels = (fn, catalogue.qualifier_of(o.invoked_arn), kind, outcome)
            prom.inc("lambdalite_invocations_total", labels)
            prom.observe("lambdalite_invocation_duration_seconds", (fn, kind), o.duration_ms / 1e3)
            if o.init_duration_ms is not None:
                prom.inc("lambdalite_cold_starts_total", (fn,))
                prom.observe("lambdalite_init_duration_seconds", (fn,), o.init_duration_ms / 1e3)
        for (fn, arn, version, minute), group in groups.items():
            self._fold_group(self._function_sets((fn, arn, version)), minute, group)

    def _fold_group(self, sets: tuple[Dimensions, ...], minute: int, group: _Group) -> None:
        registry, at = self.registry, float(minute)
        invocations = group.duration.count
        for dims in sets:
            if invocations:
                registry.add(self._key("Invocations", dims), at, 1.0, COUNT, invocations)
                registry.merge(self._key("Duration", dims), minute, group.duration, MILLISECONDS)
            if group.errors:
                registry.add(self._key("Errors", dims), at, 1.0, COUNT, group.errors)
            if group.throttles:
                registry.add(self._key("Throttles", dims), at, 1.0, COUNT, group.throttles)

    def _fold_signal(self, signal: tuple[Any, ...]) -> None:
        at, kind, *args = signal
        fold = _SIGNAL_FOLDS[kind]
        fold(self, at, *args)

    @staticmethod
    def _gather_concurrency(
        into: dict[tuple[str, Dimensions, int], Counter[float]], signal: tuple[Any, ...]
    ) -> None:
        """One admission's samples, grouped per series and minute (one merge each)."""
        at, _, fn, busy, total, unreserved, claimed = signal
        minute = int(at // 60) * 60
        for name, dims, value in (
            ("ConcurrentExecutions", (("FunctionName", fn),), busy),
            ("ConcurrentExecutions", (), total),
            ("UnreservedConcurrentExecutions", (), unreserved),
            ("ClaimedAccountConcurrency", (), claimed),
        ):
            samples = into.get((name, dims, minute))
            if samples is None:
                samples = into[(name, dims, minute)] = Counter()
            samples[float(value)] += 1

    def _fold_received(self, at: float, fn: str) -> None:
        self._add("AsyncEventsReceived", (("FunctionName", fn),), at, 1.0, COUNT)
        self.prom.inc("lambdalite_async_events_received_total", (fn,))

    def _fold_age(self, at: float, fn: str, age_ms: float) -> None:
        self._add("AsyncEventAge", (("FunctionName", fn),), at, age_ms, MILLISECONDS)
        self.prom.observe("lambdalite_async_event_age_seconds", (fn,), age_ms / 1e3)

    def _fold_dropped(self, at: float, fn: str, reason: str) -> None:
        self._add("AsyncEventsDropped", (("FunctionName", fn),), at, 1.0, COUNT)
        self.prom.inc("lambdalite_async_events_dropped_total", (fn, reason))

    def _fold_dlq_failed(self, at: float, fn: str) -> None:
        self._add("DeadLetterErrors", (("FunctionName", fn),), at, 1.0, COUNT)
        self.prom.inc("lambdalite_dead_letter_failures_total", (fn,))

    def _fold_destination_failed(self, at: float, fn: str) -> None:
        self._add("DestinationDeliveryFailures", (("FunctionName", fn),), at, 1.0, COUNT)
        self.prom.inc("lambdalite_destination_delivery_failures_total", (fn,))

    def _fold_iterator_age(self, at: float, fn: str, mapping: str, age_ms: float) -> None:
        self._add("IteratorAge", (("FunctionName", fn),), at, age_ms, MILLISECONDS)
        self.prom.set("lambdalite_esm_iterator_age_seconds", (mapping,), age_ms / 1e3)

    def _fold_mapping(
        self, at: float, mapping: str, fn: str, stage: str, count: int, emit: bool
    ) -> None:
        if emit and count:
            name = _MAPPING_METRICS[stage]
            self._add(name, (("EventSourceMappingUUID", mapping),), at, float(count), COUNT)
        self.prom.inc("lambdalite_esm_events_total", (mapping, fn, stage), count)


def _fold_emf(self: LambdaMetrics, at: float, message: str) -> None:
    for sample in emf.samples(message, at):
        self.registry.add(
            sample.key, sample.at, sample.value, sample.unit, 1.0, sample.high_resolution
        )


class _Group:
    """What one fold saw of one (function, invoked ARN, version, minute)."""

    __slots__ = ("duration", "errors", "throttles")

    def __init__(self) -> None:
        self.duration = Bucket()  # its count is the invocations'
        self.errors = 0
        self.throttles = 0


_MAPPING_METRICS = {
    "polled": "PolledEventCount",
    "filtered_out": "FilteredOutEventCount",
    "invoked": "InvokedEventCount",
    "failed_invoke": "FailedInvokeEventCount",
    "dropped": "DroppedEventCount",
    "on_failure_delivered": "OnFailureDestinationDeliveredEventCount",
    "deleted": "DeletedEventCount",
}
_SIGNAL_FOLDS: dict[str, Callable[..., None]] = {
    "received": LambdaMetrics._fold_received,
    "age": LambdaMetrics._fold_age,
    "dropped": LambdaMetrics._fold_dropped,
    "dlq_failed": LambdaMetrics._fold_dlq_failed,
    "destination_failed": LambdaMetrics._fold_destination_failed,
    "iterator_age": LambdaMetrics._fold_iterator_age,
    "mapping": LambdaMetrics._fold_mapping,
    "emf": _fold_emf,
}
