"""The Store protocol: domain operations only; each state change is one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from lambdalite.model.function import Alias, FunctionConfig, FunctionRecord

LogRow = tuple[str, str, int, str]
"""One log event to store: log group, log stream, timestamp in ms, message (a plain tuple:
three or more are made per invocation, and the store binds them as they are)."""


@dataclass(frozen=True)
class StoredLogEvent:
    log_group: str
    log_stream: str
    timestamp_ms: int
    ingestion_ms: int
    message: str
    event_id: int


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_marker: str | None


class Store(Protocol):
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

    # logs
    async def append_log_events(self, events: list[LogRow]) -> None:
        """Rows committed in order (see SqliteLogStore.append)."""
        ...

    async def log_events(
        self,
        log_group: str,
        *,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_id: int = 0,
        limit: int = 10_000,
    ) -> list[StoredLogEvent]: ...
    async def log_streams(self, log_group: str) -> list[tuple[str, int, int]]:
        """(stream name, first event ms, last event ms) of a group."""
        ...


class PublishFn(Protocol):
    def __call__(
        self, latest: FunctionConfig, previous: FunctionConfig | None, number: int
    ) -> FunctionConfig | None:
        """Build version `number` from $LATEST, or None to reuse `previous` (nothing changed)."""
        ...
