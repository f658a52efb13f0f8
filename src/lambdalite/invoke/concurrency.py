"""One concurrency ledger for sync, async and event-source invocations (spec 7.6).

Reserved concurrency is both a guarantee and a cap for its function; every other function
shares what the reservations leave of the account limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdalite.errors import TooManyRequestsException
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals

RESERVED_EXCEEDED = "ReservedFunctionConcurrentInvocationLimitExceeded"
ACCOUNT_EXCEEDED = "ConcurrentInvocationLimitExceeded"


@dataclass(frozen=True, slots=True)
class Slot:
    function_name: str
    reserved: bool


class ConcurrencyLedger:
    def __init__(self, account_limit: int) -> None:
        self.account_limit = account_limit
        self._in_flight: dict[str, int] = {}
        self._unreserved_in_flight = 0
        self._reserved_total = 0
        self._total_in_flight = 0
        self.signals: MetricSignals = NO_SIGNALS  # ConcurrentExecutions and the account's

    def set_reserved_total(self, total: int) -> None:
        """Called when reservations change: they shrink the shared pool."""
        self._reserved_total = total

    @property
    def unreserved_limit(self) -> int:
        return self.account_limit - self._reserved_total

    def busy(self) -> dict[str, int]:
        """Busy environments by function (a copy: the Prometheus gauge reads it)."""
        return dict(self._in_flight)

    def in_flight(self, function_name: str) -> int:
        return self._in_flight.get(function_name, 0)

    def try_acquire(self, function_name: str, reserved: int | None) -> Slot:
        busy = self._in_flight.get(function_name, 0)
        if reserved is not None:
            if busy >= reserved:
                raise TooManyRequestsException(RESERVED_EXCEEDED)
        elif self._unreserved_in_flight >= self.unreserved_limit:
            raise TooManyRequestsException(ACCOUNT_EXCEEDED)
        else:
            self._unreserved_in_flight += 1
        self._in_flight[function_name] = busy + 1
        self._total_in_flight += 1
        unreserved = self._unreserved_in_flight
        self.signals.concurrency(
            function_name, busy + 1, self._total_in_flight, unreserved,
            unreserved + self._reserved_total,
        )  # fmt: skip
        return Slot(function_name, reserved is not None)

    def release(self, slot: Slot) -> None:
        left = self._in_flight[slot.function_name] - 1
        if left:
            self._in_flight[slot.function_name] = left
        else:
            del self._in_flight[slot.function_name]
        self._total_in_flight -= 1
        if not slot.reserved:
            self._unreserved_in_flight -= 1
