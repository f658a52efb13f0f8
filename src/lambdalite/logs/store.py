"""What CloudWatch Logs needs from storage: log groups and streams with their bounds, events
appended in order and read back by stream or group in timestamp order, retention, and
subscription filters with a delivery cursor.

The SQLite backend keeps them in a file of their own (store/sqlite/logs.py, logs_meta.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

LogRow = tuple[str, str, int, str]
"""One log event to store: log group, log stream, timestamp in ms, message (a plain tuple:
three or more are made per invocation, and the store binds them as they are)."""

Position = tuple[int, int]
"""Where an event sits in timestamp order: (timestamp in ms, event id); ids break ties."""


@dataclass(frozen=True, slots=True)
class StoredLogEvent:
    log_group: str
    log_stream: str
    timestamp_ms: int
    ingestion_ms: int
    message: str
    event_id: int

    @property
    def position(self) -> Position:
        return (self.timestamp_ms, self.event_id)


@dataclass(frozen=True, kw_only=True)
class LogGroupInfo:
    name: str
    creation_ms: int
    retention_days: int | None = None
    log_group_class: str = "STANDARD"
    stored_bytes: int = 0
    tags: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class LogStreamInfo:
    log_group: str
    name: str
    creation_ms: int
    first_event_ms: int | None = None
    last_event_ms: int | None = None
    last_ingestion_ms: int | None = None
    stored_bytes: int = 0


@dataclass(frozen=True, kw_only=True)
class SubscriptionFilter:
    log_group: str
    name: str
    filter_pattern: str
    destination_arn: str
    role_arn: str | None = None
    distribution: str = "ByLogStream"
    creation_ms: int
    cursor: int  # id of the last event this filter has looked at


@dataclass(frozen=True, kw_only=True)
class EventQuery:
    """Which events of one group a read wants, in timestamp order from `after` (exclusive)
    or backwards from `before` (exclusive) when `newest_first`."""

    log_group: str
    streams: Sequence[str] | None = None
    stream_prefix: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None  # inclusive
    after: Position | None = None
    before: Position | None = None
    newest_first: bool = False
    limit: int = 10_000


class LogStore(Protocol):
    async def append(self, events: list[LogRow], ingestion_ms: int | None = None) -> None:
        """Rows committed in order; a caller's batch may be split across transactions.
        Their groups and streams are created if absent and their bounds kept."""
        ...

    async def events(
        self,
        log_group: str,
        *,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_id: int = 0,
        limit: int = 10_000,
    ) -> list[StoredLogEvent]:
        """Events of a group in the order they were stored (by id)."""
        ...

    async def read(self, query: EventQuery) -> list[StoredLogEvent]:
        """Events in timestamp order (reversed when `newest_first`)."""
        ...

    async def last_event_id(self) -> int: ...

    # groups ------------------------------------------------------------------------------

    async def create_group(self, group: LogGroupInfo) -> bool:
        """False when a group of that name exists."""
        ...

    async def delete_group(self, name: str) -> bool:
        """Deletes the group, its streams, events and subscription filters."""
        ...

    async def groups(self, prefix: str | None = None) -> list[LogGroupInfo]:
        """By name."""
        ...

    async def group(self, name: str) -> LogGroupInfo | None: ...

    async def set_retention(self, name: str, days: int | None) -> bool: ...

    async def set_tags(self, name: str, tags: dict[str, str]) -> bool:
        """Replace the group's tags."""
        ...

    # streams -----------------------------------------------------------------------------

    async def create_stream(self, log_group: str, name: str, creation_ms: int) -> bool:
        """False when the stream exists (the group must exist)."""
        ...

    async def delete_stream(self, log_group: str, name: str) -> bool: ...

    async def streams(self, log_group: str, prefix: str | None = None) -> list[LogStreamInfo]:
        """By name."""
        ...

    # retention ---------------------------------------------------------------------------

    async def expire(self, log_group: str, before_ms: int, limit: int) -> int:
        """Delete up to `limit` events older than `before_ms`; how many went."""
        ...

    async def oldest_event_ms(self, log_group: str) -> int | None: ...

    # subscription filters ----------------------------------------------------------------

    async def put_filter(self, sub: SubscriptionFilter) -> None:
        """Create or replace (a replaced filter keeps its cursor)."""
        ...

    async def delete_filter(self, log_group: str, name: str) -> bool: ...

    async def filters(self, log_group: str | None = None) -> list[SubscriptionFilter]: ...

    async def advance_filter(self, log_group: str, name: str, cursor: int) -> None: ...
    async def tail(self, log_group: str, limit: int) -> list[StoredLogEvent]:
        """The group's newest `limit` events, oldest first (the console's log tail)."""
        ...

    async def invocation_lines(
        self, log_group: str, request_id: str, since_ms: int, until_ms: int, limit: int = 1000
    ) -> list[StoredLogEvent]:
        """One invocation's lines: its stream's events from its START line (logged between
        `since_ms` and `until_ms`) to its REPORT line, at most `limit`."""
        ...
