"""Versioned schema migrations for the SQLite files, recorded in `PRAGMA user_version`.

Each file has its own ordered list. A migration is SQL (a file here, run as one script) or a
Python step, and runs in one transaction together with the version bump, so a crash leaves
the file at the version before or after it, never between. Opening a file applies whatever
is newer than its version; a file newer than this release is refused rather than guessed at.

Add a migration by appending to MAIN, LOGS or JOURNAL; never edit one that has shipped.
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


def add_column(table: str, column: str, declaration: str) -> Step:
    """ALTER TABLE ... ADD COLUMN, skipped when the column is there: a file set back to
    version 0 by a release before versioned migrations runs every migration again."""

    def run(db: sqlite3.Connection) -> None:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if column not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")

    run.__name__ = f"add_column_{table}_{column}"
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
    # The X-Ray trace header an async event was accepted with (observe/trace.py): its
    # attempts run in that trace, and its destination and DLQ messages carry it.
    Migration(4, "trace", (add_column("async_events", "trace_header", "TEXT"),)),
    Migration(5, "policies", (sql("main_0005_policies.sql"),)),
    Migration(6, "stacks", (sql("main_0006_stacks.sql"),)),
    Migration(7, "gateway", (sql("main_0007_gateway.sql"),)),
    Migration(8, "layers", (sql("main_0008_layers.sql"),)),
    Migration(9, "metrics", (sql("main_0009_metrics.sql"),)),
    Migration(10, "journal", (sql("main_0010_journal.sql"),)),
    Migration(11, "provisioned-concurrency", (sql("main_0011_provisioned_concurrency.sql"),)),
    # The invocation journal moved to a file of its own (JOURNAL below).
    Migration(12, "journal-moved", (sql("main_0012_journal_moved.sql"),)),
    Migration(13, "moto-requests", (sql("main_0013_moto_requests.sql"),)),
)
LOGS: Sequence[Migration] = (
    Migration(1, "baseline", (sql("logs_0001_baseline.sql"),)),
    Migration(2, "groups-streams", (sql("logs_0002_groups_streams.sql"),)),
)
JOURNAL: Sequence[Migration] = (Migration(1, "baseline", (sql("journal_0001_baseline.sql"),)),)


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
