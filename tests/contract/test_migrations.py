"""Versioned migrations: fresh and upgraded files end up alike; re-opening is a no-op."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from contextlib import closing
from pathlib import Path

import pytest

from lambdalite.asyncq.delivery import Destinations
from lambdalite.clock import VirtualClock
from lambdalite.errors import StorageError
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.events.delivery import EventsCourier
from lambdalite.services.events.model import OUTBOX_KIND as EVENTS_KIND
from lambdalite.services.sns.delivery import SnsCourier
from lambdalite.services.sns.model import OUTBOX_KIND as SNS_KIND
from lambdalite.store.sqlite.backend import SqliteBackend
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.journal_move import move_journal
from lambdalite.store.sqlite.migrations import JOURNAL, LOGS, MAIN, Migration, migrate
from tests.contract.backends import opened

DUMPS = Path(__file__).parent.parent / "fixtures" / "datadir"


def _schema(db: sqlite3.Connection) -> set[tuple[str, str]]:
    rows = db.execute("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'")
    return {(kind, name) for kind, name in rows}


def test_a_fresh_file_is_at_the_last_version_and_reopening_applies_nothing(
    tmp_path: Path,
) -> None:
    database = SqliteDatabase(tmp_path / "main.sqlite3", MAIN)
    database.open()
    assert database.applied == [m.version for m in MAIN]
    database.close()
    database.open()
    assert database.applied == []
    version = database.connection.execute("PRAGMA user_version").fetchone()[0]
    assert version == MAIN[-1].version
    database.close()


@pytest.mark.parametrize(("dump", "migrations"), [("lambdalite.sql", MAIN), ("logs.sql", LOGS)])
def test_an_old_release_file_upgrades_to_the_fresh_schema(
    tmp_path: Path, dump: str, migrations: Sequence[Migration]
) -> None:
    with (
        closing(sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)) as old,
        closing(sqlite3.connect(tmp_path / "fresh.sqlite3", isolation_level=None)) as fresh,
    ):
        old.executescript((DUMPS / dump).read_text())
        assert old.execute("PRAGMA user_version").fetchone()[0] == 0  # before versioning
        assert migrate(old, migrations) == [m.version for m in migrations]
        migrate(fresh, migrations)
        assert _schema(old) == _schema(fresh)


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    with closing(sqlite3.connect(tmp_path / "new.sqlite3", isolation_level=None)) as db:
        db.execute("PRAGMA user_version = 999")
        with pytest.raises(StorageError, match="newer than this lambdalite"):
            migrate(db, MAIN)


def test_a_failing_migration_leaves_the_file_at_its_version(tmp_path: Path) -> None:
    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        db.execute("THIS IS NOT SQL")

    with closing(sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)) as db:
        migrate(db, MAIN)
        broken_version = MAIN[-1].version + 1
        with pytest.raises(StorageError, match=f"migration {broken_version}"):
            migrate(db, (*MAIN, Migration(broken_version, "broken", (broken,))))
        assert db.execute("PRAGMA user_version").fetchone()[0] == MAIN[-1].version
        assert ("table", "half_done") not in _schema(db)


def test_the_backend_opens_every_file_migrated(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            assert backend.database.applied == [m.version for m in MAIN]
            assert backend.log_database.applied == [m.version for m in LOGS]
            assert backend.journal_database.applied == [m.version for m in JOURNAL]
            # The journal, a diagnostic record, is the one file written without fsync.
            synchronous = "PRAGMA synchronous"
            assert backend.database.connection.execute(synchronous).fetchone() == (1,)
            assert backend.journal_database.connection.execute(synchronous).fetchone() == (0,)

    asyncio.run(scenario())


# migration 2: one outbox --------------------------------------------------------------------


class _Queues:
    """A QueueSender that records what it is sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, object]] = []

    async def send_to_queue(self, queue_arn: str, body: str, **kw: object) -> str:
        self.sent.append((queue_arn, body, kw.get("attributes")))
        return f"m{len(self.sent)}"


class _NoFunctions:
    async def invoke_async(self, function: str, payload: bytes, *, source: str = "") -> str:
        raise AssertionError("nothing here is sent to a function")


_V1_ROWS = [
    "INSERT INTO async_events (request_id, function_name, payload, enqueued_at, due_at, state)"
    " VALUES ('req-1', 'fn', X'7B7D', 5.0, 5.0, 'done')",
    "INSERT INTO async_outbox (request_id, role, target_arn, body, attributes, function_arn,"
    " created_at, due_at, attempts) VALUES ('req-1', 'DeadLetter',"
    " 'arn:aws:sqs:us-east-1:000000000000:dlq', '{}',"
    ' \'{"RequestID": {"DataType": "String", "StringValue": "req-1"}}\','
    " 'arn:aws:lambda:us-east-1:000000000000:function:fn:$LATEST', 5.0, 40.0, 2)",
    "INSERT INTO sns_publications (id, doc) VALUES (7, json_object('message_id', 'msg-1',"
    " 'topic_arn', 'arn:aws:sns:us-east-1:000000000000:t.fifo', 'message', 'hello',"
    " 'timestamp', 3.0, 'subject', NULL, 'attributes', json_object(), 'messages', NULL,"
    " 'group_id', 'g', 'deduplication_id', 'd', 'sequence_number', '1'))",
    "INSERT INTO sns_deliveries (publication_id, subscription, subscription_arn, group_id,"
    " attempts, due_at) VALUES (7, json_object('arn', 'arn:aws:sns:us-east-1:000000000000:"
    "t.fifo:s1', 'topic_arn', 'arn:aws:sns:us-east-1:000000000000:t.fifo', 'protocol', 'sqs',"
    " 'endpoint', 'arn:aws:sqs:us-east-1:000000000000:q.fifo', 'attributes',"
    " json_object('RawMessageDelivery', 'true')), 'arn:aws:sns:us-east-1:000000000000:t.fifo:s1',"
    " 'g', 4, 45.0)",
    "INSERT INTO event_deliveries (rule_arn, target, event, payload, accepted_at, attempts,"
    " due_at, last_error) VALUES ('arn:aws:events:us-east-1:000000000000:rule/r',"
    ' \'{"Id": "t", "Arn": "arn:aws:sqs:us-east-1:000000000000:evq"}\', \'{"id": "e1"}\','
    ' \'the payload\', 2.0, 3, 50.0, \'{"code": "INTERNAL_ERROR", "message": "m"}\')',
]


def test_pending_rows_of_every_old_delivery_table_move_to_the_outbox_and_are_delivered(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lambdalite.sqlite3"
    old = sqlite3.connect(path, isolation_level=None)
    migrate(old, MAIN[:1])  # a data directory of the release before the outbox
    for statement in _V1_ROWS:
        old.execute(statement)
    old.close()

    async def scenario() -> None:
        backend = SqliteBackend(path)
        await backend.open()
        assert backend.database.applied == [m.version for m in MAIN[1:]]
        outbox = backend.outbox
        assert await outbox.pending() == 3
        assert await outbox.next_due() == 40.0
        queues = _Queues()
        directory = ServiceDirectory(sqs=queues)
        clock = VirtualClock(start=60.0)
        runner = OutboxRunner(clock, outbox, directory)
        Destinations(clock, directory, _NoFunctions(), runner)
        runner.register(SNS_KIND, SnsCourier(clock, directory, "http://x"))
        runner.register(EVENTS_KIND, EventsCourier(clock, directory))
        await runner.start()
        try:
            await runner.drain()
        finally:
            await runner.stop()
        assert sorted(queues.sent, key=lambda s: s[0]) == [
            (
                "arn:aws:sqs:us-east-1:000000000000:dlq",
                "{}",
                {"RequestID": {"DataType": "String", "StringValue": "req-1"}},
            ),
            ("arn:aws:sqs:us-east-1:000000000000:evq", "the payload", None),
            ("arn:aws:sqs:us-east-1:000000000000:q.fifo", "hello", None),
        ]
        assert await outbox.pending() == 0
        journey = await backend.async_events.journey("req-1")
        assert journey is not None
        assert [j.outcome for _, j in journey.journal] == ["Delivered"]
        await backend.close()

    asyncio.run(scenario())


# migration 12: the invocation journal moves to a file of its own ------------------------------

_JOURNAL_ROW = (
    "INSERT INTO invocations (id, request_id, function_name, executed_version, invoked_arn,"
    " trigger, started_at, ended_at, logged_ms, duration_ms, billed_ms, init_ms, max_memory_mb,"
    " outcome, error_type, payload, payload_size, response, response_size, trace_id, source_id)"
    " VALUES (?, ?, 'fn', '$LATEST', 'arn:aws:lambda:us-east-1:000000000000:function:fn',"
    " 'sync', ?, ?, 0, 2.0, 2, NULL, 20, 'Success', NULL, X'7B7D', 2, X'6E756C6C', 4, NULL, '')"
)


def _journal_rows(db: sqlite3.Connection) -> list[tuple[int, str]]:
    return list(db.execute("SELECT id, request_id FROM invocations ORDER BY id"))


def test_the_journal_rows_of_an_older_main_file_move_to_the_journal_file(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lambdalite.sqlite3"
    with closing(sqlite3.connect(path, isolation_level=None)) as old:
        migrate(old, MAIN[:11])  # the release that kept the journal in the main file
        for n, at in ((4, 100.0), (9, 160.0)):
            old.execute(_JOURNAL_ROW, (n, f"req-{n}", at, at + 0.002))
        old.execute(
            "INSERT INTO invocation_minutes VALUES ('fn', 1, 1, 0, 0, 2.0, 100.0),"
            " ('fn', 2, 1, 0, 0, 2.0, 160.0)"
        )

    async def scenario() -> None:
        backend = SqliteBackend(path)
        await backend.open()
        try:
            assert backend.database.applied == [m.version for m in MAIN[11:]]
            assert ("table", "invocations") not in _schema(backend.database.connection)
            listed = await backend.journal.recent("fn", 10)
            assert [(e.id, e.request_id) for e in listed] == [(9, "req-9"), (4, "req-4")]
            (whole,) = await backend.journal.by_request("req-4")
            assert (whole.payload, whole.response) == (b"{}", b"null")
            assert (await backend.journal.counts(60.0))["fn"].invocations == 2
        finally:
            await backend.close()

    asyncio.run(scenario())


def test_moving_the_journal_twice_copies_nothing_twice(tmp_path: Path) -> None:
    """A crash after the copy and before the main file's migration copies again on the next
    open: the ids keep it from duplicating anything."""
    with (
        closing(sqlite3.connect(tmp_path / "main.sqlite3", isolation_level=None)) as old,
        closing(sqlite3.connect(tmp_path / "journal.sqlite3", isolation_level=None)) as journal,
    ):
        migrate(old, MAIN[:10])
        old.execute(_JOURNAL_ROW, (1, "req-1", 5.0, 5.1))
        migrate(journal, JOURNAL)
        assert move_journal(tmp_path / "main.sqlite3", journal) == 1
        assert move_journal(tmp_path / "main.sqlite3", journal) == 0
        assert _journal_rows(journal) == [(1, "req-1")]
        migrate(old, MAIN)  # version 12 drops the old tables: nothing more to move
        assert move_journal(tmp_path / "main.sqlite3", journal) == 0
        assert move_journal(tmp_path / "absent.sqlite3", journal) == 0
        assert not (tmp_path / "absent.sqlite3").exists()
        assert _journal_rows(journal) == [(1, "req-1")]
