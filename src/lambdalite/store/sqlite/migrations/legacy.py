"""Fix-ups for data directories older than versioned migrations, run inside migration 1."""

from __future__ import annotations

import sqlite3


def fold_journal_table(db: sqlite3.Connection) -> None:
    """Journeys used to live in a table of their own (a row per line); now each is a text
    column on its event. Copy the old lines over in order, then drop the table."""
    columns = {row[1] for row in db.execute("PRAGMA table_info(async_events)")}
    if "journal" not in columns:
        db.execute("ALTER TABLE async_events ADD COLUMN journal TEXT NOT NULL DEFAULT ''")
    has_table = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'async_journal'"
    ).fetchone()
    if not has_table:
        return
    db.execute(
        "UPDATE async_events SET journal = journal || (SELECT group_concat(line, '') FROM ("
        " SELECT json_array(at, kind, outcome, detail) || char(10) AS line"
        " FROM async_journal j WHERE j.request_id = async_events.request_id ORDER BY j.id))"
        " WHERE request_id IN (SELECT request_id FROM async_journal)"
    )
    db.execute("DROP TABLE async_journal")
