"""The gateway's tables in the main SQLite file: the SQLite implementation of
``gateway/store.py``'s GatewayStore. Each call is one short statement or transaction."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from lambdalite.store.sqlite.database import SqliteDatabase

Doc = dict[str, Any]
_URL_COLUMNS = "function_name, qualifier, url_id, config"


def _url(row: tuple[str, str, str, str]) -> Doc:
    doc: Doc = json.loads(row[3])
    doc.update(function_name=row[0], qualifier=row[1], url_id=row[2])
    return doc


class SqliteGatewayStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    async def put_api(self, api_id: str, definition: Doc) -> None:
        self._db.execute(
            "INSERT INTO gateway_apis (api_id, seq, definition) VALUES"
            " (?, (SELECT coalesce(max(seq), 0) + 1 FROM gateway_apis), ?)"
            " ON CONFLICT (api_id) DO UPDATE SET definition = excluded.definition",
            (api_id, json.dumps(definition)),
        )

    async def delete_api(self, api_id: str) -> bool:
        cursor = self._db.execute("DELETE FROM gateway_apis WHERE api_id = ?", (api_id,))
        return cursor.rowcount > 0

    async def list_apis(self) -> list[Doc]:
        rows = self._db.execute("SELECT definition FROM gateway_apis ORDER BY seq")
        return [json.loads(row[0]) for row in rows]

    async def create_url(
        self, function_name: str, qualifier: str, url_id: str, config: Doc
    ) -> bool:
        cursor = self._db.execute(
            "INSERT OR IGNORE INTO function_urls (function_name, qualifier, url_id, config)"
            " VALUES (?, ?, ?, ?)",
            (function_name, qualifier, url_id, json.dumps(config)),
        )
        return cursor.rowcount > 0

    async def update_url(self, function_name: str, qualifier: str, config: Doc) -> None:
        self._db.execute(
            "UPDATE function_urls SET config = ? WHERE function_name = ? AND qualifier = ?",
            (json.dumps(config), function_name, qualifier),
        )

    async def delete_url(self, function_name: str, qualifier: str) -> bool:
        cursor = self._db.execute(
            "DELETE FROM function_urls WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        )
        return cursor.rowcount > 0

    async def delete_urls(self, function_name: str) -> None:
        self._db.execute("DELETE FROM function_urls WHERE function_name = ?", (function_name,))

    async def get_url(self, function_name: str, qualifier: str) -> Doc | None:
        row = self._db.execute(
            f"SELECT {_URL_COLUMNS} FROM function_urls WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        ).fetchone()
        return None if row is None else _url(row)

    async def list_urls(self, function_name: str) -> list[Doc]:
        rows = self._db.execute(
            f"SELECT {_URL_COLUMNS} FROM function_urls WHERE function_name = ? ORDER BY qualifier",
            (function_name,),
        )
        return [_url(row) for row in rows]

    async def url_by_id(self, url_id: str) -> Doc | None:
        row = self._db.execute(
            f"SELECT {_URL_COLUMNS} FROM function_urls WHERE url_id = ?", (url_id,)
        ).fetchone()
        return None if row is None else _url(row)

    async def all_urls(self) -> list[Doc]:
        rows = self._db.execute(f"SELECT {_URL_COLUMNS} FROM function_urls")
        return [_url(row) for row in rows]
