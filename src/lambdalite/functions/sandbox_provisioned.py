"""The Allocator provisioned concurrency asks for (functions/provisioned.py): the sandbox
pool's pre-initialised environments, with the invoker's environment specs."""

from __future__ import annotations

import json
from typing import Protocol

from lambdalite.functions.sandbox_snapshots import SpecSource
from lambdalite.model.function import FunctionConfig
from lambdalite.sandbox.pool import Provisioned
from lambdalite.sandbox.types import EnvironmentSpec


class ProvisioningPool(Protocol):
    async def provision(self, spec: EnvironmentSpec, qualifier: str, count: int) -> Provisioned: ...
    def provisioned_count(self, key: str, qualifier: str) -> int: ...
    def release_provisioned(self, function_name: str, qualifier: str | None) -> int: ...


class PoolAllocator:
    def __init__(self, pool: ProvisioningPool, specs: SpecSource) -> None:
        self._pool = pool
        self._specs = specs

    async def allocate(
        self, config: FunctionConfig, qualifier: str, count: int
    ) -> tuple[int, str | None]:
        done = await self._pool.provision(self._specs.spec_for(config), qualifier, count)
        return done.allocated, _error_type(done.failure)

    def allocated(self, config: FunctionConfig, qualifier: str) -> int:
        return self._pool.provisioned_count(self._specs.spec_for(config).key, qualifier)

    def release(self, function_name: str, qualifier: str | None) -> None:
        self._pool.release_provisioned(function_name, qualifier)


def _error_type(failure: bytes | None) -> str | None:
    if failure is None:
        return None
    try:
        doc = json.loads(failure)
    except ValueError:
        return "Runtime.Unknown"
    kind = doc.get("errorType") if isinstance(doc, dict) else None
    return kind if isinstance(kind, str) else "Runtime.Unknown"
