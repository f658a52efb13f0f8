"""Provisioned concurrency (spec 7.3): configs per published version or alias, kept
initialised by an Allocator (the sandbox pool, wired in platform.py).

A Put answers 202 IN_PROGRESS at once; the environments are initialised in the background
and the config turns READY (Allocated = Available = Requested), or FAILED with a
StatusReason when an init fails. Configs are durable; allocation is made again on start.
An environment that crashes or times out is replaced by the allocator on its own; a config
goes with its function, version or alias (forget).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from lambdalite.errors import (
    InvalidParameterValueException,
    ProvisionedConcurrencyConfigNotFoundException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdalite.functions.provisioned_model import ProvisionedConfig
from lambdalite.functions.service import FunctionService, timestamp
from lambdalite.functions.store import FunctionStore
from lambdalite.model.function import LATEST, FunctionConfig
from lambdalite.settling import until_done

UNPUBLISHED = "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
NOT_ALIAS_OR_VERSION = "The function resource provided must be an alias or a published version."
NOT_FOUND = "No Provisioned Concurrency Config found for this function"
OVER_RESERVED = (
    "Requested Provisioned Concurrency should not be greater than the "
    "reservedConcurrentExecution for function"
)
# spec 7.3: PC on an alias and on the version it points to exclude each other.
VERSION_PROVISIONED = (
    "Alias can't be used for Provisioned Concurrency configuration on an already "
    "Provisioned version"
)
ALIAS_PROVISIONED = "Version is pointed by a Provisioned Concurrency alias"


class ProvisionedStore(Protocol):
    async def put(self, config: ProvisionedConfig) -> None: ...
    async def get(self, function_name: str, qualifier: str) -> ProvisionedConfig | None: ...
    async def delete(self, function_name: str, qualifier: str | None = None) -> int: ...
    async def list(self, function_name: str | None = None) -> list[ProvisionedConfig]: ...


class Allocator(Protocol):
    async def allocate(
        self, config: FunctionConfig, qualifier: str, count: int
    ) -> tuple[int, str | None]:
        """Keep `count` initialised environments of `config` for `qualifier`; returns how
        many are, and the error type of a failed init."""
        ...

    def allocated(self, config: FunctionConfig, qualifier: str) -> int: ...

    def release(self, function_name: str, qualifier: str | None) -> None:
        """Stop the environments kept for `qualifier` (every qualifier when None), whose
        version may be gone already."""
        ...


class ProvisionedLedger(Protocol):
    @property
    def unreserved_limit(self) -> int: ...
    def set_provisioned(self, function_name: str, qualifier: str, allocated: int) -> None: ...
    def set_provisioned_requested(self, function_name: str, total: int) -> None: ...


@dataclass(slots=True)
class Status:
    status: str = "IN_PROGRESS"
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class ProvisionedView:
    config: ProvisionedConfig
    allocated: int
    status: str
    reason: str | None


class ProvisionedConcurrencyService:
    def __init__(
        self,
        store: ProvisionedStore,
        functions: FunctionService,
        function_store: FunctionStore,
        allocator: Allocator,
        ledger: ProvisionedLedger,
    ) -> None:
        self._store = store
        self._functions = functions
        self._function_store = function_store
        self._allocator = allocator
        self._ledger = ledger
        self._status: dict[tuple[str, str], Status] = {}
        self._background: set[asyncio.Task[None]] = set()

    async def load(self) -> None:
        """On start: allocate every stored config again (allocation is not durable)."""
        for config in await self._store.list():
            try:
                version = await self._version_of(config.function_name, config.qualifier)
            except ResourceNotFoundException:
                continue
            await self._count_requested(config.function_name)
            self._allocate_later(config, version)

    async def put(self, name: str, qualifier: str | None, requested: int) -> ProvisionedView:
        record = await self._functions.record(name)
        if requested < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{requested}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1"
            )
        if qualifier is None or qualifier == LATEST:
            raise InvalidParameterValueException(UNPUBLISHED)
        version = await self._version_of(name, qualifier)
        configs = [c for c in await self._store.list(name) if c.qualifier != qualifier]
        await self._check_exclusive(name, qualifier, version, configs)
        others = sum(c.requested for c in configs)
        if record.reserved_concurrency is not None:
            if others + requested > record.reserved_concurrency:
                raise InvalidParameterValueException(OVER_RESERVED)
        elif requested > self._ledger.unreserved_limit - 100:  # 100 always stay unreserved
            raise InvalidParameterValueException(
                "Specified ConcurrentExecutions for function is greater than account's "
                f"unreserved concurrency [{self._ledger.unreserved_limit}]."
            )
        config = ProvisionedConfig(name, qualifier, requested, timestamp())
        await self._store.put(config)
        await self._count_requested(name)
        self._status[(name, qualifier)] = Status()
        self._allocate_later(config, version)
        return self._view(config, version)

    async def get(self, name: str, qualifier: str | None) -> ProvisionedView:
        await self._functions.record(name)
        if qualifier is None or qualifier == LATEST:
            raise InvalidParameterValueException(UNPUBLISHED)
        version = await self._version_of(name, qualifier)
        config = await self._store.get(name, qualifier)
        if config is None:
            raise ProvisionedConcurrencyConfigNotFoundException(NOT_FOUND)
        return self._view(config, version)

    async def delete(self, name: str, qualifier: str | None) -> None:
        await self._functions.record(name)
        if qualifier is None or qualifier == LATEST:
            raise InvalidParameterValueException(UNPUBLISHED)
        version = await self._version_of(name, qualifier)
        if not await self._store.delete(name, qualifier):
            raise ProvisionedConcurrencyConfigNotFoundException(NOT_FOUND)
        self._status.pop((name, qualifier), None)
        await self._count_requested(name)
        self._ledger.set_provisioned(name, qualifier, 0)
        await self._allocator.allocate(version, qualifier, 0)

    async def list(self, name: str) -> list[ProvisionedView]:
        await self._functions.record(name)
        views = []
        for config in await self._store.list(name):
            try:
                views.append(self._view(config, await self._version_of(name, config.qualifier)))
            except ResourceNotFoundException:
                continue  # its version or alias is gone
        return views

    async def forget(self, name: str, qualifier: str | None) -> None:
        """The function (qualifier None), a version or an alias was deleted: its configs go,
        and the environments kept for them."""
        if not await self._store.delete(name, qualifier):
            return
        for key in [k for k in self._status if k[0] == name and qualifier in (None, k[1])]:
            del self._status[key]
            self._ledger.set_provisioned(name, key[1], 0)
        await self._count_requested(name)
        self._allocator.release(name, qualifier)

    async def wait_settled(self) -> None:
        await until_done(lambda: self._background)

    # -- internals -------------------------------------------------------------------------

    async def _version_of(self, name: str, qualifier: str) -> FunctionConfig:
        if qualifier.isdigit():
            return await self._functions.version(name, qualifier)
        alias = await self._function_store.get_alias(name, qualifier)
        if alias is None:
            raise ResourceNotFoundException(
                f"Cannot find alias arn: {self._functions.arn(name, qualifier)}"
            )
        if alias.function_version == LATEST:
            raise InvalidParameterValueException(NOT_ALIAS_OR_VERSION)
        return await self._functions.version(name, alias.function_version)

    async def _check_exclusive(
        self,
        name: str,
        qualifier: str,
        version: FunctionConfig,
        others: Sequence[ProvisionedConfig],
    ) -> None:
        """409 when the alias's version, or an alias pointing at the version, has PC."""
        provisioned = {c.qualifier for c in others}
        if not qualifier.isdigit():
            if version.version in provisioned:
                raise ResourceConflictException(VERSION_PROVISIONED)
            return
        for alias in provisioned - {q for q in provisioned if q.isdigit()}:
            target = await self._function_store.get_alias(name, alias)
            if target is not None and target.function_version == qualifier:
                raise ResourceConflictException(ALIAS_PROVISIONED)

    async def _count_requested(self, name: str) -> None:
        total = sum(c.requested for c in await self._store.list(name))
        self._ledger.set_provisioned_requested(name, total)

    def _view(self, config: ProvisionedConfig, version: FunctionConfig) -> ProvisionedView:
        status = self._status.get((config.function_name, config.qualifier)) or Status()
        allocated = self._allocator.allocated(version, config.qualifier)
        return ProvisionedView(config, allocated, status.status, status.reason)

    def _allocate_later(self, config: ProvisionedConfig, version: FunctionConfig) -> None:
        self._spawn(self._allocate(config, version))

    async def _allocate(self, config: ProvisionedConfig, version: FunctionConfig) -> None:
        key = (config.function_name, config.qualifier)
        allocated, error_type = await self._allocator.allocate(
            version, config.qualifier, config.requested
        )
        current = await self._store.get(*key)
        if current is None:  # deleted meanwhile: what this allocation started goes too
            self._allocator.release(*key)
            return
        if current != config:
            return  # replaced meanwhile: its own allocation decides
        self._ledger.set_provisioned(config.function_name, config.qualifier, allocated)
        status = self._status.setdefault(key, Status())
        if allocated >= config.requested:
            status.status, status.reason = "READY", None
        else:
            status.status = "FAILED"
            status.reason = f"FUNCTION_ERROR_INIT_FAILURE: {error_type or 'Runtime.Unknown'}"

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
