"""Provisioned concurrency configs on SQLite (functions/provisioned.py's store)."""

from __future__ import annotations

import sqlite3

from lambdalite.errors import StorageError
from lambdalite.functions.provisioned_model import ProvisionedConfig
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = "function_name, qualifier, requested, last_modified"


class SqliteProvisionedStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    def _run(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        try:
            return self.database.connection.execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc

    async def put(self, config: ProvisionedConfig) -> None:
        self._run(
            f"INSERT OR REPLACE INTO provisioned_concurrency ({_COLUMNS}) VALUES (?,?,?,?)",
            (config.function_name, config.qualifier, config.requested, config.last_modified),
        )

    async def get(self, function_name: str, qualifier: str) -> ProvisionedConfig | None:
        row = self._run(
            f"SELECT {_COLUMNS} FROM provisioned_concurrency "
            "WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        ).fetchone()
        return None if row is None else ProvisionedConfig(*row)

    async def delete(self, function_name: str, qualifier: str | None = None) -> int:
        sql = "DELETE FROM provisioned_concurrency WHERE function_name = ?"
        params: tuple[str, ...] = (function_name,)
        if qualifier is not None:
            sql += " AND qualifier = ?"
            params += (qualifier,)
        return self._run(sql, params).rowcount

    async def list(self, function_name: str | None = None) -> list[ProvisionedConfig]:
        where, params = ("WHERE function_name = ?", (function_name,)) if function_name else ("", ())
        rows = self._run(
            f"SELECT {_COLUMNS} FROM provisioned_concurrency {where} "
            "ORDER BY function_name, qualifier",
            params,
        ).fetchall()
        return [ProvisionedConfig(*row) for row in rows]
