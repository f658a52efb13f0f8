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
    provisioned: tuple[str, str] | None = None  # (function, qualifier) whose PC it took


class ConcurrencyLedger:
    def __init__(self, account_limit: int) -> None:
        self.account_limit = account_limit
        self._in_flight: dict[str, int] = {}
        self._unreserved_in_flight = 0
        self._reserved_total = 0
        self._total_in_flight = 0
        self.signals: MetricSignals = NO_SIGNALS  # ConcurrentExecutions and the account's
        # Provisioned concurrency (spec 7.3, 7.6): allocated per (function, qualifier), in use,
        # and what each function's configs request in total (carved out of its reservation).
        self._pc_allocated: dict[tuple[str, str], int] = {}
        self._pc_busy: dict[tuple[str, str], int] = {}
        self._pc_requested: dict[str, int] = {}

    def set_provisioned(self, function_name: str, qualifier: str, allocated: int) -> None:
        key = (function_name, qualifier)
        if allocated:
            self._pc_allocated[key] = allocated
        else:
            self._pc_allocated.pop(key, None)

    def set_provisioned_requested(self, function_name: str, total: int) -> None:
        if total:
            self._pc_requested[function_name] = total
        else:
            self._pc_requested.pop(function_name, None)

    def provisioned_in_use(self, function_name: str, qualifier: str) -> int:
        return self._pc_busy.get((function_name, qualifier), 0)

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

    def try_acquire(
        self, function_name: str, reserved: int | None, *, provisioned: str | None = None
    ) -> Slot:
        busy = self._in_flight.get(function_name, 0)
        if provisioned is not None and self._pc_allocated:
            key = (function_name, provisioned)
            used = self._pc_busy.get(key, 0)
            if used < self._pc_allocated.get(key, 0):  # warm, no init, never throttled
                self._pc_busy[key] = used + 1
                self._in_flight[function_name] = busy + 1
                self._total_in_flight += 1
                return Slot(function_name, True, key)
        if reserved is not None:
            on_demand = busy - self._pc_busy_of(function_name)
            if on_demand >= reserved - self._pc_requested.get(function_name, 0):
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

    def _pc_busy_of(self, function_name: str) -> int:
        if not self._pc_busy:
            return 0
        return sum(n for (fn, _), n in self._pc_busy.items() if fn == function_name)

    def release(self, slot: Slot) -> None:
        if slot.provisioned is not None:
            used = self._pc_busy[slot.provisioned] - 1
            if used:
                self._pc_busy[slot.provisioned] = used
            else:
                del self._pc_busy[slot.provisioned]
        left = self._in_flight[slot.function_name] - 1
        if left:
            self._in_flight[slot.function_name] = left
        else:
            del self._in_flight[slot.function_name]
        self._total_in_flight -= 1
        if not slot.reserved:
            self._unreserved_in_flight -= 1
