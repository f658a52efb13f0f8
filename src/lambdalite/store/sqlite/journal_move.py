"""Moves the invocation journal out of the main file, once, on the first open after upgrade.

Main versions 10 and 11 kept the journal's tables in the main file; version 12 drops them
(migrations/main_0012_journal_moved.sql). Before the main file is migrated, its rows are
copied into journal.sqlite3 with their ids (INSERT OR IGNORE): a crash between the copy and
the drop copies again next time and duplicates nothing.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lambdalite.errors import StorageError

_COLUMNS = (
    "id, request_id, function_name, executed_version, invoked_arn, trigger, started_at, "
    "ended_at, logged_ms, duration_ms, billed_ms, init_ms, max_memory_mb, outcome, "
    "error_type, payload, payload_size, response, response_size, trace_id, source_id"
)
_MINUTE_COLUMNS = "function_name, minute, invocations, errors, throttles, duration_ms, last_at"


def move_journal(main_path: Path, journal: sqlite3.Connection) -> int:
    """Copy the main file's journal rows into `journal` (an open, migrated journal file);
    returns how many rows were copied. Leaves the main file as it was."""
    if not main_path.exists():
        return 0  # ATTACH would create it
    try:
        return _copy(main_path, journal)
    except sqlite3.Error as exc:
        raise StorageError(f"moving the journal out of {main_path.name}: {exc}") from exc


def _copy(main_path: Path, journal: sqlite3.Connection) -> int:
    journal.execute("ATTACH DATABASE ? AS old", (str(main_path),))
    try:
        # Whether the tables are there, not the file's version: the one that drops them may
        # be renumbered, and they are as version 10 made them until it runs.
        held = "SELECT 1 FROM old.sqlite_master WHERE type = 'table' AND name = 'invocations'"
        if journal.execute(held).fetchone() is None:
            return 0
        journal.execute("BEGIN IMMEDIATE")
        try:
            copied = journal.execute(
                f"INSERT OR IGNORE INTO main.invocations ({_COLUMNS}) "
                f"SELECT {_COLUMNS} FROM old.invocations"
            ).rowcount
            journal.execute(
                f"INSERT OR IGNORE INTO main.invocation_minutes ({_MINUTE_COLUMNS}) "
                f"SELECT {_MINUTE_COLUMNS} FROM old.invocation_minutes"
            )
            journal.execute("COMMIT")
        except BaseException:
            journal.execute("ROLLBACK")
            raise
        return int(copied)
    finally:
        journal.execute("DETACH DATABASE old")
