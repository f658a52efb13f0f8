"""LayerStore on SQLite: one row per layer (its last version number), one per version."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

from lambdalite.model.layer import LayerVersion
from lambdalite.store.sqlite.database import SqliteDatabase


class SqliteLayerStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    @property
    def db(self) -> sqlite3.Connection:
        return self.database.connection

    async def publish_layer_version(
        self, name: str, make: Callable[[int], LayerVersion]
    ) -> LayerVersion:
        with self.database.transaction() as db:
            row = db.execute("SELECT last_version FROM layers WHERE name = ?", (name,)).fetchone()
            number = 1 if row is None else int(row[0]) + 1
            made = make(number)
            db.execute(
                "INSERT INTO layers (name, last_version) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET last_version = excluded.last_version",
                (name, number),
            )
            db.execute(
                "INSERT INTO layer_versions (name, version, record) VALUES (?, ?, ?)",
                (name, number, json.dumps(made.to_record())),
            )
        return made

    async def get_layer_version(self, name: str, version: int) -> LayerVersion | None:
        row = self.db.execute(
            "SELECT record FROM layer_versions WHERE name = ? AND version = ?", (name, version)
        ).fetchone()
        return None if row is None else LayerVersion.from_record(json.loads(row[0]))

    async def list_layer_versions(self, name: str) -> list[LayerVersion]:
        rows = self.db.execute(
            "SELECT record FROM layer_versions WHERE name = ? ORDER BY version DESC", (name,)
        ).fetchall()
        return [LayerVersion.from_record(json.loads(r[0])) for r in rows]

    async def list_layer_names(self) -> list[str]:
        rows = self.db.execute("SELECT DISTINCT name FROM layer_versions ORDER BY name").fetchall()
        return [str(r[0]) for r in rows]

    async def delete_layer_version(self, name: str, version: int) -> bool:
        with self.database.transaction() as db:
            cursor = db.execute(
                "DELETE FROM layer_versions WHERE name = ? AND version = ?", (name, version)
            )
        return cursor.rowcount > 0
