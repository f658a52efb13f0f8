"""A mapping's event counts (brief section 1.3: PolledEventCount, FilteredOutEventCount,
InvokedEventCount, FailedInvokeEventCount, DroppedEventCount,
OnFailureDestinationDeliveredEventCount, DeletedEventCount), bound once per poller so the
pollers say only which stage and how many. CloudWatch gets them when the mapping's
MetricsConfig asks for EventCount; Prometheus always counts them."""

from __future__ import annotations

from lambdalite.esm.model import EventSourceMapping
from lambdalite.observe.signals import MetricSignals

POLLED = "polled"
FILTERED_OUT = "filtered_out"
INVOKED = "invoked"
FAILED_INVOKE = "failed_invoke"
DROPPED = "dropped"
ON_FAILURE_DELIVERED = "on_failure_delivered"
DELETED = "deleted"


class EventCounts:
    __slots__ = ("_emit", "_function", "_signals", "_uuid")

    def __init__(self, signals: MetricSignals, mapping: EventSourceMapping) -> None:
        self._signals = signals
        self._uuid = mapping.uuid
        self._function = mapping.function_name
        self._emit = mapping.config.event_counts

    def add(self, stage: str, count: int) -> None:
        if count > 0:
            self._signals.mapping_events(self._uuid, self._function, stage, count, self._emit)
