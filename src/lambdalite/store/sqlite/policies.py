"""Function resource policies on SQLite (functions/policy_store.py).

The rows live and die with their function (foreign key), version or alias (triggers in
migration 4).
"""

from __future__ import annotations

import json

from lambdalite.functions.policy_store import Policy, PolicyChange
from lambdalite.store.sqlite.database import SqliteDatabase

_SELECT = (
    "SELECT statements, revision_id FROM function_policies "
    "WHERE function_name = ? AND qualifier = ?"
)


class SqlitePolicyStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def get_policy(self, function_name: str, qualifier: str) -> Policy | None:
        row = self.database.connection.execute(_SELECT, (function_name, qualifier)).fetchone()
        return None if row is None else Policy(tuple(json.loads(row[0])), row[1])

    async def change_policy(
        self, function_name: str, qualifier: str, change: PolicyChange
    ) -> Policy | None:
        key = (function_name, qualifier)
        with self.database.transaction() as db:
            row = db.execute(_SELECT, key).fetchone()
            current = None if row is None else Policy(tuple(json.loads(row[0])), row[1])
            changed = change(current)
            if changed is None:
                db.execute(
                    "DELETE FROM function_policies WHERE function_name = ? AND qualifier = ?", key
                )
            else:
                db.execute(
                    "INSERT INTO function_policies "
                    "(function_name, qualifier, statements, revision_id) VALUES (?,?,?,?) "
                    "ON CONFLICT (function_name, qualifier) DO UPDATE SET "
                    "statements = excluded.statements, revision_id = excluded.revision_id",
                    (*key, json.dumps(list(changed.statements)), changed.revision_id),
                )
        return changed
