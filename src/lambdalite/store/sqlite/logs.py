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
from lambdalite.logs.store import EventQuery, LogRow, StoredLogEvent
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.logs_meta import LogCatalogMixin

ROWS_PER_STATEMENT = 100
SLICE_ROWS = 200  # rows per transaction, between two turns of the loop


@functools.cache
def _insert_rows(count: int) -> str:
    values = ",".join(["(?,?,?,?,?)"] * count)
    return (
        "INSERT INTO log_events (log_group, log_stream, timestamp_ms, ingestion_ms, message) "
        f"VALUES {values}"
    )


_TOUCH_GROUP = "INSERT OR IGNORE INTO log_groups (name, creation_ms) VALUES (?, ?)"
# A batch's bounds per stream, folded into the stream's row (one statement per stream).
_TOUCH_STREAM = (
    "INSERT INTO log_streams (log_group, name, creation_ms, first_event_ms, last_event_ms, "
    "last_ingestion_ms, stored_bytes) VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (log_group, name) DO UPDATE SET "
    "first_event_ms = min(coalesce(first_event_ms, excluded.first_event_ms), "
    "excluded.first_event_ms), "
    "last_event_ms = max(coalesce(last_event_ms, excluded.last_event_ms), excluded.last_event_ms), "
    "last_ingestion_ms = excluded.last_ingestion_ms, "
    "stored_bytes = stored_bytes + excluded.stored_bytes"
)
_COLUMNS = "log_group, log_stream, timestamp_ms, ingestion_ms, message, id"


class SqliteLogStore(LogCatalogMixin):
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database  # the log file's own handle (its migrations are LOGS)

    @property
    def db(self) -> sqlite3.Connection:
        return self.database.connection

    async def append(self, events: list[LogRow], ingestion_ms: int | None = None) -> None:
        """Store events in order, a slice per transaction with a loop turn between slices
        (each slice is committed before the next starts: reads never see half a slice)."""
        now_ms = int(time.time() * 1000) if ingestion_ms is None else ingestion_ms
        for start in range(0, len(events), SLICE_ROWS):
            if start:
                await asyncio.sleep(0)
            self._append(events[start : start + SLICE_ROWS], now_ms)

    def _append(self, events: list[LogRow], now_ms: int) -> None:
        db = self.db
        # Per stream: first and last timestamp, bytes (one pass; no statement per row).
        bounds: dict[tuple[str, str], list[int]] = {}
        for g, s, t, m in events:
            b = bounds.get((g, s))
            if b is None:
                bounds[(g, s)] = [t, t, len(m)]
            else:
                b[0] = min(b[0], t)
                b[1] = max(b[1], t)
                b[2] += len(m)
        try:
            db.execute("BEGIN")
            # A hundred rows per statement: a statement costs more than a row to start,
            # and executemany would pay it per row.
            for start in range(0, len(events), ROWS_PER_STATEMENT):
                chunk = events[start : start + ROWS_PER_STATEMENT]
                params = [v for g, s, t, m in chunk for v in (g, s, t, now_ms, m)]
                db.execute(_insert_rows(len(chunk)), params)
            for g in {g for g, _ in bounds}:
                db.execute(_TOUCH_GROUP, (g, now_ms))
            for (g, s), (first, last, size) in bounds.items():
                db.execute(_TOUCH_STREAM, (g, s, now_ms, first, last, now_ms, size))
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
            # By rowid from the cursor ("+" keeps SQLite off the group's timestamp index,
            # which would read the whole group and sort it on every subscription pass).
            f"SELECT {_COLUMNS} FROM log_events WHERE id > :after AND +log_group = :group "
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

    async def read(self, query: EventQuery) -> list[StoredLogEvent]:
        where = ["log_group = ?"]
        args: list[object] = [query.log_group]
        if query.streams is not None:
            where.append(f"log_stream IN ({','.join('?' * len(query.streams))})")
            args += query.streams
        if query.stream_prefix:
            where.append("substr(log_stream, 1, ?) = ?")
            args += [len(query.stream_prefix), query.stream_prefix]
        if query.start_ms is not None:
            where.append("timestamp_ms >= ?")
            args.append(query.start_ms)
        if query.end_ms is not None:
            where.append("timestamp_ms <= ?")
            args.append(query.end_ms)
        if query.after is not None:
            where.append("(timestamp_ms, id) > (?, ?)")
            args += query.after
        if query.before is not None:
            where.append("(timestamp_ms, id) < (?, ?)")
            args += query.before
        order = "DESC" if query.newest_first else "ASC"
        sql = (
            f"SELECT {_COLUMNS} FROM log_events WHERE {' AND '.join(where)} "
            f"ORDER BY timestamp_ms {order}, id {order} LIMIT ?"
        )
        rows = self.db.execute(sql, [*args, query.limit]).fetchall()
        return [StoredLogEvent(*row) for row in rows]

    async def last_event_id(self) -> int:
        row = self.db.execute("SELECT max(id) FROM log_events").fetchone()
        return int(row[0] or 0)

    async def expire(self, log_group: str, before_ms: int, limit: int) -> int:
        with self.database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM log_events WHERE id IN (SELECT id FROM log_events "
                "WHERE log_group = ? AND timestamp_ms < ? ORDER BY timestamp_ms LIMIT ?)",
                (log_group, before_ms, limit),
            )
            if cursor.rowcount:  # the streams' first event moved on
                db.execute(
                    "UPDATE log_streams SET first_event_ms = (SELECT min(timestamp_ms) "
                    "FROM log_events e WHERE e.log_group = log_streams.log_group "
                    "AND e.log_stream = log_streams.name) WHERE log_group = ?",
                    (log_group,),
                )
            return cursor.rowcount

    async def oldest_event_ms(self, log_group: str) -> int | None:
        row = self.db.execute(
            "SELECT min(timestamp_ms) FROM log_events WHERE log_group = ?", (log_group,)
        ).fetchone()
        return None if row[0] is None else int(row[0])

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
