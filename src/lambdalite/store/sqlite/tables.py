"""What every SQLite-backed store of ours needs: its tables, and one transaction shape."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources

from lambdalite.errors import StorageError


def apply_schema(db: sqlite3.Connection, package: str, name: str = "schema.sql") -> None:
    """Run a package's schema file (CREATE ... IF NOT EXISTS, so it is safe at every start)."""
    db.executescript(resources.files(package).joinpath(name).read_text())


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception; driver errors surface as
    StorageError. Never await inside: the connection is shared by the whole event loop."""
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
