"""The outbox's SQL (outbox.store.OutboxStore) over the one SQLite handle, and the helpers
the owner stores call to write rows inside their own transactions.

A claim is one UPDATE ... RETURNING that leases the rows and bumps their fencing token; a
batch's outcomes are one transaction, each statement fenced on (id, token), its rowcount
telling whether it applied. A settle or retry may carry a note for the row's owner (an
async event's journey line): the owner's store registers a writer for its kind, run in
the same transaction, only when the fenced statement applied.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lambdalite.outbox.model import DEAD_LETTER, Claim, DeadLetter, Entry, Outcome, Retry, Settle
from lambdalite.store.sqlite.database import SqliteDatabase

NoteWriter = Callable[[sqlite3.Connection, str, str], None]
"""(connection, the row's ref, the note): records a note on the row's owner."""

_COLUMNS = "kind, ref, grp, target, body, attributes, meta, created_at, due_at"
INSERT = f"INSERT INTO outbox ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)"
_CLAIMED = "id, kind, ref, target, body, attributes, meta, created_at, attempts, last_error, token"
# Of a group only its oldest row is up for grabs (the partial index outbox_group serves it).
_HEAD = "(o.grp IS NULL OR NOT EXISTS (SELECT 1 FROM outbox e WHERE e.grp = o.grp AND e.id < o.id))"
_CLAIM = (
    "UPDATE outbox SET lease_owner = ?, lease_until = ?, token = token + 1 WHERE id IN ("
    " SELECT id FROM outbox o WHERE o.due_at <= ?"
    " AND (o.lease_until IS NULL OR o.lease_until <= ?)"
    f" AND {_HEAD} ORDER BY o.due_at, o.id LIMIT ?)"
    f" RETURNING {_CLAIMED}"
)
_NEXT_DUE = (
    "SELECT min(CASE WHEN o.lease_until > o.due_at THEN o.lease_until ELSE o.due_at END)"
    f" FROM outbox o WHERE {_HEAD}"
)
_SETTLE = "DELETE FROM outbox WHERE id = ? AND token = ?"
_RETRY = (
    "UPDATE outbox SET due_at = ?, attempts = attempts + 1, last_error = ?,"
    " lease_owner = NULL, lease_until = NULL WHERE id = ? AND token = ?"
)
_DEAD_LETTER = (
    f"UPDATE outbox SET kind = '{DEAD_LETTER}', ref = ?, grp = NULL, target = ?, body = ?,"
    " attributes = ?, meta = NULL, created_at = ?, due_at = ?, attempts = 0, last_error = NULL,"
    " lease_owner = NULL, lease_until = NULL WHERE id = ? AND token = ?"
)


def entry_params(e: Entry) -> tuple[Any, ...]:
    return (e.kind, e.ref, e.group, e.target, e.body, e.attributes, e.meta, e.created_at, e.due_at)


def insert(db: sqlite3.Connection, entries: Sequence[Entry]) -> None:
    """Write rows inside the caller's open transaction (an owner store's)."""
    db.executemany(INSERT, [entry_params(e) for e in entries])


def delete_refs(db: sqlite3.Connection, kind: str, refs_sql: str, params: Sequence[Any]) -> None:
    """Drop the pending rows of `kind` whose ref is among `refs_sql` (a SELECT of refs)."""
    db.execute(f"DELETE FROM outbox WHERE kind = ? AND ref IN ({refs_sql})", (kind, *params))


def pending_of(db: sqlite3.Connection, kind: str, ref: str) -> list[tuple[Any, ...]]:
    """(meta, target, attempts, due_at) of the pending rows of one ref, oldest first."""
    return db.execute(
        "SELECT meta, target, attempts, due_at FROM outbox WHERE kind = ? AND ref = ? ORDER BY id",
        (kind, ref),
    ).fetchall()


class SqliteOutboxStore:
    def __init__(
        self, database: SqliteDatabase, notes: Mapping[str, NoteWriter] | None = None
    ) -> None:
        self._database = database
        self._notes = dict(notes or {})

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    async def release_leases(self) -> None:
        self._db.execute(
            "UPDATE outbox SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL"
        )

    async def add(self, entries: Sequence[Entry]) -> None:
        with self._database.transaction() as db:
            insert(db, entries)

    async def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[Claim]:
        with self._database.transaction() as db:
            rows = db.execute(_CLAIM, (owner, lease_until, now, now, limit)).fetchall()
        return [Claim(*row) for row in rows]

    async def next_due(self) -> float | None:
        row = self._db.execute(_NEXT_DUE).fetchone()
        return None if row[0] is None else float(row[0])

    async def apply(self, outcomes: Sequence[tuple[Claim, Outcome]], now: float) -> list[bool]:
        if not outcomes:
            return []
        with self._database.transaction() as db:
            return [self._apply(db, claim, outcome, now) for claim, outcome in outcomes]

    def _apply(self, db: sqlite3.Connection, c: Claim, outcome: Outcome, now: float) -> bool:
        if isinstance(outcome, Settle):
            cursor = db.execute(_SETTLE, (c.id, c.token))
        elif isinstance(outcome, Retry):
            cursor = db.execute(_RETRY, (outcome.at, outcome.error, c.id, c.token))
        else:
            o = outcome
            params = (o.about, o.target, o.body, o.attributes, now, now, c.id, c.token)
            cursor = db.execute(_DEAD_LETTER, params)
        applied = cursor.rowcount == 1
        writer = self._notes.get(c.kind)
        if applied and outcome.note and writer is not None:
            writer(db, c.ref, outcome.note)
        return applied

    async def settle(self, claim: Claim, note: str | None = None) -> bool:
        return (await self.apply([(claim, Settle(note))], 0.0))[0]

    async def retry(
        self, claim: Claim, at: float, error: str | None = None, note: str | None = None
    ) -> bool:
        return (await self.apply([(claim, Retry(at, error, note))], at))[0]

    async def dead_letter(self, claim: Claim, letter: DeadLetter, now: float) -> bool:
        return (await self.apply([(claim, letter)], now))[0]

    async def pending(self, kind: str | None = None) -> int:
        if kind is None:
            row = self._db.execute("SELECT count(*) FROM outbox").fetchone()
        else:
            row = self._db.execute("SELECT count(*) FROM outbox WHERE kind = ?", (kind,)).fetchone()
        return int(row[0])
