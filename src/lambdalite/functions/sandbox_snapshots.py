"""The Snapshotter the control plane asks for SnapStart (functions/snapstart.py), made of
the sandbox pool and the invoker's environment specs."""

from __future__ import annotations

from typing import Protocol

from lambdalite.functions.snapstart import SnapshotFailed
from lambdalite.model.function import FunctionConfig
from lambdalite.sandbox.errors import SandboxError, SnapshotInitError
from lambdalite.sandbox.types import EnvironmentSpec


class SnapshotPool(Protocol):
    async def snapshot(self, spec: EnvironmentSpec) -> float: ...
    async def drop_snapshots(self, function_name: str, version: str | None = None) -> int: ...


class SpecSource(Protocol):
    def spec_for(self, config: FunctionConfig) -> EnvironmentSpec: ...


class PoolSnapshots:
    def __init__(self, pool: SnapshotPool, specs: SpecSource) -> None:
        self._pool = pool
        self._specs = specs

    async def snapshot(self, config: FunctionConfig) -> None:
        try:
            await self._pool.snapshot(self._specs.spec_for(config))
        except SnapshotInitError as e:
            raise SnapshotFailed("FunctionError", str(e)) from e
        except TimeoutError as e:
            raise SnapshotFailed(
                "FunctionError.InitTimeout", "Function initialization timed out."
            ) from e
        except SandboxError as e:
            raise SnapshotFailed("InternalError", str(e)) from e

    async def drop(self, name: str, version: str | None) -> None:
        await self._pool.drop_snapshots(name, version)
