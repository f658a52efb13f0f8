"""The SQLite backend: every subsystem's store over one handle per file.

The composition root (platform.py) builds this and hands each subsystem its own store; a
PostgreSQL backend will offer the same attributes over one connection pool.
"""

from __future__ import annotations

from pathlib import Path

from lambdalite.asyncq.model import OUTBOX_KIND as ASYNC_KIND
from lambdalite.store.sqlite.async_events import SqliteAsyncEventStore, append_journal
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.event_source_mappings import SqliteEventSourceMappingStore
from lambdalite.store.sqlite.events import SqliteEventsStore
from lambdalite.store.sqlite.functions import SqliteFunctionStore
from lambdalite.store.sqlite.gateway import SqliteGatewayStore
from lambdalite.store.sqlite.journal import SqliteJournalStore
from lambdalite.store.sqlite.journal_move import move_journal
from lambdalite.store.sqlite.kinesis import SqliteKinesisStore
from lambdalite.store.sqlite.layers import SqliteLayerStore
from lambdalite.store.sqlite.logs import SqliteLogStore
from lambdalite.store.sqlite.metrics import SqliteMetricStore
from lambdalite.store.sqlite.migrations import JOURNAL, LOGS, MAIN
from lambdalite.store.sqlite.moto_requests import SqliteKeptRequestStore
from lambdalite.store.sqlite.outbox import SqliteOutboxStore
from lambdalite.store.sqlite.policies import SqlitePolicyStore
from lambdalite.store.sqlite.provisioned import SqliteProvisionedStore
from lambdalite.store.sqlite.sns import SqliteSnsStore
from lambdalite.store.sqlite.sqs import SqliteSqsStore
from lambdalite.store.sqlite.stacks import SqliteStackStore

LOG_FILE = "logs.sqlite3"
JOURNAL_FILE = "journal.sqlite3"
# The journal's file checkpoints less often than the others: its newest pages, rewritten by
# every batch, are copied back once a second instead of at each batch.
JOURNAL_CHECKPOINT_S = 1.0


class SqliteBackend:
    def __init__(self, path: Path) -> None:
        """`path` is the main file; function logs and the invocation journal live in files
        of their own beside it."""
        self.database = SqliteDatabase(path, MAIN)
        self.log_database = SqliteDatabase(path.with_name(LOG_FILE), LOGS)
        self.logs = SqliteLogStore(self.log_database)
        # A diagnostic record, not accepted work: synchronous=OFF (store/sqlite/journal.py).
        self.journal_database = SqliteDatabase(
            path.with_name(JOURNAL_FILE),
            JOURNAL,
            synchronous="OFF",
            checkpoint_interval_s=JOURNAL_CHECKPOINT_S,
        )
        self.functions = SqliteFunctionStore(self.database)
        self.policies = SqlitePolicyStore(self.database)
        # Each subsystem's store, built on self.database.
        self.sqs = SqliteSqsStore(self.database)
        self.sns = SqliteSnsStore(self.database)
        self.events = SqliteEventsStore(self.database)
        self.kinesis = SqliteKinesisStore(self.database)
        self.async_events = SqliteAsyncEventStore(self.database)
        self.event_source_mappings = SqliteEventSourceMappingStore(self.database)
        self.stacks = SqliteStackStore(self.database)  # `lambdalite up`'s stacks
        self.gateway = SqliteGatewayStore(self.database)
        self.layers = SqliteLayerStore(self.database)
        self.metrics = SqliteMetricStore(self.database)
        self.journal = SqliteJournalStore(self.journal_database)
        self.provisioned = SqliteProvisionedStore(self.database)
        self.moto_requests = SqliteKeptRequestStore(self.database)  # S3/DynamoDB durability
        # Every kind's deliveries; an async delivery's notes go on its event's journey.
        self.outbox = SqliteOutboxStore(self.database, notes={ASYNC_KIND: append_journal})

    async def open(self) -> None:
        # The journal first: the rows an older main file holds move there before the main
        # file's migrations drop them.
        opened: list[SqliteDatabase] = []
        try:
            for database in (self.journal_database, self.database, self.log_database):
                database.open()
                opened.append(database)
                if database is self.journal_database:
                    move_journal(self.database.path, database.connection)
        except BaseException:
            for database in reversed(opened):
                database.close()
            raise

    async def close(self) -> None:
        self.log_database.close()
        self.database.close()
        self.journal_database.close()
