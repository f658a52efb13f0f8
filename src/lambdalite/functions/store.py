"""What the control plane needs from storage: functions, versions, aliases, concurrency.

Each state change is one transaction; records come back decoded. The SQLite backend
implements it in store/sqlite/functions.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from lambdalite.model.function import Alias, FunctionConfig, FunctionRecord

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_marker: str | None


class FunctionStore(Protocol):
    # functions and versions
    async def create_function(self, record: FunctionRecord, latest: FunctionConfig) -> bool:
        """False when a function of that name exists already."""
        ...

    async def get_function(self, name: str) -> FunctionRecord | None: ...
    async def get_version(self, name: str, version: str) -> FunctionConfig | None: ...
    async def replace_latest(self, config: FunctionConfig, expected_revision: str) -> bool:
        """Compare-and-set on $LATEST's revision id; False when it moved meanwhile."""
        ...

    async def publish_version(self, name: str, make: PublishFn) -> FunctionConfig | None: ...
    async def replace_version(self, config: FunctionConfig) -> bool:
        """Store a published version's new state; False when the version is gone."""
        ...

    async def delete_function(self, name: str) -> bool: ...
    async def delete_version(self, name: str, version: str) -> bool: ...
    async def list_latest(self, marker: str | None, limit: int) -> Page[FunctionConfig]: ...
    async def list_versions(
        self, name: str, marker: str | None, limit: int
    ) -> Page[FunctionConfig]: ...
    async def set_reserved_concurrency(self, name: str, value: int | None) -> bool: ...
    async def total_reserved_concurrency(self, excluding: str | None = None) -> int: ...

    # aliases
    async def create_alias(self, alias: Alias) -> bool: ...
    async def get_alias(self, function_name: str, name: str) -> Alias | None: ...
    async def replace_alias(self, alias: Alias) -> bool: ...
    async def delete_alias(self, function_name: str, name: str) -> bool: ...
    async def list_aliases(
        self, function_name: str, version: str | None, marker: str | None, limit: int
    ) -> Page[Alias]: ...


class PublishFn(Protocol):
    def __call__(
        self, latest: FunctionConfig, previous: FunctionConfig | None, number: int
    ) -> FunctionConfig | None:
        """Build version `number` from $LATEST, or None to reuse `previous` (nothing changed)."""
        ...
