"""Event source mappings and their checkpoints in the main SQLite file (the
EventSourceMappingStore of ``esm/store.py``).

Statements run inline on the loop; a change that reads before it writes runs in one
``BEGIN IMMEDIATE`` transaction, so a duplicate check and its insert, or a compare and its
set, cannot interleave with another writer. The unique (source, function) index backs the
duplicate check up.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from lambdalite.esm.model import EventSourceMapping, MappingConfig, MappingState, SourceKind
from lambdalite.esm.store import DuplicateMapping, MappingPage
from lambdalite.outbox.model import Entry
from lambdalite.store.sqlite import outbox as outbox_rows
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = (
    "id, uuid, function_name, function_arn, source_arn, source_kind, state, state_reason,"
    " config, last_modified, last_result, revision"
)
_INSERT = (
    "INSERT INTO esm_mappings (uuid, function_name, function_arn, source_arn, source_kind,"
    " state, state_reason, config, last_modified, last_result, revision)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_UPDATE = (
    "UPDATE esm_mappings SET function_name = ?, function_arn = ?, state = ?, state_reason = ?,"
    " config = ?, last_modified = ?, last_result = ?, revision = ?"
    " WHERE uuid = ? AND revision = ?"
)
_TAKEN = "SELECT uuid FROM esm_mappings WHERE source_arn = ? AND function_arn = ? AND uuid <> ?"
# Sequence numbers are decimal strings: a longer one is larger, equal lengths compare as text.
_SET_CHECKPOINT = (
    "INSERT INTO esm_checkpoints (mapping_id, shard_id, partition_key, sequence, updated_at)"
    " SELECT id, ?, ?, ?, ? FROM esm_mappings WHERE uuid = ?"
    " ON CONFLICT (mapping_id, shard_id, partition_key) DO UPDATE"
    " SET sequence = excluded.sequence, updated_at = excluded.updated_at"
    " WHERE length(excluded.sequence) > length(sequence)"
    " OR (length(excluded.sequence) = length(sequence) AND excluded.sequence > sequence)"
)
_CHECKPOINTS = (
    "SELECT c.shard_id, c.partition_key, c.sequence FROM esm_checkpoints c"
    " JOIN esm_mappings m ON m.id = c.mapping_id WHERE m.uuid = ?"
)

Row = tuple[int, str, str, str, str, str, str, str, str, float, str, int]


def _mapping(row: Row) -> EventSourceMapping:
    (_, uuid, function_name, function_arn, source_arn, kind, state, reason, config,
     last_modified, last_result, revision) = row  # fmt: skip
    return EventSourceMapping(
        uuid=uuid,
        function_name=function_name,
        function_arn=function_arn,
        event_source_arn=source_arn,
        source_kind=SourceKind(kind),
        config=MappingConfig.from_json(json.loads(config)),
        state=MappingState(state),
        state_transition_reason=reason,
        last_modified=last_modified,
        last_processing_result=last_result,
        revision=revision,
    )


def _config(mapping: EventSourceMapping) -> str:
    return json.dumps(mapping.config.to_json(), separators=(",", ":"))


class SqliteEventSourceMappingStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    # mappings -----------------------------------------------------------------------------

    async def create_mapping(self, mapping: EventSourceMapping) -> None:
        m = mapping
        with self._database.transaction() as db:
            taken = db.execute(_TAKEN, (m.event_source_arn, m.function_arn, m.uuid)).fetchone()
            if taken is not None:
                raise DuplicateMapping(taken[0])
            db.execute(
                _INSERT,
                (
                    m.uuid,
                    m.function_name,
                    m.function_arn,
                    m.event_source_arn,
                    m.source_kind,
                    m.state,
                    m.state_transition_reason,
                    _config(m),
                    m.last_modified,
                    m.last_processing_result,
                    m.revision,
                ),  # fmt: skip
            )

    async def get_mapping(self, uuid: str) -> EventSourceMapping | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM esm_mappings WHERE uuid = ?", (uuid,)
        ).fetchone()
        return None if row is None else _mapping(row)

    async def list_mappings(
        self,
        *,
        source_arn: str | None,
        function_name: str | None,
        function_arn: str | None,
        marker: str | None,
        limit: int,
    ) -> MappingPage:
        where = ["id > ?"]
        args: list[object] = [int(marker) if marker else 0]
        for column, value in (
            ("source_arn", source_arn),
            ("function_name", function_name),
            ("function_arn", function_arn),
        ):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM esm_mappings WHERE {' AND '.join(where)} ORDER BY id LIMIT ?",
            (*args, limit + 1),
        ).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        next_marker = str(rows[-1][0]) if more else None
        return MappingPage([_mapping(r) for r in rows], next_marker)

    async def replace_mapping(self, mapping: EventSourceMapping, expected_revision: int) -> bool:
        m = mapping
        with self._database.transaction() as db:
            row = db.execute("SELECT revision FROM esm_mappings WHERE uuid = ?", (m.uuid,))
            found = row.fetchone()
            if found is None or found[0] != expected_revision:
                return False
            taken = db.execute(_TAKEN, (m.event_source_arn, m.function_arn, m.uuid)).fetchone()
            if taken is not None:
                raise DuplicateMapping(taken[0])
            cursor = db.execute(
                _UPDATE,
                (
                    m.function_name,
                    m.function_arn,
                    m.state,
                    m.state_transition_reason,
                    _config(m),
                    m.last_modified,
                    m.last_processing_result,
                    m.revision,
                    m.uuid,
                    expected_revision,
                ),  # fmt: skip
            )
            return cursor.rowcount == 1

    async def delete_mapping(self, uuid: str) -> bool:
        cursor = self._db.execute("DELETE FROM esm_mappings WHERE uuid = ?", (uuid,))
        return cursor.rowcount == 1

    async def set_last_processing_result(self, uuid: str, result: str) -> bool:
        cursor = self._db.execute(
            "UPDATE esm_mappings SET last_result = ? WHERE uuid = ?", (result, uuid)
        )
        return cursor.rowcount == 1

    # checkpoints --------------------------------------------------------------------------

    async def set_checkpoint(
        self,
        uuid: str,
        shard_id: str,
        sequence: str,
        at: float,
        partition_key: str = "",
        outbox: Sequence[Entry] = (),
    ) -> bool:
        params = (shard_id, partition_key, sequence, at, uuid)
        if not outbox:
            return self._db.execute(_SET_CHECKPOINT, params).rowcount == 1
        with self._database.transaction() as db:
            moved = db.execute(_SET_CHECKPOINT, params).rowcount == 1
            outbox_rows.insert(db, outbox)
        return moved

    async def checkpoint(self, uuid: str, shard_id: str, partition_key: str = "") -> str | None:
        row = self._db.execute(
            f"{_CHECKPOINTS} AND c.shard_id = ? AND c.partition_key = ?",
            (uuid, shard_id, partition_key),
        ).fetchone()
        return None if row is None else str(row[2])

    async def checkpoints(self, uuid: str) -> dict[tuple[str, str], str]:
        return {(s, k): q for s, k, q in self._db.execute(_CHECKPOINTS, (uuid,))}
