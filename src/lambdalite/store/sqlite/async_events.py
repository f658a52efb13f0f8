"""The asynchronous path's SQL (asyncq.store.AsyncEventStore) over the one SQLite handle.

Reads and claims run inline (microseconds); writes that callers wait for go through the
GroupCommitter so concurrent ones share a commit. A consumer owns an event through an
expiring lease, taken either by a claim or, when the consumer has room, by the accepting
INSERT itself (no claim round trip). This store is single-node (one server per data file),
so at start every lease left by an earlier, crashed process is released at once instead of
waiting for it to expire.

Per event the hot path writes two statements: the INSERT at accept and one UPDATE that
finishes the round (its journal lines ride along in that UPDATE); a round that owes a
destination adds one INSERT into the outbox (store/sqlite/outbox.py) to the same commit.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from collections.abc import Awaitable, Sequence
from typing import Any, cast

from lambdalite.asyncq.journey import journal_line, parse_journal
from lambdalite.asyncq.model import (
    OUTBOX_KIND,
    Complete,
    Effect,
    EventInvokeConfig,
    Journal,
    Outbox,
    QueuedEvent,
    Reschedule,
)
from lambdalite.asyncq.records import Response
from lambdalite.asyncq.store import EventJourney, EventSummary, PendingDelivery
from lambdalite.errors import StorageError
from lambdalite.store.sqlite import outbox
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.groupcommit import GroupCommitter, Statement

# queued | running | done, as `lambdalite events` shows it: a leased event is being run (a
# single-node store releases every lease at start, so none is left over from a crash).
_SHOWN_STATE = (
    "CASE WHEN state = 'queued' AND lease_owner IS NOT NULL THEN 'running' ELSE state END"
)
_SUMMARY_COLUMNS = (
    f"request_id, function_name, qualifier, source, enqueued_at, {_SHOWN_STATE}, attempts, "
    "condition, finished_at, due_at"
)

RECENT_SLICE = 20_000  # ids read per loop turn when listing one function's events
_RECENT_IN_SLICE = (
    f"SELECT {_SUMMARY_COLUMNS} FROM async_events "
    "WHERE id >= ? AND id < ? AND function_name = ? ORDER BY id DESC LIMIT ?"
)

_EVENT_COLUMNS = (
    "id, request_id, function_name, qualifier, payload, source, enqueued_at, attempts, "
    "throttle_retries, last_response, trace_header"
)
_ACCEPT = (
    "INSERT INTO async_events (request_id, function_name, qualifier, payload, source, "
    "enqueued_at, due_at, lease_owner, trace_header) VALUES (?,?,?,?,?,?,?,?,?)"
)
_HOLD_UNTIL = (
    "UPDATE async_events SET lease_until = ? "
    "WHERE id = ? AND state = 'queued' AND lease_owner IS NOT NULL"
)
_CLAIM = (
    "WITH up_for_grabs AS ("
    " SELECT id, due_at FROM async_events"
    "  WHERE state = 'queued' AND lease_owner IS NULL AND due_at <= ?"
    " UNION ALL SELECT id, due_at FROM async_events"
    "  WHERE state = 'queued' AND lease_until IS NOT NULL AND lease_until <= ?"
    " ORDER BY due_at LIMIT ?)"
    " UPDATE async_events SET lease_owner = ?, lease_until = ?"
    " WHERE id IN (SELECT id FROM up_for_grabs)"
    f" RETURNING {_EVENT_COLUMNS}"
)
_RESCHEDULE = (
    "due_at = ?, attempts = ?, throttle_retries = ?, last_response = ?, "
    "lease_owner = NULL, lease_until = NULL, "
)
_COMPLETE = (
    "state = 'done', condition = ?, attempts = ?, finished_at = ?, "
    "payload = X'', last_response = NULL, lease_owner = NULL, lease_until = NULL, "
)
_JOURNAL_BY_REQUEST = "UPDATE async_events SET journal = journal || ? WHERE request_id = ?"


def _event(row: tuple[Any, ...]) -> QueuedEvent:
    return QueuedEvent(
        id=row[0],
        request_id=row[1],
        function_name=row[2],
        qualifier=row[3],
        payload=bytes(row[4]),
        source=row[5],
        enqueued_at=row[6],
        attempts=row[7],
        throttle_retries=row[8],
        last_response=Response.from_json(row[9]),
        trace_header=row[10],
    )


_UNLEASED_DEPTHS = (
    "SELECT function_name, due_at > ?, COUNT(*) FROM async_events "
    "WHERE state = 'queued' AND lease_owner IS NULL GROUP BY 1, 2"
)
_LEASED_DEPTHS = (
    "SELECT function_name, COUNT(*) FROM async_events "
    "WHERE state = 'queued' AND lease_until IS NOT NULL GROUP BY 1"
)


class SqliteAsyncEventStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database
        self.committer = GroupCommitter(lambda: database.connection)

    @property
    def db(self) -> sqlite3.Connection:
        return self.database.connection

    def _run(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        """One statement in autocommit (its own transaction)."""
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as exc:
            raise StorageError(str(exc)) from exc

    # lifecycle --------------------------------------------------------------------------

    async def release_leases(self) -> None:
        with self.database.transaction() as db:
            db.execute(
                "UPDATE async_events SET lease_owner = NULL, lease_until = NULL "
                "WHERE state = 'queued' AND lease_owner IS NOT NULL"
            )

    async def flush(self) -> None:
        self.committer.flush()

    # events -----------------------------------------------------------------------------

    def accept(self, event: QueuedEvent, leased_to: str | None = None) -> Awaitable[int]:
        """A row born held (`leased_to`) has no expiry: it sits in neither partial index."""
        e = event
        params = (
            e.request_id,
            e.function_name,
            e.qualifier,
            e.payload,
            e.source,
            e.enqueued_at,
            e.enqueued_at,
            leased_to,
            e.trace_header,
        )
        return self.committer.submit(((_ACCEPT, params),))

    async def claim(
        self, owner: str, now: float, lease_until: float, limit: int
    ) -> list[QueuedEvent]:
        rows = self._run(_CLAIM, (now, now, limit, owner, lease_until)).fetchall()
        return [_event(r) for r in rows]

    async def next_wake(self) -> float | None:
        db = self.db
        due = db.execute(
            "SELECT MIN(due_at) FROM async_events WHERE state = 'queued' AND lease_owner IS NULL"
        ).fetchone()[0]
        lease = db.execute(
            "SELECT MIN(lease_until) FROM async_events "
            "WHERE state = 'queued' AND lease_until IS NOT NULL"
        ).fetchone()[0]
        times = [t for t in (due, lease) if t is not None]
        return min(times) if times else None

    def finish_round(
        self, event: QueuedEvent, effects: Sequence[Effect], now: float
    ) -> Awaitable[None]:
        """One UPDATE of the event row (its new state and journal lines), plus outbox rows."""
        statements: list[Statement] = []
        journal = ""
        assignments = ""
        params: list[Any] = []
        for effect in effects:
            if isinstance(effect, Journal):
                journal += journal_line(now, effect)
            elif isinstance(effect, Reschedule):
                assignments = _RESCHEDULE
                response = effect.response.to_json() if effect.response else None
                params = [effect.at, effect.attempts, effect.throttle_retries, response]
            elif isinstance(effect, Outbox):
                statements.append(_outbox(event.request_id, effect, now))
            elif isinstance(effect, Complete):
                assignments = _COMPLETE
                params = [effect.condition, effect.attempts, now]
        if assignments or journal:
            sql = f"UPDATE async_events SET {assignments}journal = journal || ? WHERE id = ?"
            statements.insert(0, (sql, (*params, journal, event.id)))
        return self._commit(statements)

    def hold_until(self, event_id: int, until: float) -> Awaitable[None]:
        return self._commit([(_HOLD_UNTIL, (until, event_id))])

    async def depths(self, now: float) -> dict[tuple[str, str], int]:
        # Each query reads one of the two partial indexes over undone rows.
        out: dict[tuple[str, str], int] = {}
        for name, later, n in self._run(_UNLEASED_DEPTHS, (now,)).fetchall():
            out[(name, "scheduled_retry" if later else "queued")] = n
        for name, n in self._run(_LEASED_DEPTHS).fetchall():
            out[(name, "in_flight")] = n
        return out

    async def prune(self, before: float) -> None:
        """No index on finished_at (it would cost every finishing round a page write): ids
        grow with enqueued_at and an event finishes after it is accepted, so every row to
        forget lies below the first id accepted at or after `before`. Only that prefix of
        the table is read."""
        self._run(
            "DELETE FROM async_events WHERE id < coalesce("
            " (SELECT id FROM async_events WHERE enqueued_at >= ? ORDER BY id LIMIT 1),"
            " (SELECT max(id) + 1 FROM async_events))"
            " AND state = 'done' AND finished_at < ?",
            (before, before),
        )

    # journeys (lambdalite events) -------------------------------------------------------

    async def recent(self, function_name: str, limit: int) -> list[EventSummary]:
        """No index by function serves this: each index costs every accepted event a page
        write per commit (~5 us of server CPU per event, measured), and this listing is a
        person's occasional look. The table is read backwards by id instead, RECENT_SLICE
        ids at a time with a loop turn between slices, so a function with few events among
        many does not hold the loop for the whole scan."""
        first, last = self.db.execute("SELECT min(id), max(id) FROM async_events").fetchone()
        floor = first or 0  # the lowest id there is (0 in an empty table)
        rows: list[tuple[Any, ...]] = []
        high = (last or 0) + 1  # ids below `high` are still to read
        while True:
            low = max(floor, high - RECENT_SLICE)
            params = (low, high, function_name, limit - len(rows))
            rows += self.db.execute(_RECENT_IN_SLICE, params).fetchall()
            high = low
            if high <= floor or len(rows) >= limit:
                break
            await asyncio.sleep(0)  # a turn of the loop between slices
        return [EventSummary(*r) for r in rows]

    async def journey(self, request_id: str) -> EventJourney | None:
        db = self.db
        row = db.execute(
            f"SELECT {_SUMMARY_COLUMNS}, journal FROM async_events WHERE request_id = ?",
            (request_id,),
        ).fetchone()
        if row is None:
            return None
        pending = [
            PendingDelivery(json.loads(meta)[0], target, attempts, due_at)
            for meta, target, attempts, due_at in outbox.pending_of(db, OUTBOX_KIND, request_id)
        ]
        return EventJourney(
            event=EventSummary(*row[:-1]), journal=parse_journal(row[-1]), pending=pending
        )

    # event invoke configs ---------------------------------------------------------------

    async def get_config(self, function_name: str, qualifier: str) -> EventInvokeConfig | None:
        row = self.db.execute(
            "SELECT config FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        ).fetchone()
        return None if row is None else EventInvokeConfig(**json.loads(row[0]))

    async def put_config(self, config: EventInvokeConfig) -> None:
        self._run(
            "INSERT OR REPLACE INTO event_invoke_configs (function_name, qualifier, config, "
            "last_modified) VALUES (?,?,?,?)",
            (
                config.function_name,
                config.qualifier,
                json.dumps(dataclasses.asdict(config)),
                config.last_modified,
            ),
        )

    async def delete_config(self, function_name: str, qualifier: str) -> bool:
        cursor = self._run(
            "DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        )
        return cursor.rowcount > 0

    async def list_configs(
        self, function_name: str, marker: str | None, limit: int
    ) -> tuple[list[EventInvokeConfig], str | None]:
        rows = self.db.execute(
            "SELECT qualifier, config FROM event_invoke_configs WHERE function_name = ? "
            "AND qualifier > ? ORDER BY qualifier LIMIT ?",
            (function_name, marker or "", limit + 1),
        ).fetchall()
        items = [EventInvokeConfig(**json.loads(r[1])) for r in rows[:limit]]
        return items, (rows[limit - 1][0] if len(rows) > limit else None)

    # ------------------------------------------------------------------------------------

    def _commit(self, statements: list[Statement]) -> Awaitable[None]:
        """Group-committed; the awaitable's value (a rowid) means nothing to these callers."""
        return cast("Awaitable[None]", self.committer.submit(statements))


def _outbox(request_id: str, o: Outbox, now: float) -> Statement:
    # [role, function ARN] or, for a traced event, [role, function ARN, trace header]
    meta = json.dumps(
        (o.role, o.function_arn, o.trace_header) if o.trace_header else (o.role, o.function_arn)
    )
    params = (OUTBOX_KIND, request_id, None, o.target_arn, o.body, o.attributes, meta, now, now)
    return (outbox.INSERT, params)


def append_journal(db: sqlite3.Connection, request_id: str, lines: str) -> None:
    """The outbox's note writer for OUTBOX_KIND rows: a delivery's journey lines, in the
    transaction that settles or retries it (store/sqlite/outbox.py)."""
    db.execute(_JOURNAL_BY_REQUEST, (lines, request_id))
