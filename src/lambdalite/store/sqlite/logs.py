"""Function logs in a SQLite file of their own, written on the event loop in short slices.

Logs are the highest-volume writes (three lines or more per invocation). In the main file
they would make every other writer wait for their lock, hence a file of their own.

They are written on the loop, a slice of SLICE_ROWS rows per transaction with a turn of
the loop between slices, so no request waits behind more than one slice (~0.3 ms). A
writer thread was tried first: it cost more than the writing itself, because each
statement's return retakes the GIL from the loop's busy thread (measured with 8 clients
and a no-op handler: 6-8 us more of server CPU per invocation than writing on the loop).
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
import time

from lambdalite.errors import StorageError
from lambdalite.logs.store import LogRow, StoredLogEvent
from lambdalite.store.sqlite.database import SqliteDatabase

ROWS_PER_STATEMENT = 100
SLICE_ROWS = 200  # rows per transaction, between two turns of the loop


@functools.cache
def _insert_rows(count: int) -> str:
    values = ",".join(["(?,?,?,?,?)"] * count)
    return (
        "INSERT INTO log_events (log_group, log_stream, timestamp_ms, ingestion_ms, message) "
        f"VALUES {values}"
    )


class SqliteLogStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database  # the log file's own handle (its migrations are LOGS)

    @property
    def db(self) -> sqlite3.Connection:
        return self.database.connection

    async def append(self, events: list[LogRow]) -> None:
        """Store events in order, a slice per transaction with a loop turn between slices
        (each slice is committed before the next starts: reads never see half a slice)."""
        for start in range(0, len(events), SLICE_ROWS):
            if start:
                await asyncio.sleep(0)
            self._append(events[start : start + SLICE_ROWS])

    def _append(self, events: list[LogRow]) -> None:
        db = self.db
        now_ms = int(time.time() * 1000)
        try:
            db.execute("BEGIN")
            # A hundred rows per statement: a statement costs more than a row to start,
            # and executemany would pay it per row.
            for start in range(0, len(events), ROWS_PER_STATEMENT):
                chunk = events[start : start + ROWS_PER_STATEMENT]
                params = [v for g, s, t, m in chunk for v in (g, s, t, now_ms, m)]
                db.execute(_insert_rows(len(chunk)), params)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StorageError(str(exc)) from exc

    async def events(
        self,
        log_group: str,
        *,
        stream_prefix: str | None = None,
        start_ms: int | None = None,
        end_ms: int | None = None,
        after_id: int = 0,
        limit: int = 10_000,
    ) -> list[StoredLogEvent]:
        rows = self.db.execute(
            "SELECT log_group, log_stream, timestamp_ms, ingestion_ms, message, id "
            "FROM log_events WHERE log_group = :group AND id > :after "
            "AND (:prefix IS NULL OR substr(log_stream, 1, length(:prefix)) = :prefix) "
            "AND (:start IS NULL OR timestamp_ms >= :start) "
            "AND (:end IS NULL OR timestamp_ms <= :end) ORDER BY id LIMIT :limit",
            {
                "group": log_group,
                "after": after_id,
                "prefix": stream_prefix,
                "start": start_ms,
                "end": end_ms,
                "limit": limit,
            },
        ).fetchall()
        return [StoredLogEvent(*row) for row in rows]

    async def tail(self, log_group: str, limit: int) -> list[StoredLogEvent]:
        rows = self.db.execute(
            "SELECT log_group, log_stream, timestamp_ms, ingestion_ms, message, id "
            "FROM log_events WHERE log_group = ? ORDER BY id DESC LIMIT ?",
            (log_group, limit),
        ).fetchall()
        return [StoredLogEvent(*row) for row in reversed(rows)]

    async def invocation_lines(
        self, log_group: str, request_id: str, since_ms: int, until_ms: int, limit: int = 1000
    ) -> list[StoredLogEvent]:
        # No index on the message: the time window keeps the scan to the group's recent rows.
        start = self.db.execute(
            "SELECT id, log_stream FROM log_events WHERE log_group = ? "
            "AND timestamp_ms BETWEEN ? AND ? AND message LIKE ? ORDER BY id LIMIT 1",
            (log_group, since_ms, until_ms, f"START RequestId: {request_id} %"),
        ).fetchone()
        if start is None:
            return []
        rows = self.db.execute(
            "SELECT log_group, log_stream, timestamp_ms, ingestion_ms, message, id "
            "FROM log_events WHERE log_group = ? AND log_stream = ? AND id >= ? "
            "ORDER BY id LIMIT ?",
            (log_group, start[1], start[0], limit),
        ).fetchall()
        lines = []
        for row in rows:
            lines.append(StoredLogEvent(*row))
            if row[4].startswith(f"REPORT RequestId: {request_id}"):
                break
        return lines

    async def streams(self, log_group: str) -> list[tuple[str, int, int]]:
        rows = self.db.execute(
            "SELECT log_stream, MIN(timestamp_ms), MAX(timestamp_ms) FROM log_events "
            "WHERE log_group = ? GROUP BY log_stream ORDER BY MAX(id) DESC",
            (log_group,),
        ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]
