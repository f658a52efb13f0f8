"""SQL for Kinesis streams and records, on the platform's one SQLite connection.

Writes that touch several rows run in one ``BEGIN IMMEDIATE`` transaction; reads and
single-row writes run inline (autocommit). Nothing here awaits inside a transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Generator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass

from lambdalite.store.sqlite.tables import transaction


@dataclass(frozen=True, slots=True)
class StreamRow:
    id: int
    name: str
    status: str
    mode: str
    shard_count: int
    retention_hours: int
    max_record_kib: int
    created_at: float


@dataclass(frozen=True, slots=True)
class RecordRow:
    counter: int
    arrival: float
    partition_key: str
    data: bytes


# (shard index, arrival, partition key, data)
NewRow = tuple[int, float, str, bytes]
_STREAM_COLUMNS = "id, name, status, mode, shard_count, retention_hours, max_record_kib, created_at"


class KinesisStore:
    def __init__(self, connection: Callable[[], sqlite3.Connection]) -> None:
        self._connection = connection  # the platform store's connection, once it is open

    @property
    def db(self) -> sqlite3.Connection:
        return self._connection()

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.db)

    # streams -----------------------------------------------------------------------------

    def insert_stream(self, row: StreamRow) -> int | None:
        """The new stream's id, or None when the name is taken."""
        try:
            cursor = self.db.execute(
                "INSERT INTO kinesis_streams (name, status, mode, shard_count, retention_hours,"
                " max_record_kib, created_at) VALUES (?,?,?,?,?,?,?)",
                (row.name, row.status, row.mode, row.shard_count, row.retention_hours,
                 row.max_record_kib, row.created_at),
            )  # fmt: skip
        except sqlite3.IntegrityError:
            return None
        return cursor.lastrowid

    def stream_by_name(self, name: str) -> StreamRow | None:
        row = self.db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE name = ?", (name,)
        ).fetchone()
        return None if row is None else StreamRow(*row)

    def stream_by_id(self, stream_id: int) -> StreamRow | None:
        row = self.db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE id = ?", (stream_id,)
        ).fetchone()
        return None if row is None else StreamRow(*row)

    def streams(self) -> list[StreamRow]:
        rows = self.db.execute(f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams ORDER BY name")
        return [StreamRow(*row) for row in rows]

    def open_shards(self) -> int:
        return int(self.db.execute("SELECT total(shard_count) FROM kinesis_streams").fetchone()[0])

    def set_status(self, stream_id: int, status: str, where_status: str | None = None) -> None:
        sql = "UPDATE kinesis_streams SET status = ? WHERE id = ?"
        params: tuple[object, ...] = (status, stream_id)
        if where_status is not None:
            sql += " AND status = ?"
            params += (where_status,)
        self.db.execute(sql, params)

    def activate_all_creating(self) -> None:
        self.db.execute("UPDATE kinesis_streams SET status = 'ACTIVE' WHERE status = 'CREATING'")

    def set_retention(self, stream_id: int, hours: int) -> None:
        self.db.execute(
            "UPDATE kinesis_streams SET retention_hours = ? WHERE id = ?", (hours, stream_id)
        )

    def delete_stream(self, stream_id: int) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM kinesis_records WHERE stream_id = ?", (stream_id,))
            db.execute("DELETE FROM kinesis_streams WHERE id = ?", (stream_id,))

    # records -----------------------------------------------------------------------------

    def append(self, stream_id: int, rows: Sequence[NewRow]) -> int:
        """Commit ``rows`` in one transaction; returns the counter of the first (they are
        consecutive: AUTOINCREMENT under the write lock hands out max + 1 each time)."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO kinesis_records (stream_id, shard_index, arrival, partition_key,"
                " data) VALUES (?,?,?,?,?)",
                [(stream_id, *row) for row in rows],
            )
            last = db.execute(
                "SELECT seq FROM sqlite_sequence WHERE name = 'kinesis_records'"
            ).fetchone()[0]
        return int(last) - len(rows) + 1

    def last_arrival(self) -> float:
        row = self.db.execute(
            "SELECT arrival FROM kinesis_records ORDER BY counter DESC LIMIT 1"
        ).fetchone()
        return 0.0 if row is None else float(row[0])

    def read(
        self, stream_id: int, shard: int, after: int, cutoff: float
    ) -> Generator[RecordRow, None, None]:
        """Retained records of a shard after counter ``after``, oldest first, lazily."""
        cursor = self.db.execute(
            "SELECT counter, arrival, partition_key, data FROM kinesis_records"
            " WHERE stream_id = ? AND shard_index = ? AND counter > ? AND arrival >= ?"
            " ORDER BY counter",
            (stream_id, shard, after, cutoff),
        )
        try:
            for row in cursor:
                yield RecordRow(*row)
        finally:
            cursor.close()

    def last_counter(self, stream_id: int, shard: int) -> int | None:
        row = self.db.execute(
            "SELECT max(counter) FROM kinesis_records WHERE stream_id = ? AND shard_index = ?",
            (stream_id, shard),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def first_counter_at(self, stream_id: int, shard: int, timestamp: float) -> int | None:
        row = self.db.execute(
            "SELECT counter FROM kinesis_records WHERE stream_id = ? AND shard_index = ?"
            " AND arrival >= ? ORDER BY counter LIMIT 1",
            (stream_id, shard, timestamp),
        ).fetchone()
        return None if row is None else int(row[0])

    def trim(self, stream_id: int, shard: int, cutoff: float, batch: int = 1000) -> int:
        """Delete up to ``batch`` of the shard's oldest records that arrived before ``cutoff``."""
        cursor = self.db.execute(
            "DELETE FROM kinesis_records WHERE counter IN (SELECT counter FROM kinesis_records"
            " WHERE stream_id = ? AND shard_index = ? ORDER BY counter LIMIT ?) AND arrival < ?",
            (stream_id, shard, batch, cutoff),
        )
        return cursor.rowcount
