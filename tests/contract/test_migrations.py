"""Versioned migrations: fresh and upgraded files end up alike; re-opening is a no-op."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from lambdalite.errors import StorageError
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
    old = sqlite3.connect(tmp_path / "old.sqlite3", isolation_level=None)
    old.executescript((DUMPS / dump).read_text())
    assert old.execute("PRAGMA user_version").fetchone()[0] == 0  # before versioning
    assert migrate(old, migrations) == [m.version for m in migrations]
    fresh = sqlite3.connect(tmp_path / "fresh.sqlite3", isolation_level=None)
    migrate(fresh, migrations)
    assert _schema(old) == _schema(fresh)


def test_a_file_from_a_newer_release_is_refused(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "new.sqlite3", isolation_level=None)
    db.execute("PRAGMA user_version = 999")
    with pytest.raises(StorageError, match="newer than this lambdalite"):
        migrate(db, MAIN)


def test_a_failing_migration_leaves_the_file_at_its_version(tmp_path: Path) -> None:
    def broken(db: sqlite3.Connection) -> None:
        db.execute("CREATE TABLE half_done (x)")
        db.execute("THIS IS NOT SQL")

    db = sqlite3.connect(tmp_path / "x.sqlite3", isolation_level=None)
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
            assert backend.log_database.applied == [1]

    asyncio.run(scenario())
