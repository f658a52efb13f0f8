"""Metric signals that are not invocation outcomes, called by the subsystems at the
recording moments the observability brief gives (section 1.3). Like an OutcomeSink, an
implementation is called on the event loop and must only append, never block or await.

`NO_SIGNALS` is the default everywhere, so every subsystem runs without metrics too.
"""

from __future__ import annotations

from typing import Protocol


class MetricSignals(Protocol):
    def concurrency(
        self, function: str, busy: int, total: int, unreserved: int, claimed: int
    ) -> None:
        """An environment was admitted: the function's busy count, the account's busy
        count, the busy count of functions without reservations, and the claimed account
        concurrency (unreserved busy + every reservation)."""
        ...

    def async_received(self, function: str) -> None:
        """An Event invocation was accepted (AsyncEventsReceived)."""
        ...

    def async_attempt(self, function: str, age_ms: float) -> None:
        """An attempt of an Event invocation starts, `age_ms` after its accept (AsyncEventAge)."""
        ...

    def async_dropped(self, function: str, reason: str) -> None:
        """An event left the queue without a successful run (AsyncEventsDropped); `reason`
        is retries_exhausted, max_age, zero_concurrency or gone."""
        ...

    def dead_letter_failed(self, function: str) -> None:
        """Sending an event to its dead-letter queue failed (DeadLetterErrors)."""
        ...

    def destination_failed(self, function: str) -> None:
        """Delivering an invocation record to a destination failed
        (DestinationDeliveryFailures)."""
        ...

    def iterator_age(self, function: str, mapping: str, age_ms: float) -> None:
        """A stream mapping invokes a batch whose last record arrived `age_ms` ago."""
        ...

    def mapping_events(
        self, mapping: str, function: str, stage: str, count: int, emit: bool
    ) -> None:
        """`count` events of a mapping reached `stage` (polled, filtered_out, invoked,
        failed_invoke, dropped, on_failure_delivered, deleted); `emit` is whether its
        MetricsConfig asks for EventCount (CloudWatch only; Prometheus always counts)."""
        ...


class NoSignals:
    def concurrency(
        self, function: str, busy: int, total: int, unreserved: int, claimed: int
    ) -> None:
        pass

    def async_received(self, function: str) -> None:
        pass

    def async_attempt(self, function: str, age_ms: float) -> None:
        pass

    def async_dropped(self, function: str, reason: str) -> None:
        pass

    def dead_letter_failed(self, function: str) -> None:
        pass

    def destination_failed(self, function: str) -> None:
        pass

    def iterator_age(self, function: str, mapping: str, age_ms: float) -> None:
        pass

    def mapping_events(
        self, mapping: str, function: str, stage: str, count: int, emit: bool
    ) -> None:
        pass


NO_SIGNALS: MetricSignals = NoSignals()
