"""The one handle on a SQLite file that every SQLite store of ours shares.

Stores never open connections of their own: they are given this handle and run their
statements on its connection, inline on the event loop, one short transaction per state
change, never held across an ``await``. Opening connects, sets the durability pragmas,
applies the file's migrations and starts the WAL checkpointer thread.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Literal

from lambdalite.errors import StorageError
from lambdalite.store.sqlite.checkpointer import INTERVAL_S, Checkpointer
from lambdalite.store.sqlite.migrations import Migration, migrate

Synchronous = Literal["NORMAL", "OFF"]  # the two a file of ours may ask for


def connect(path: Path, synchronous: Synchronous = "NORMAL") -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    db.execute("PRAGMA journal_mode=WAL")
    # NORMAL survives kill -9 (the WAL is in the OS cache); only power loss can cost the
    # last commits, which is the trade SQLite documents for WAL mode. OFF (a diagnostic
    # file's choice) also skips the checkpoints' fsyncs: power loss may cost more, or the
    # file; kill -9 still costs nothing that was committed.
    db.execute(f"PRAGMA synchronous={synchronous}")
    db.execute("PRAGMA foreign_keys=ON")
    db.execute("PRAGMA busy_timeout=5000")
    return db


class SqliteDatabase:
    def __init__(
        self,
        path: Path,
        migrations: Sequence[Migration],
        *,
        synchronous: Synchronous = "NORMAL",
        checkpoint_interval_s: float = INTERVAL_S,
    ) -> None:
        self.path = path
        self._migrations = migrations
        self._synchronous = synchronous
        self._db: sqlite3.Connection | None = None
        self._checkpointer = Checkpointer(path, checkpoint_interval_s, self._synchronous)
        self.applied: list[int] = []  # migrations the last open applied

    def open(self) -> None:
        db = connect(self.path, self._synchronous)
        try:
            self.applied = migrate(db, self._migrations)
        except BaseException:
            db.close()
            raise
        self._db = db
        self._checkpointer.start(db)

    def close(self) -> None:
        self._checkpointer.stop()
        if self._db is not None:
            self._db.close()
            self._db = None

    @property
    def is_open(self) -> bool:
        return self._db is not None

    @property
    def connection(self) -> sqlite3.Connection:
        if self._db is None:
            raise StorageError(f"{self.path.name} is not open")
        return self._db

    @property
    def checkpoints(self) -> int:
        return self._checkpointer.checkpoints

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; driver errors surface
        as StorageError. Never await inside: the connection is shared by the whole loop."""
        db = self.connection
        try:
            db.execute("BEGIN IMMEDIATE")
            yield db
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise StorageError(str(exc)) from exc
            raise
