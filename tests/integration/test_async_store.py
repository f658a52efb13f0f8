"""The async queue's SQL over a real SQLite file: claims, leases, rescheduling, restart."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import lambdalite.asyncq.store as store_module
from lambdalite.asyncq.groupcommit import GroupCommitter
from lambdalite.asyncq.model import Complete, Journal, Outbox, Reschedule
from lambdalite.asyncq.store import AsyncStore

T0 = 1_000.0
_OPENED: list[sqlite3.Connection] = []


@pytest.fixture(autouse=True)
def _close_connections() -> Iterator[None]:
    """Close what _open opened (3.13 warns about connections left to the collector)."""
    yield
    while _OPENED:
        _OPENED.pop().close()


def _open(path: Path) -> tuple[sqlite3.Connection, AsyncStore]:
    db = sqlite3.connect(path, isolation_level=None)
    _OPENED.append(db)
    db.execute("PRAGMA journal_mode=WAL")
    store = AsyncStore(lambda: db)
    store.open()
    return db, store


def _enqueue(db: sqlite3.Connection, n: int, at: float = T0) -> None:
    for i in range(n):
        sql, params = AsyncStore.enqueue(f"r{i}", "fn", None, b"{}", "", at + i)
        db.execute(sql, params)


def test_claims_never_overlap_and_leases_expire(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    _enqueue(db, 5)
    first = store.claim("a", T0 + 10, T0 + 100, 3)
    second = store.claim("b", T0 + 10, T0 + 100, 10)
    assert len(first) == 3 and len(second) == 2
    assert not {e.id for e in first} & {e.id for e in second}
    assert store.claim("c", T0 + 50, T0 + 150, 10) == []
    assert store.next_wake() == T0 + 100  # when the leases run out
    again = store.claim("c", T0 + 100, T0 + 200, 10)
    assert len(again) == 5


def test_only_due_events_are_claimed_and_next_wake_is_the_earliest_due(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    _enqueue(db, 3)
    assert [e.request_id for e in store.claim("a", T0 + 1, T0 + 99, 10)] == ["r0", "r1"]
    event = store.claim("a", T0 + 2, T0 + 99, 10)[0]
    effects = [Reschedule(T0 + 60, 1, 0, None), Journal("attempt", "FunctionError", "x")]
    for sql, params in AsyncStore.effect_statements(event, effects, T0 + 2):
        db.execute(sql, params)
    assert store.claim("a", T0 + 59, T0 + 99, 10) == []
    (back,) = store.claim("a", T0 + 60, T0 + 160, 10)
    assert (back.request_id, back.attempts) == ("r2", 1)


def test_restart_releases_a_dead_process_leases(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    _enqueue(db, 2)
    assert len(store.claim("dead", T0 + 5, T0 + 960, 10)) == 2
    db.close()
    db, store = _open(tmp_path / "q.db")  # a new server on the same file
    assert len(store.claim("new", T0 + 5, T0 + 960, 10)) == 2


def test_completion_and_outbox_in_one_group_commit(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    _enqueue(db, 20)
    events = store.claim("a", T0 + 30, T0 + 99, 20)
    committer = GroupCommitter(lambda: db)

    async def finish_all() -> None:
        effects = [
            Outbox("OnFailure", "arn:aws:sqs:us-east-1:000000000000:q", "{}", None, "arn"),
            Complete("RetriesExhausted", 3),
        ]
        await asyncio.gather(
            *(committer.execute(AsyncStore.effect_statements(e, effects, T0 + 30)) for e in events)
        )

    asyncio.run(finish_all())
    assert committer.commits == 1
    assert store.pending_deliveries() == 20
    assert store.claim("a", T0 + 1000, T0 + 2000, 10) == []
    (delivery,) = store.claim_deliveries("d", T0 + 30, T0 + 90, 1)
    for sql, params in AsyncStore.delivered(delivery, T0 + 31, Journal("delivery", "Delivered")):
        db.execute(sql, params)
    assert store.pending_deliveries() == 19
    doc = store.journey(delivery.request_id)
    assert doc is not None and doc["condition"] == "RetriesExhausted"
    assert [j["outcome"] for j in doc["journal"]] == ["Delivered"]
    store.prune(T0 + 31)
    assert store.journey(delivery.request_id) is None


def test_a_group_commit_hands_each_caller_its_insert_rowid(tmp_path: Path) -> None:
    db, _ = _open(tmp_path / "q.db")
    committer = GroupCommitter(lambda: db)

    async def accept_three() -> list[int]:
        statements = [AsyncStore.enqueue(f"r{i}", "fn", None, b"{}", "", T0) for i in range(3)]
        return list(await asyncio.gather(*(committer.submit((s,)) for s in statements)))

    rowids = asyncio.run(accept_three())
    assert committer.commits == 1
    by_request = dict(db.execute("SELECT request_id, id FROM async_events").fetchall())
    assert rowids == [by_request["r0"], by_request["r1"], by_request["r2"]]


def test_an_accepting_insert_can_take_the_lease_itself(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    sql, params = AsyncStore.enqueue("mine", "fn", None, b"{}", "", T0, leased_to="a")
    db.execute(sql, params)
    _enqueue(db, 1)
    assert [e.request_id for e in store.claim("b", T0 + 1, T0 + 5000, 10)] == ["r0"]
    # Held without expiry by its own consumer: never claimable by another, and in no index.
    later = store.claim("b", T0 + 10**6, T0 + 10**6 + 960, 10)
    assert [e.request_id for e in later] == ["r0"]  # r0's lease ran out; "mine" has none
    indexed = db.execute(
        "SELECT count(*) FROM async_events INDEXED BY async_events_leased "
        "WHERE state = 'queued' AND lease_until IS NOT NULL AND request_id = 'mine'"
    ).fetchone()[0]
    assert indexed == 0
    # A round that failed unexpectedly gives the lease an expiry: claimed again after it.
    (mine_id,) = db.execute("SELECT id FROM async_events WHERE request_id = 'mine'").fetchone()
    db.execute(*AsyncStore.give_expiry(mine_id, T0 + 960))
    assert store.next_wake() == T0 + 960
    (back,) = store.claim("b", T0 + 960, T0 + 2000, 10)
    assert back.request_id == "mine"


def test_a_born_held_event_is_released_at_the_next_start(tmp_path: Path) -> None:
    db, _ = _open(tmp_path / "q.db")
    sql, params = AsyncStore.enqueue("mine", "fn", None, b"{}", "", T0, leased_to="dead")
    db.execute(sql, params)
    db.close()
    db, store = _open(tmp_path / "q.db")  # the process that held it is gone
    assert [e.request_id for e in store.claim("new", T0, T0 + 960, 10)] == ["mine"]


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
    db, store = _open(path)
    doc = store.journey("old")
    assert doc is not None
    assert [(j["at"], j["kind"], j["outcome"], j["detail"]) for j in doc["journal"]] == [
        (5, "attempt", "FunctionError", "boom"),
        (6, "attempt", "Success", ""),
        (7, "final", "Success", "no destination: discarded"),
    ]
    quiet = store.journey("quiet")
    assert quiet is not None and quiet["journal"] == []
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "async_journal" not in tables
    assert [e.request_id for e in store.claim("a", 10, 100, 10)] == ["quiet"]
    db.close()
    _open(path)  # a second open finds nothing left to migrate


def test_prune_forgets_only_events_finished_before_the_cutoff(tmp_path: Path) -> None:
    db, store = _open(tmp_path / "q.db")
    _enqueue(db, 6)  # r0..r5 accepted at T0 .. T0+5
    finish = {"r0": T0 + 1, "r1": T0 + 50, "r3": T0 + 4, "r5": T0 + 6}  # r2, r4 still queued
    for rid, at in finish.items():
        db.execute(
            "UPDATE async_events SET state = 'done', finished_at = ? WHERE request_id = ?",
            (at, rid),
        )
    store.prune(T0 + 4.5)
    left = [r[0] for r in db.execute("SELECT request_id FROM async_events ORDER BY id")]
    assert left == ["r1", "r2", "r4", "r5"]  # r0, r3 finished before; r1 after; r2, r4 queued
    store.prune(T0 + 100)  # everything finished by now, nothing accepted since
    left = [r[0] for r in db.execute("SELECT request_id FROM async_events ORDER BY id")]
    assert left == ["r2", "r4"]


def test_recent_lists_one_function_newest_first_across_slices(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, store = _open(tmp_path / "q.db")
    monkeypatch.setattr(store_module, "RECENT_SLICE", 4)
    for i in range(30):  # "rare" only every tenth id: most slices hold none of its events
        name = "rare" if i % 10 == 3 else "busy"
        sql, params = AsyncStore.enqueue(f"r{i}", name, None, b"{}", "", T0 + i)
        db.execute(sql, params)
    assert "async_events_function" not in _index_names(db)
    turns = 0

    async def count_turns() -> None:
        nonlocal turns
        while True:
            await asyncio.sleep(0)
            turns += 1

    async def listing(name: str, limit: int) -> list[str]:
        counter = asyncio.get_running_loop().create_task(count_turns())
        await asyncio.sleep(0)
        start = turns
        events = await store.recent(name, limit)
        counted = turns - start
        counter.cancel()
        assert counted >= 1  # the loop ran between slices
        return [e["requestId"] for e in events]

    assert asyncio.run(listing("rare", 10)) == ["r23", "r13", "r3"]
    assert asyncio.run(listing("busy", 5)) == ["r29", "r28", "r27", "r26", "r25"]
    assert asyncio.run(listing("rare", 2)) == ["r23", "r13"]


def _index_names(db: sqlite3.Connection) -> set[str]:
    rows = db.execute("SELECT name FROM sqlite_master WHERE type = 'index'").fetchall()
    return {name for (name,) in rows}
