"""StackStore (template/state.py) over the one SQLite handle."""

from __future__ import annotations

import json
import time
from typing import Any

from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.template.state import ResourceState, StackState

_RESOURCES = (
    "SELECT logical_id, type, physical_id, properties, attributes FROM stack_resources"
    " WHERE stack = ? ORDER BY position"
)
_INSERT_RESOURCE = (
    "INSERT INTO stack_resources (stack, position, logical_id, type, physical_id, properties,"
    " attributes) VALUES (?,?,?,?,?,?,?)"
)
_UPSERT_STACK = (
    "INSERT INTO stacks (name, template_hash, parameters, outputs, updated_at) VALUES (?,?,?,?,?)"
    " ON CONFLICT (name) DO UPDATE SET template_hash = excluded.template_hash,"
    " parameters = excluded.parameters, outputs = excluded.outputs,"
    " updated_at = excluded.updated_at"
)


class SqliteStackStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    async def get(self, name: str) -> StackState | None:
        db = self._database.connection
        row = db.execute(
            "SELECT template_hash, parameters, outputs FROM stacks WHERE name = ?", (name,)
        ).fetchone()
        if row is None:
            return None
        resources = {
            r[0]: ResourceState(r[0], r[1], r[2], json.loads(r[3]), json.loads(r[4]))
            for r in db.execute(_RESOURCES, (name,))
        }
        exports = {
            k: json.loads(v)
            for k, v in db.execute("SELECT name, value FROM stack_exports WHERE stack = ?", (name,))
        }
        return StackState(name, row[0], json.loads(row[1]), resources, json.loads(row[2]), exports)

    async def put(self, state: StackState) -> None:
        with self._database.transaction() as db:
            db.execute(
                _UPSERT_STACK,
                (
                    state.name,
                    state.template_hash,
                    _dump(state.parameters),
                    _dump(state.outputs),
                    time.time(),
                ),
            )
            db.execute("DELETE FROM stack_resources WHERE stack = ?", (state.name,))
            db.executemany(
                _INSERT_RESOURCE,
                [
                    (state.name, i, r.logical_id, r.type, r.physical_id,
                     _dump(r.properties), _dump(r.attributes))
                    for i, r in enumerate(state.resources.values())
                ],
            )  # fmt: skip
            db.execute("DELETE FROM stack_exports WHERE stack = ?", (state.name,))
            db.executemany(
                "INSERT INTO stack_exports (name, stack, value) VALUES (?,?,?)",
                [(k, state.name, _dump(v)) for k, v in state.exports.items()],
            )

    async def delete(self, name: str) -> None:
        with self._database.transaction() as db:
            db.execute("DELETE FROM stacks WHERE name = ?", (name,))

    async def names(self) -> list[str]:
        rows = self._database.connection.execute("SELECT name FROM stacks ORDER BY name")
        return [row[0] for row in rows]

    async def exports(self) -> dict[str, tuple[str, Any]]:
        rows = self._database.connection.execute("SELECT name, stack, value FROM stack_exports")
        return {name: (stack, json.loads(value)) for name, stack, value in rows}


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)
