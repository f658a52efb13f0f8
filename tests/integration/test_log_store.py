"""The function-log file: a batch lands in one statement, every character intact."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from lambdalite.logs.store import StoredLogEvent
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.logs import SqliteLogStore
from lambdalite.store.sqlite.migrations import LOGS

MESSAGES = [
    "START RequestId: 1 Version: $LATEST\n",
    "tabs\tand\nnewlines\r\n",
    'quotes " and \\ backslashes',
    "emoji 😀, accents é, CJK 中文",
    "",
]


def _read(store: SqliteLogStore, group: str, limit: int) -> list[StoredLogEvent]:
    return asyncio.run(store.events(group, limit=limit))


@pytest.mark.parametrize("with_nul", [False, True])
def test_a_batch_keeps_order_timestamps_and_text(tmp_path: Path, with_nul: bool) -> None:
    database = SqliteDatabase(tmp_path / "logs.sqlite3", LOGS)
    database.open()
    store = SqliteLogStore(database)
    try:
        messages = MESSAGES + (["binary \x00 output"] if with_nul else [])
        rows = [("/aws/lambda/fn", "stream-a", 1_000 + i, m) for i, m in enumerate(messages)]
        rows.append(("/aws/lambda/other", "stream-b", 5, "elsewhere"))
        asyncio.run(store.append(rows))
        events = _read(store, "/aws/lambda/fn", 100)
        assert [(e.log_stream, e.timestamp_ms, e.message) for e in events] == [
            ("stream-a", 1_000 + i, m) for i, m in enumerate(messages)
        ]
        assert [e.message for e in _read(store, "/aws/lambda/other", 9)] == ["elsewhere"]
    finally:
        database.close()


def test_batches_larger_than_one_statement_keep_every_row_in_order(tmp_path: Path) -> None:
    database = SqliteDatabase(tmp_path / "logs.sqlite3", LOGS)
    database.open()
    store = SqliteLogStore(database)
    try:
        rows = [("/aws/lambda/fn", f"s{i % 3}", i, f"line {i}") for i in range(257)]
        asyncio.run(store.append(rows))
        events = _read(store, "/aws/lambda/fn", 1000)
        assert [(e.log_stream, e.timestamp_ms, e.message) for e in events] == [
            (s, t, m) for _, s, t, m in rows
        ]
        assert len({e.event_id for e in events}) == 257
    finally:
        database.close()


def test_a_large_batch_lets_the_loop_turn_between_slices(tmp_path: Path) -> None:
    """Written on the loop: other work runs between slices, and each slice is whole."""
    from lambdalite.store.sqlite.logs import SLICE_ROWS

    database = SqliteDatabase(tmp_path / "logs.sqlite3", LOGS)
    database.open()
    store = SqliteLogStore(database)
    seen: list[int] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        rows = [("/aws/lambda/fn", "s", i, f"line {i}") for i in range(2 * SLICE_ROWS + 1)]
        # Runs at the first turn the writer gives back: exactly one slice is stored then.
        loop.call_soon(
            lambda: seen.append(
                database.connection.execute("SELECT count(*) FROM log_events").fetchone()[0]
            )
        )
        await store.append(rows)

    try:
        asyncio.run(scenario())
        assert seen == [SLICE_ROWS]
        events = _read(store, "/aws/lambda/fn", 10_000)
        assert [e.timestamp_ms for e in events] == list(range(2 * SLICE_ROWS + 1))
    finally:
        database.close()
