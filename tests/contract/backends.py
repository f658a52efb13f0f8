"""The backends every store contract runs against (PostgreSQL joins SQLite here later)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from lambdalite.store.sqlite.backend import SqliteBackend

BACKENDS = ["sqlite"]


@asynccontextmanager
async def opened(kind: str, directory: Path) -> AsyncIterator[SqliteBackend]:
    """The backend of that kind over `directory`, open; opening it again over the same
    directory is a restart (what was committed is there, nothing else)."""
    if kind != "sqlite":
        raise ValueError(f"unknown backend {kind!r}")
    backend = SqliteBackend(directory / "lambdalite.sqlite3")
    await backend.open()
    try:
        yield backend
    finally:
        await backend.close()
