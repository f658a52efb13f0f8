"""The control plane's FunctionStore on SQLite: functions, versions, aliases, concurrency.

Reads and the short control-plane writes run inline on the event loop: a point query costs
microseconds, far less than a hop to a thread.

Functions, versions and aliases are read on every invocation, so decoded records are kept
in a small cache that is dropped whenever the database changes: on our own writes, and on
commits by any other connection (SQLite's `PRAGMA data_version` tells). The file stays the
only source of truth.
"""

from __future__ import annotations

import functools
import json
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from lambdalite.errors import StorageError
from lambdalite.functions.store import Page, PublishFn
from lambdalite.model.function import LATEST, Alias, FunctionConfig, FunctionRecord
from lambdalite.store.sqlite.database import SqliteDatabase

_MISSING = object()
VERSION_CHECK_S = 0.05
_Method = TypeVar("_Method", bound=Callable[..., Awaitable[Any]])


def _invalidates(method: _Method) -> _Method:
    """Writes of functions, versions and aliases drop the read cache when they finish."""

    @functools.wraps(method)
    async def wrapper(self: SqliteFunctionStore, *args: Any, **kwargs: Any) -> Any:
        try:
            return await method(self, *args, **kwargs)
        finally:
            self._changed()

    return cast(_Method, wrapper)


class SqliteFunctionStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self._cache: dict[tuple[str, str, str], Any] = {}
        self._cache_version = -1
        self._version_checked_at = 0.0

    def _cached(self, key: tuple[str, str, str]) -> Any:
        # Asking SQLite costs ~9 us, a large share of a warm invoke, so other connections'
        # commits are looked for at most every VERSION_CHECK_S (our own drop the cache at once).
        now = time.monotonic()
        if now - self._version_checked_at >= VERSION_CHECK_S:
            self._version_checked_at = now
            version = self.db.execute("PRAGMA data_version").fetchone()[0]
            if version != self._cache_version:
                self._cache.clear()
                self._cache_version = version
        return self._cache.get(key, _MISSING)

    def _changed(self) -> None:
        """Our own commits do not move data_version; forget everything explicitly."""
        self._cache.clear()

    @property
    def db(self) -> sqlite3.Connection:
        return self.database.connection

    def _write(self, sql: str, params: tuple[object, ...] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc

    # functions and versions -------------------------------------------------------------

    @_invalidates
    async def create_function(self, record: FunctionRecord, latest: FunctionConfig) -> bool:
        db = self.db
        try:
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "INSERT INTO functions (name, reserved_concurrency, last_version) VALUES (?,?,?)",
                (record.name, record.reserved_concurrency, record.last_version),
            )
            db.execute(
                "INSERT INTO versions (function_name, version, number, config) VALUES (?,?,0,?)",
                (latest.name, LATEST, json.dumps(latest.to_record())),
            )
            db.execute("COMMIT")
        except sqlite3.IntegrityError:
            db.execute("ROLLBACK")
            return False
        except sqlite3.Error as exc:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise StorageError(str(exc)) from exc
        return True

    async def get_function(self, name: str) -> FunctionRecord | None:
        key = ("function", name, "")
        hit = self._cached(key)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
        row = self.db.execute(
            "SELECT name, reserved_concurrency, last_version FROM functions WHERE name = ?",
            (name,),
        ).fetchone()
        record = None
        if row is not None:
            record = FunctionRecord(name=row[0], reserved_concurrency=row[1], last_version=row[2])
        self._cache[key] = record
        return record

    async def get_version(self, name: str, version: str) -> FunctionConfig | None:
        key = ("version", name, version)
        hit = self._cached(key)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
        row = self.db.execute(
            "SELECT config FROM versions WHERE function_name = ? AND version = ?",
            (name, version),
        ).fetchone()
        config = None if row is None else FunctionConfig.from_record(json.loads(row[0]))
        self._cache[key] = config
        return config

    @_invalidates
    async def replace_latest(self, config: FunctionConfig, expected_revision: str) -> bool:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(
                "SELECT config FROM versions WHERE function_name = ? AND version = ?",
                (config.name, LATEST),
            ).fetchone()
            if row is None or json.loads(row[0])["revision_id"] != expected_revision:
                db.execute("ROLLBACK")
                return False
            db.execute(
                "UPDATE versions SET config = ? WHERE function_name = ? AND version = ?",
                (json.dumps(config.to_record()), config.name, LATEST),
            )
            db.execute("COMMIT")
            return True
        except sqlite3.Error as exc:
            db.execute("ROLLBACK")
            raise StorageError(str(exc)) from exc

    @_invalidates
    async def publish_version(self, name: str, make: PublishFn) -> FunctionConfig | None:
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            fn = db.execute("SELECT last_version FROM functions WHERE name = ?", (name,)).fetchone()
            latest = await self.get_version(name, LATEST)
            if fn is None or latest is None:
                db.execute("ROLLBACK")
                return None
            prev_row = db.execute(
                "SELECT config FROM versions WHERE function_name = ? AND number > 0 "
                "ORDER BY number DESC LIMIT 1",
                (name,),
            ).fetchone()
            previous = (
                None if prev_row is None else FunctionConfig.from_record(json.loads(prev_row[0]))
            )
            number = fn[0] + 1
            made = make(latest, previous, number)
            if made is None:
                db.execute("ROLLBACK")
                return previous
            db.execute("UPDATE functions SET last_version = ? WHERE name = ?", (number, name))
            db.execute(
                "INSERT INTO versions (function_name, version, number, config) VALUES (?,?,?,?)",
                (name, str(number), number, json.dumps(made.to_record())),
            )
            db.execute("COMMIT")
            return made
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise

    @_invalidates
    async def replace_version(self, config: FunctionConfig) -> bool:
        """A published version's state changes (SnapStart); False when it is gone."""
        cursor = self._write(
            "UPDATE versions SET config = ? WHERE function_name = ? AND version = ?",
            (json.dumps(config.to_record()), config.name, config.version),
        )
        return cursor.rowcount > 0

    @_invalidates
    async def delete_function(self, name: str) -> bool:
        return self._write("DELETE FROM functions WHERE name = ?", (name,)).rowcount > 0

    @_invalidates
    async def delete_version(self, name: str, version: str) -> bool:
        cursor = self._write(
            "DELETE FROM versions WHERE function_name = ? AND version = ?", (name, version)
        )
        return cursor.rowcount > 0

    async def list_latest(self, marker: str | None, limit: int) -> Page[FunctionConfig]:
        rows = self.db.execute(
            "SELECT function_name, config FROM versions WHERE version = ? AND function_name > ? "
            "ORDER BY function_name LIMIT ?",
            (LATEST, marker or "", limit + 1),
        ).fetchall()
        items = [FunctionConfig.from_record(json.loads(r[1])) for r in rows[:limit]]
        return Page(items, rows[limit - 1][0] if len(rows) > limit else None)

    async def list_versions(
        self, name: str, marker: str | None, limit: int
    ) -> Page[FunctionConfig]:
        rows = self.db.execute(
            "SELECT number, config FROM versions WHERE function_name = ? AND number >= ? "
            "ORDER BY number LIMIT ?",
            (name, int(marker) if marker else 0, limit + 1),
        ).fetchall()
        items = [FunctionConfig.from_record(json.loads(r[1])) for r in rows[:limit]]
        return Page(items, str(rows[limit][0]) if len(rows) > limit else None)

    @_invalidates
    async def set_reserved_concurrency(self, name: str, value: int | None) -> bool:
        cursor = self._write(
            "UPDATE functions SET reserved_concurrency = ? WHERE name = ?", (value, name)
        )
        return cursor.rowcount > 0

    async def total_reserved_concurrency(self, excluding: str | None = None) -> int:
        row = self.db.execute(
            "SELECT COALESCE(SUM(reserved_concurrency), 0) FROM functions WHERE name != ?",
            (excluding or "",),
        ).fetchone()
        return int(row[0])

    # aliases -------------------------------------------------------------------------------

    @_invalidates
    async def create_alias(self, alias: Alias) -> bool:
        try:
            self.db.execute(
                "INSERT INTO aliases (function_name, name, function_version, record) "
                "VALUES (?,?,?,?)",
                (
                    alias.function_name,
                    alias.name,
                    alias.function_version,
                    json.dumps(alias.to_record()),
                ),
            )
        except sqlite3.IntegrityError:
            return False
        return True

    async def get_alias(self, function_name: str, name: str) -> Alias | None:
        key = ("alias", function_name, name)
        hit = self._cached(key)
        if hit is not _MISSING:
            return hit  # type: ignore[no-any-return]
        row = self.db.execute(
            "SELECT record FROM aliases WHERE function_name = ? AND name = ?",
            (function_name, name),
        ).fetchone()
        alias = None if row is None else Alias.from_record(json.loads(row[0]))
        self._cache[key] = alias
        return alias

    @_invalidates
    async def replace_alias(self, alias: Alias) -> bool:
        cursor = self._write(
            "UPDATE aliases SET function_version = ?, record = ? "
            "WHERE function_name = ? AND name = ?",
            (
                alias.function_version,
                json.dumps(alias.to_record()),
                alias.function_name,
                alias.name,
            ),
        )
        return cursor.rowcount > 0

    @_invalidates
    async def delete_alias(self, function_name: str, name: str) -> bool:
        cursor = self._write(
            "DELETE FROM aliases WHERE function_name = ? AND name = ?", (function_name, name)
        )
        return cursor.rowcount > 0

    async def list_aliases(
        self, function_name: str, version: str | None, marker: str | None, limit: int
    ) -> Page[Alias]:
        rows = self.db.execute(
            "SELECT name, record FROM aliases WHERE function_name = ? AND name > ? "
            "AND (? IS NULL OR function_version = ?) ORDER BY name LIMIT ?",
            (function_name, marker or "", version, version, limit + 1),
        ).fetchall()
        items = [Alias.from_record(json.loads(r[1])) for r in rows[:limit]]
        return Page(items, rows[limit - 1][0] if len(rows) > limit else None)

    # logs (a file of their own: see logs.py) ----------------------------------------------
