"""Kinesis streams and records in the main SQLite file (the KinesisStore of
``services/kinesis/store.py``).

Writes that touch several rows run in one ``BEGIN IMMEDIATE`` transaction; reads and
single-row writes run inline (autocommit). Nothing here suspends, let alone inside a
transaction. Counters come from ``AUTOINCREMENT``: under the write lock each insert takes
the highest counter ever handed out plus one, so a batch gets consecutive counters and a
counter is never reused, even after retention deletes the newest rows.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from lambdalite.services.kinesis.store import (
    ModeUsage,
    NewRow,
    RecordBatch,
    RecordRow,
    StreamRow,
    fill_batch,
)
from lambdalite.store.sqlite.database import SqliteDatabase

_STREAM_COLUMNS = "id, name, status, mode, shard_count, retention_hours, max_record_kib, created_at"
_INSERT_STREAM = (
    "INSERT INTO kinesis_streams (name, status, mode, shard_count, retention_hours,"
    " max_record_kib, created_at) VALUES (?,?,?,?,?,?,?)"
)
_INSERT_RECORD = (
    "INSERT INTO kinesis_records (stream_id, shard_index, arrival, partition_key, data)"
    " VALUES (?,?,?,?,?)"
)
_READ = (
    "SELECT counter, arrival, partition_key, data FROM kinesis_records"
    " WHERE stream_id = ? AND shard_index = ? AND counter > ? AND arrival >= ?"
    " ORDER BY counter"
)
_TRIM = (
    "DELETE FROM kinesis_records WHERE counter IN (SELECT counter FROM kinesis_records"
    " WHERE stream_id = ? AND shard_index = ? ORDER BY counter LIMIT ?) AND arrival < ?"
)


class SqliteKinesisStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    # streams ------------------------------------------------------------------------------

    async def create_stream(self, row: StreamRow) -> int | None:
        values = (row.name, row.status, row.mode, row.shard_count, row.retention_hours,
                  row.max_record_kib, row.created_at)  # fmt: skip
        try:
            cursor = self._db.execute(_INSERT_STREAM, values)
        except sqlite3.IntegrityError:
            return None
        return cursor.lastrowid

    async def stream_named(self, name: str) -> StreamRow | None:
        row = self._db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else StreamRow(*row)

    async def stream_by_id(self, stream_id: int) -> StreamRow | None:
        row = self._db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE id = ?", (stream_id,)
        ).fetchone()
        return None if row is None else StreamRow(*row)

    async def streams(self) -> list[StreamRow]:
        rows = self._db.execute(f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams ORDER BY name")
        return [StreamRow(*row) for row in rows]

    async def usage(self, mode: str) -> ModeUsage:
        row = self._db.execute(
            "SELECT count(*), total(shard_count) FROM kinesis_streams WHERE mode = ?", (mode,)
        ).fetchone()
        return ModeUsage(int(row[0]), int(row[1]))

    async def activate(self, stream_id: int) -> None:
        self._db.execute(
            "UPDATE kinesis_streams SET status = 'ACTIVE' WHERE id = ? AND status = 'CREATING'",
            (stream_id,),
        )

    async def activate_creating(self) -> None:
        self._db.execute("UPDATE kinesis_streams SET status = 'ACTIVE' WHERE status = 'CREATING'")

    async def set_retention(self, stream_id: int, hours: int) -> None:
        self._db.execute(
            "UPDATE kinesis_streams SET retention_hours = ? WHERE id = ?", (hours, stream_id)
        )

    async def set_mode(self, stream_id: int, mode: str) -> None:
        self._db.execute("UPDATE kinesis_streams SET mode = ? WHERE id = ?", (mode, stream_id))

    async def delete_stream(self, stream_id: int) -> None:
        with self._database.transaction() as db:
            db.execute("DELETE FROM kinesis_records WHERE stream_id = ?", (stream_id,))
            db.execute("DELETE FROM kinesis_streams WHERE id = ?", (stream_id,))

    # records ------------------------------------------------------------------------------

    async def append(self, stream_id: int, rows: Sequence[NewRow]) -> int:
        with self._database.transaction() as db:
            db.executemany(_INSERT_RECORD, [(stream_id, *row) for row in rows])
            last = db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'kinesis_records'"
            ).fetchone()[0]
        return int(last) - len(rows) + 1

    async def last_arrival(self) -> float:
        row = self._db.execute(
            "SELECT arrival FROM kinesis_records ORDER BY counter DESC LIMIT 1"
        ).fetchone()
        return 0.0 if row is None else float(row[0])

    async def read(
        self,
        stream_id: int,
        shard_index: int,
        after: int,
        cutoff: float,
        limit: int,
        max_bytes: int,
    ) -> RecordBatch:
        # Stepped lazily: the batch stops at the first row it leaves out.
        cursor = self._db.execute(_READ, (stream_id, shard_index, after, cutoff))
        try:
            return fill_batch((RecordRow(*row) for row in cursor), limit, max_bytes)
        finally:
            cursor.close()

    async def last_counter(self, stream_id: int, shard_index: int) -> int | None:
        row = self._db.execute(
            "SELECT max(counter) FROM kinesis_records WHERE stream_id = ? AND shard_index = ?",
            (stream_id, shard_index),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    async def first_counter_at(
        self, stream_id: int, shard_index: int, timestamp: float
    ) -> int | None:
        row = self._db.execute(
            "SELECT counter FROM kinesis_records WHERE stream_id = ? AND shard_index = ?"
            " AND arrival >= ? ORDER BY counter LIMIT 1",
            (stream_id, shard_index, timestamp),
        ).fetchone()
        return None if row is None else int(row[0])

    async def trim(self, stream_id: int, shard_index: int, cutoff: float, limit: int) -> int:
        return self._db.execute(_TRIM, (stream_id, shard_index, limit, cutoff)).rowcount
