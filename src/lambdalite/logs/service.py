"""CloudWatch Logs as a platform component: the catalogue (groups, streams, retention,
tags), event reads and writes, subscription filters, and the background loops that keep
them (the writer, retention, subscription delivery)."""

from __future__ import annotations

from collections.abc import Sequence

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.logs.catalog import LogCatalog
from lambdalite.logs.events import LogEvents
from lambdalite.logs.retention import LogRetention
from lambdalite.logs.store import LogStore
from lambdalite.logs.subscriptions import FunctionLogGroup, Subscriptions
from lambdalite.logs.writer import LogWriter
from lambdalite.services.directory import ServiceDirectory


class LogsService:
    def __init__(
        self,
        store: LogStore,
        writer: LogWriter,
        clock: Clock,
        directory: ServiceDirectory,
        function_log_group: FunctionLogGroup,
        *,
        account_id: str,
        default_retention_days: int | None = None,
    ) -> None:
        self.writer = writer
        self.retention = LogRetention(store, clock, default_retention_days)
        self.catalog = LogCatalog(store, clock, on_retention=self.retention.wake)
        self.subscriptions = Subscriptions(
            store, self.catalog, clock, directory, function_log_group, account_id
        )
        self.events = LogEvents(store, self.catalog, clock, on_stored=self.subscriptions.stored)
        writer.listeners.append(self.subscriptions.stored)

    # component (the writer starts before and stops after every component: platform.py) ---

    async def start(self) -> None:
        await self.retention.start()
        await self.subscriptions.start()

    async def stop(self) -> None:
        await self.subscriptions.stop()
        await self.retention.stop()

    def due_loops(self) -> Sequence[DueLoop]:
        return [self.writer, self.subscriptions, self.retention]
