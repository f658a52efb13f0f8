"""WAL checkpoints run on the store's own thread, not on the event loop's connection."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lambdalite.store.sqlite.backend import SqliteBackend
from lambdalite.store.sqlite.checkpointer import BACKSTOP_PAGES
from lambdalite.store.sqlite.database import SqliteDatabase


async def _until_checkpointed(checkpointer: SqliteDatabase) -> None:
    for _ in range(500):  # the thread wakes every 0.1 s; allow a slow machine 10 s
        if checkpointer.checkpoints:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("no checkpoint was made")


def test_the_checkpoint_thread_copies_committed_pages_back(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = SqliteBackend(tmp_path / "db.sqlite3")
        await store.open()
        try:
            db = store.database.connection
            assert db.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
            db.execute("CREATE TABLE filler (x BLOB)")
            for _ in range(50):
                db.execute("INSERT INTO filler VALUES (zeroblob(8000))")
            await _until_checkpointed(store.database)
        finally:
            await store.close()

    asyncio.run(scenario())


def test_the_log_file_is_checkpointed_off_the_loop_too(tmp_path: Path) -> None:
    async def scenario() -> None:
        store = SqliteBackend(tmp_path / "db.sqlite3")
        await store.open()
        try:
            logs = store.log_database.connection
            assert logs.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == BACKSTOP_PAGES
            rows = [("/aws/lambda/fn", "s", i, "x" * 2000) for i in range(200)]
            await store.logs.append(rows)
            await _until_checkpointed(store.log_database)
        finally:
            await store.close()

    asyncio.run(scenario())
