"""What function logs need from storage: append in order, read back by group and stream.

The SQLite backend keeps them in a file of their own (store/sqlite/logs.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

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


class LogStore(Protocol):
    async def append(self, events: list[LogRow]) -> None:
        """Rows committed in order; a caller's batch may be split across transactions."""
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
    ) -> list[StoredLogEvent]: ...

    async def streams(self, log_group: str) -> list[tuple[str, int, int]]:
        """(stream name, first event ms, last event ms) of a group, latest first."""
        ...

    async def tail(self, log_group: str, limit: int) -> list[StoredLogEvent]:
        """The group's newest `limit` events, oldest first (the console's log tail)."""
        ...

    async def invocation_lines(
        self, log_group: str, request_id: str, since_ms: int, until_ms: int, limit: int = 1000
    ) -> list[StoredLogEvent]:
        """One invocation's lines: its stream's events from its START line (logged between
        `since_ms` and `until_ms`) to its REPORT line, at most `limit`."""
        ...
