"""Reserved concurrency: stored with the function, enforced by the ledger (spec 7.2)."""

from __future__ import annotations

from typing import Protocol

from lambdalite.config import MIN_UNRESERVED_CONCURRENCY
from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions.service import FunctionService
from lambdalite.functions.store import FunctionStore

QUALIFIED_NOT_ALLOWED = (
    "This operation is permitted on Lambda functions only. Aliases and versions do not support "
    "this operation. Please specify either a function name or an unqualified function ARN."
)


class ReservationLedger(Protocol):
    """What reservations need of invoke's ConcurrencyLedger, which enforces them: the account
    limit, and word when their total changes. A protocol, so `functions/` never imports
    `invoke/` (the composition root hands over the one ledger)."""

    @property
    def account_limit(self) -> int: ...

    def set_reserved_total(self, total: int) -> None: ...


class ConcurrencyService:
    def __init__(
        self, store: FunctionStore, functions: FunctionService, ledger: ReservationLedger
    ) -> None:
        self._store = store
        self._functions = functions
        self._ledger = ledger

    async def load(self) -> None:
        self._ledger.set_reserved_total(await self._store.total_reserved_concurrency())

    async def put(self, name: str, reserved: int) -> int:
        await self._functions.record(name)
        others = await self._store.total_reserved_concurrency(excluding=name)
        if self._ledger.account_limit - others - reserved < MIN_UNRESERVED_CONCURRENCY:
            raise InvalidParameterValueException(
                "Specified ReservedConcurrentExecutions for function decreases account's "
                "UnreservedConcurrentExecution below its minimum value of "
                f"[{MIN_UNRESERVED_CONCURRENCY}]."
            )
        await self._store.set_reserved_concurrency(name, reserved)
        await self.load()
        return reserved

    async def get(self, name: str) -> int | None:
        return (await self._functions.record(name)).reserved_concurrency

    async def delete(self, name: str) -> None:
        await self._functions.record(name)
        await self._store.set_reserved_concurrency(name, None)
        await self.load()

    async def unreserved(self) -> int:
        return self._ledger.account_limit - await self._store.total_reserved_concurrency()
