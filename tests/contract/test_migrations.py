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
from lambdalite.store.sqlite.migrations import LOGS, MAIN, Migration, migrate
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


def test_the_backend_opens_both_files_migrated(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            assert backend.database.applied == [m.version for m in MAIN]
            assert backend.log_database.applied == [m.version for m in LOGS]

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
