"""Log groups, log streams and subscription filters in the log file (the catalogue half of
SqliteLogStore; the events half is logs.py)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from lambdalite.logs.store import LogGroupInfo, LogStreamInfo, SubscriptionFilter
from lambdalite.store.sqlite.database import SqliteDatabase

_GROUP_COLUMNS = (
    "g.name, g.creation_ms, g.retention_days, g.log_group_class, g.tags, "
    "(SELECT coalesce(sum(s.stored_bytes), 0) FROM log_streams s WHERE s.log_group = g.name)"
)
_STREAM_COLUMNS = (
    "log_group, name, creation_ms, first_event_ms, last_event_ms, last_ingestion_ms, stored_bytes"
)
_FILTER_COLUMNS = (
    "log_group, name, filter_pattern, destination_arn, role_arn, distribution, creation_ms, cursor"
)


def _group(row: Any) -> LogGroupInfo:
    name, creation, retention, cls, tags, stored = row
    return LogGroupInfo(
        name=name,
        creation_ms=creation,
        retention_days=retention,
        log_group_class=cls,
        tags=json.loads(tags),
        stored_bytes=stored,
    )


def _stream(row: Any) -> LogStreamInfo:
    group, name, creation, first, last, ingestion, stored = row
    return LogStreamInfo(
        log_group=group,
        name=name,
        creation_ms=creation,
        first_event_ms=first,
        last_event_ms=last,
        last_ingestion_ms=ingestion,
        stored_bytes=stored,
    )


def _filter(row: Any) -> SubscriptionFilter:
    group, name, pattern, destination, role, distribution, creation, cursor = row
    return SubscriptionFilter(
        log_group=group,
        name=name,
        filter_pattern=pattern,
        destination_arn=destination,
        role_arn=role,
        distribution=distribution,
        creation_ms=creation,
        cursor=cursor,
    )


class LogCatalogMixin:
    database: SqliteDatabase

    @property
    def _db(self) -> sqlite3.Connection:
        return self.database.connection

    # groups ------------------------------------------------------------------------------

    async def create_group(self, group: LogGroupInfo) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO log_groups (name, creation_ms, retention_days, "
                "log_group_class, tags) VALUES (?, ?, ?, ?, ?)",
                (
                    group.name,
                    group.creation_ms,
                    group.retention_days,
                    group.log_group_class,
                    json.dumps(group.tags),
                ),
            )
            return cursor.rowcount == 1

    async def delete_group(self, name: str) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute("DELETE FROM log_groups WHERE name = ?", (name,))
            for table, column in (
                ("log_streams", "log_group"),
                ("log_events", "log_group"),
                ("subscription_filters", "log_group"),
            ):
                db.execute(f"DELETE FROM {table} WHERE {column} = ?", (name,))
            return cursor.rowcount == 1

    async def groups(self, prefix: str | None = None) -> list[LogGroupInfo]:
        rows = self._db.execute(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g "
            "WHERE (:prefix IS NULL OR substr(g.name, 1, length(:prefix)) = :prefix) "
            "ORDER BY g.name",
            {"prefix": prefix or None},
        ).fetchall()
        return [_group(row) for row in rows]

    async def group(self, name: str) -> LogGroupInfo | None:
        row = self._db.execute(
            f"SELECT {_GROUP_COLUMNS} FROM log_groups g WHERE g.name = ?", (name,)
        ).fetchone()
        return None if row is None else _group(row)

    async def set_retention(self, name: str, days: int | None) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "UPDATE log_groups SET retention_days = ? WHERE name = ?", (days, name)
            )
            return cursor.rowcount == 1

    async def set_tags(self, name: str, tags: dict[str, str]) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "UPDATE log_groups SET tags = ? WHERE name = ?", (json.dumps(tags), name)
            )
            return cursor.rowcount == 1

    # streams -----------------------------------------------------------------------------

    async def create_stream(self, log_group: str, name: str, creation_ms: int) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO log_streams (log_group, name, creation_ms) VALUES (?, ?, ?)",
                (log_group, name, creation_ms),
            )
            return cursor.rowcount == 1

    async def delete_stream(self, log_group: str, name: str) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM log_streams WHERE log_group = ? AND name = ?", (log_group, name)
            )
            db.execute(
                "DELETE FROM log_events WHERE log_group = ? AND log_stream = ?", (log_group, name)
            )
            return cursor.rowcount == 1

    async def streams(self, log_group: str, prefix: str | None = None) -> list[LogStreamInfo]:
        rows = self._db.execute(
            f"SELECT {_STREAM_COLUMNS} FROM log_streams WHERE log_group = :group "
            "AND (:prefix IS NULL OR substr(name, 1, length(:prefix)) = :prefix) ORDER BY name",
            {"group": log_group, "prefix": prefix or None},
        ).fetchall()
        return [_stream(row) for row in rows]

    # subscription filters ----------------------------------------------------------------

    async def put_filter(self, sub: SubscriptionFilter) -> None:
        with self.database.transaction() as db:
            db.execute(
                f"INSERT INTO subscription_filters ({_FILTER_COLUMNS}) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (log_group, name) DO UPDATE SET "
                "filter_pattern = excluded.filter_pattern, "
                "destination_arn = excluded.destination_arn, role_arn = excluded.role_arn, "
                "distribution = excluded.distribution",
                (
                    sub.log_group,
                    sub.name,
                    sub.filter_pattern,
                    sub.destination_arn,
                    sub.role_arn,
                    sub.distribution,
                    sub.creation_ms,
                    sub.cursor,
                ),
            )

    async def delete_filter(self, log_group: str, name: str) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM subscription_filters WHERE log_group = ? AND name = ?",
                (log_group, name),
            )
            return cursor.rowcount == 1

    async def filters(self, log_group: str | None = None) -> list[SubscriptionFilter]:
        rows = self._db.execute(
            f"SELECT {_FILTER_COLUMNS} FROM subscription_filters "
            "WHERE (:group IS NULL OR log_group = :group) ORDER BY log_group, name",
            {"group": log_group},
        ).fetchall()
        return [_filter(row) for row in rows]

    async def advance_filter(self, log_group: str, name: str, cursor: int) -> None:
        with self.database.transaction() as db:
            db.execute(
                "UPDATE subscription_filters SET cursor = max(cursor, ?) "
                "WHERE log_group = ? AND name = ?",
                (cursor, log_group, name),
            )
