"""The metric store's SQL (observe.metrics.store.MetricStore) over the one SQLite handle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from lambdalite.observe.metrics.bucket import Bucket
from lambdalite.observe.metrics.registry import BucketId, SeriesKey
from lambdalite.store.sqlite.database import SqliteDatabase

_UPSERT = (
    "INSERT OR REPLACE INTO metric_buckets"
    " (namespace, name, dimensions, resolution, start, unit, aggregate) VALUES (?,?,?,?,?,?,?)"
)
_LOAD = (
    "SELECT namespace, name, dimensions, resolution, start, unit, aggregate FROM metric_buckets"
    " WHERE (resolution = 60 AND start >= ?) OR (resolution = 1 AND start >= ?)"
)
_PRUNE = (
    "DELETE FROM metric_buckets"
    " WHERE (resolution = 60 AND start < ?) OR (resolution = 1 AND start < ?)"
)


class SqliteMetricStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    async def save_buckets(self, buckets: Sequence[tuple[BucketId, Bucket]]) -> None:
        rows = [
            (
                key.namespace,
                key.name,
                json.dumps(key.dimensions),
                resolution,
                start,
                unit,
                json.dumps(bucket.to_json()),
            )
            for (key, resolution, start, unit), bucket in buckets
        ]
        with self._database.transaction() as db:
            db.executemany(_UPSERT, rows)

    async def load_buckets(self, minute_cut: int, second_cut: int) -> list[tuple[BucketId, Bucket]]:
        out: list[tuple[BucketId, Bucket]] = []
        db = self._database.connection
        for ns, name, dims, resolution, start, unit, aggregate in db.execute(
            _LOAD, (minute_cut, second_cut)
        ):
            key = SeriesKey(ns, name, tuple((str(k), str(v)) for k, v in json.loads(dims)))
            out.append(
                ((key, int(resolution), int(start), unit), Bucket.from_json(json.loads(aggregate)))
            )
        return out

    async def prune_buckets(self, minute_cut: int, second_cut: int) -> None:
        with self._database.transaction() as db:
            db.execute(_PRUNE, (minute_cut, second_cut))

    async def save_alarm(self, name: str, doc: dict[str, Any]) -> None:
        with self._database.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO metric_alarms (name, doc) VALUES (?, ?)",
                (name, json.dumps(doc)),
            )

    async def delete_alarms(self, names: Sequence[str]) -> None:
        with self._database.transaction() as db:
            db.executemany("DELETE FROM metric_alarms WHERE name = ?", [(n,) for n in names])

    async def load_alarms(self) -> list[dict[str, Any]]:
        rows = self._database.connection.execute("SELECT doc FROM metric_alarms ORDER BY name")
        return [dict(json.loads(doc)) for (doc,) in rows]
