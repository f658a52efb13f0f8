"""The async queue's SQLite store over a real file: claims, leases, rescheduling, restart,
and what only this backend does (group commit, partial indexes, slices, old files)."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import pytest

import lambdalite.store.sqlite.async_events as store_module
from lambdalite.asyncq.delivery import Delivery
from lambdalite.asyncq.journey import event_journey, journal_line
from lambdalite.asyncq.model import (
    OUTBOX_KIND,
    Complete,
    Effect,
    Journal,
    Outbox,
    QueuedEvent,
    Reschedule,
)
from lambdalite.store.sqlite.async_events import SqliteAsyncEventStore, append_journal
from lambdalite.store.sqlite.backend import SqliteBackend
from lambdalite.store.sqlite.outbox import SqliteOutboxStore

T0 = 1_000.0


@asynccontextmanager
async def _opened(path: Path) -> AsyncIterator[tuple[sqlite3.Connection, SqliteAsyncEventStore]]:
    """The store as a starting server sees it: leases of an earlier process released."""
    backend = SqliteBackend(path)
    await backend.open()
    try:
        await backend.async_events.release_leases()
        yield backend.database.connection, backend.async_events
    finally:
        await backend.close()


def _run(
    path: Path, scenario: Callable[[sqlite3.Connection, SqliteAsyncEventStore], Awaitable[None]]
) -> None:
    async def main() -> None:
        async with _opened(path) as (db, store):
            await scenario(db, store)

    asyncio.run(main())


def _new(request_id: str, at: float, name: str = "fn") -> QueuedEvent:
    return QueuedEvent(
        id=0,
        request_id=request_id,
        function_name=name,
        qualifier=None,
        payload=b"{}",
        source="",
        enqueued_at=at,
        attempts=0,
        throttle_retries=0,
        last_response=None,
    )


async def _enqueue(store: SqliteAsyncEventStore, n: int, at: float = T0) -> None:
    for i in range(n):
        await store.accept(_new(f"r{i}", at + i))


def test_claims_never_overlap_and_leases_expire(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await _enqueue(store, 5)
        first = await store.claim("a", T0 + 10, T0 + 100, 3)
        second = await store.claim("b", T0 + 10, T0 + 100, 10)
        assert len(first) == 3 and len(second) == 2
        assert not {e.id for e in first} & {e.id for e in second}
        assert await store.claim("c", T0 + 50, T0 + 150, 10) == []
        assert await store.next_wake() == T0 + 100  # when the leases run out
        again = await store.claim("c", T0 + 100, T0 + 200, 10)
        assert len(again) == 5

    _run(tmp_path / "q.db", scenario)


def test_only_due_events_are_claimed_and_next_wake_is_the_earliest_due(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await _enqueue(store, 3)
        claimed = await store.claim("a", T0 + 1, T0 + 99, 10)
        assert [e.request_id for e in claimed] == ["r0", "r1"]
        event = (await store.claim("a", T0 + 2, T0 + 99, 10))[0]
        effects: list[Effect] = [
            Reschedule(T0 + 60, 1, 0, None),
            Journal("attempt", "FunctionError", "x"),
        ]
        await store.finish_round(event, effects, T0 + 2)
        assert await store.claim("a", T0 + 59, T0 + 99, 10) == []
        (back,) = await store.claim("a", T0 + 60, T0 + 160, 10)
        assert (back.request_id, back.attempts) == ("r2", 1)

    _run(tmp_path / "q.db", scenario)


def test_restart_releases_a_dead_process_leases(tmp_path: Path) -> None:
    async def dies_holding(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await _enqueue(store, 2)
        assert len(await store.claim("dead", T0 + 5, T0 + 960, 10)) == 2

    async def restarts(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        assert len(await store.claim("new", T0 + 5, T0 + 960, 10)) == 2

    _run(tmp_path / "q.db", dies_holding)
    _run(tmp_path / "q.db", restarts)  # a new server on the same file


def test_completion_and_outbox_in_one_group_commit(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await _enqueue(store, 20)
        events = await store.claim("a", T0 + 30, T0 + 99, 20)
        effects: list[Effect] = [
            Outbox("OnFailure", "arn:aws:sqs:us-east-1:000000000000:q", "{}", None, "arn"),
            Complete("RetriesExhausted", 3),
        ]
        commits = store.committer.commits
        await asyncio.gather(*(store.finish_round(e, effects, T0 + 30) for e in events))
        assert store.committer.commits == commits + 1
        outbox = SqliteOutboxStore(store.database, {OUTBOX_KIND: append_journal})
        assert await outbox.pending() == 20
        assert await store.claim("a", T0 + 1000, T0 + 2000, 10) == []
        (claim,) = await outbox.claim("d", T0 + 30, T0 + 90, 1)
        assert await outbox.settle(claim, journal_line(T0 + 31, Journal("delivery", "Delivered")))
        assert await outbox.pending() == 19
        delivery = Delivery.of(claim)
        doc = await event_journey(store, delivery.request_id)
        assert doc is not None and doc["condition"] == "RetriesExhausted"
        assert [j["outcome"] for j in doc["journal"]] == ["Delivered"]
        await store.prune(T0 + 31)
        assert await store.journey(delivery.request_id) is None

    _run(tmp_path / "q.db", scenario)


def test_a_group_commit_hands_each_caller_its_insert_rowid(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        commits = store.committer.commits
        rowids = await asyncio.gather(*(store.accept(_new(f"r{i}", T0)) for i in range(3)))
        assert store.committer.commits == commits + 1
        by_request = dict(db.execute("SELECT request_id, id FROM async_events").fetchall())
        assert list(rowids) == [by_request["r0"], by_request["r1"], by_request["r2"]]

    _run(tmp_path / "q.db", scenario)


def test_an_accepting_insert_can_take_the_lease_itself(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        mine_id = await store.accept(_new("mine", T0), leased_to="a")
        await _enqueue(store, 1)
        assert [e.request_id for e in await store.claim("b", T0 + 1, T0 + 5000, 10)] == ["r0"]
        # Held without expiry by its own consumer: never claimable by another, and in no index.
        later = await store.claim("b", T0 + 10**6, T0 + 10**6 + 960, 10)
        assert [e.request_id for e in later] == ["r0"]  # r0's lease ran out; "mine" has none
        indexed = db.execute(
            "SELECT count(*) FROM async_events INDEXED BY async_events_leased "
            "WHERE state = 'queued' AND lease_until IS NOT NULL AND request_id = 'mine'"
        ).fetchone()[0]
        assert indexed == 0
        # A round that failed unexpectedly gives the lease an expiry: claimed again after it.
        await store.hold_until(mine_id, T0 + 960)
        assert await store.next_wake() == T0 + 960
        (back,) = await store.claim("b", T0 + 960, T0 + 2000, 10)
        assert back.request_id == "mine"

    _run(tmp_path / "q.db", scenario)


def test_a_born_held_event_is_released_at_the_next_start(tmp_path: Path) -> None:
    async def dies_holding(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await store.accept(_new("mine", T0), leased_to="dead")

    async def restarts(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        claimed = await store.claim("new", T0, T0 + 960, 10)
        assert [e.request_id for e in claimed] == ["mine"]

    _run(tmp_path / "q.db", dies_holding)
    _run(tmp_path / "q.db", restarts)  # the process that held it is gone


def test_an_older_data_directory_keeps_its_journeys(tmp_path: Path) -> None:
    """Journeys used to be rows of async_journal; opening the store folds them in."""
    path = tmp_path / "q.db"
    old = sqlite3.connect(path, isolation_level=None)
    old.executescript(
        """
        CREATE TABLE async_events (
            id INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE,
            function_name TEXT NOT NULL, qualifier TEXT, payload BLOB NOT NULL,
            source TEXT NOT NULL DEFAULT '', enqueued_at REAL NOT NULL, due_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, throttle_retries INTEGER NOT NULL DEFAULT 0,
            last_response TEXT, lease_owner TEXT, lease_until REAL,
            state TEXT NOT NULL DEFAULT 'queued', condition TEXT, finished_at REAL);
        CREATE INDEX async_events_due ON async_events (due_at) WHERE state = 'queued';
        CREATE TABLE async_journal (id INTEGER PRIMARY KEY, request_id TEXT NOT NULL,
            at REAL NOT NULL, kind TEXT NOT NULL, outcome TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '');
        INSERT INTO async_events (request_id, function_name, payload, enqueued_at, due_at,
            state, condition, attempts) VALUES ('old', 'fn', X'', 1, 1, 'done', 'Success', 1);
        INSERT INTO async_events (request_id, function_name, payload, enqueued_at, due_at)
            VALUES ('quiet', 'fn', X'7B7D', 2, 2);
        INSERT INTO async_journal (request_id, at, kind, outcome, detail) VALUES
            ('old', 5, 'attempt', 'FunctionError', 'boom'),
            ('old', 6, 'attempt', 'Success', ''),
            ('old', 7, 'final', 'Success', 'no destination: discarded');
        """
    )
    old.close()

    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        doc = await event_journey(store, "old")
        assert doc is not None
        assert [(j["at"], j["kind"], j["outcome"], j["detail"]) for j in doc["journal"]] == [
            (5, "attempt", "FunctionError", "boom"),
            (6, "attempt", "Success", ""),
            (7, "final", "Success", "no destination: discarded"),
        ]
        quiet = await event_journey(store, "quiet")
        assert quiet is not None and quiet["journal"] == []
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "async_journal" not in tables
        assert [e.request_id for e in await store.claim("a", 10, 100, 10)] == ["quiet"]

    _run(path, scenario)

    async def nothing(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        pass

    _run(path, nothing)  # a second open finds nothing left to migrate


def test_prune_forgets_only_events_finished_before_the_cutoff(tmp_path: Path) -> None:
    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        await _enqueue(store, 6)  # r0..r5 accepted at T0 .. T0+5
        finish = {"r0": T0 + 1, "r1": T0 + 50, "r3": T0 + 4, "r5": T0 + 6}  # r2, r4 queued
        for rid, at in finish.items():
            db.execute(
                "UPDATE async_events SET state = 'done', finished_at = ? WHERE request_id = ?",
                (at, rid),
            )
        await store.prune(T0 + 4.5)
        left = [r[0] for r in db.execute("SELECT request_id FROM async_events ORDER BY id")]
        assert left == ["r1", "r2", "r4", "r5"]  # r0, r3 finished before; r1 after; r2, r4 queued
        await store.prune(T0 + 100)  # everything finished by now, nothing accepted since
        left = [r[0] for r in db.execute("SELECT request_id FROM async_events ORDER BY id")]
        assert left == ["r2", "r4"]

    _run(tmp_path / "q.db", scenario)


def test_recent_lists_one_function_newest_first_across_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "RECENT_SLICE", 4)
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    async def listing(store: SqliteAsyncEventStore, name: str, limit: int) -> list[str]:
        counter = asyncio.get_running_loop().create_task(count_turns())
        await asyncio.sleep(0)
        start = turns
        events = await store.recent(name, limit)
        counted = turns - start
        counter.cancel()
        assert counted >= 1  # the loop ran between slices
        return [e.request_id for e in events]

    async def scenario(db: sqlite3.Connection, store: SqliteAsyncEventStore) -> None:
        for i in range(30):  # "rare" only every tenth id: most slices hold none of its events
            name = "rare" if i % 10 == 3 else "busy"
            await store.accept(_new(f"r{i}", T0 + i, name))
        assert "async_events_function" not in _index_names(db)
        assert await listing(store, "rare", 10) == ["r23", "r13", "r3"]
        assert await listing(store, "busy", 5) == ["r29", "r28", "r27", "r26", "r25"]
        assert await listing(store, "rare", 2) == ["r23", "r13"]

    _run(tmp_path / "q.db", scenario)


def _index_names(db: sqlite3.Connection) -> set[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows}
