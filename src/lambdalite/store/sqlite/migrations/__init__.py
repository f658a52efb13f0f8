"""Versioned schema migrations for the SQLite files, recorded in `PRAGMA user_version`.

Each file has its own ordered list. A migration is SQL (a file here, run as one script) or a
Python step, and runs in one transaction together with the version bump, so a crash leaves
the file at the version before or after it, never between. Opening a file applies whatever
is newer than its version; a file newer than this release is refused rather than guessed at.

Add a migration by appending to MAIN or LOGS; never edit one that has shipped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

from lambdalite.errors import StorageError
from lambdalite.store.sqlite.migrations.legacy import fold_journal_table

Step = Callable[[sqlite3.Connection], None]


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    steps: tuple[Step, ...]


def sql(name: str) -> Step:
    """A step that runs one of this package's .sql files (inside the migration's transaction)."""

    def run(db: sqlite3.Connection) -> None:
        script = resources.files(__name__).joinpath(name).read_text()
        # executescript would COMMIT first; one statement at a time keeps the transaction.
        for statement in _statements(script):
            db.execute(statement)

    run.__name__ = name
    return run


def _statements(script: str) -> list[str]:
    """Split a script into complete statements (triggers hold semicolons of their own)."""
    out: list[str] = []
    current = ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            out.append(current)
            current = ""
    if current.strip() and not current.strip().startswith("--"):
        out.append(current)
    return out


MAIN: Sequence[Migration] = (
    Migration(1, "baseline", (sql("main_0001_baseline.sql"), fold_journal_table)),
    Migration(2, "outbox", (sql("main_0002_outbox.sql"),)),
    Migration(3, "esm", (sql("main_0003_esm.sql"),)),
    Migration(4, "journal", (sql("main_0004_journal.sql"),)),
)
LOGS: Sequence[Migration] = (Migration(1, "baseline", (sql("logs_0001_baseline.sql"),)),)


def current_version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection, migrations: Sequence[Migration]) -> list[int]:
    """Bring the file up to the last migration; returns the versions applied."""
    known = migrations[-1].version if migrations else 0
    found = current_version(db)
    if found > known:
        raise StorageError(
            f"the data file is at schema version {found}, newer than this lambdalite "
            f"({known}); upgrade lambdalite or use another data directory"
        )
    applied = []
    for migration in migrations:
        if migration.version <= found:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            for step in migration.steps:
                step(db)
            db.execute(f"PRAGMA user_version = {int(migration.version)}")
            db.execute("COMMIT")
        except BaseException as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                message = f"migration {migration.version} ({migration.name}): {exc}"
                raise StorageError(message) from exc
            raise
        applied.append(migration.version)
    return applied
