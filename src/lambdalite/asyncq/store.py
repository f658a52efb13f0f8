"""SQL of the asynchronous path, over the platform's one SQLite connection.

Reads and claims run inline (microseconds); writes that callers wait for go through the
GroupCommitter so concurrent ones share a commit. A consumer owns an event through an
expiring lease, taken either by a claim or, when the consumer has room, by the accepting
INSERT itself (no claim round trip). This store is single-node (one server per data file),
so at start every lease left by an earlier, crashed process is released at once instead of
waiting for it to expire.

Per event the hot path writes two statements: the INSERT at accept and one UPDATE that
finishes the round (its journal lines ride along in that UPDATE).
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from json.encoder import encode_basestring as _json_str
from typing import Any

from lambdalite.asyncq.groupcommit import Statement
from lambdalite.asyncq.model import (
    Complete,
    Effect,
    EventInvokeConfig,
    Journal,
    Outbox,
    QueuedEvent,
    Reschedule,
)
from lambdalite.asyncq.records import Response

# queued | running | done, as `lambdalite events` shows it: a leased event is being run (a
# single-node store releases every lease at start, so none is left over from a crash).
_SHOWN_STATE = (
    "CASE WHEN state = 'queued' AND lease_owner IS NOT NULL THEN 'running' ELSE state END"
)

RECENT_SLICE = 20_000  # ids read per loop turn when listing one function's events
_RECENT_IN_SLICE = (
    f"SELECT request_id, qualifier, source, enqueued_at, {_SHOWN_STATE}, attempts, "
    "condition, finished_at, due_at FROM async_events "
    "WHERE id >= ? AND id < ? AND function_name = ? ORDER BY id DESC LIMIT ?"
)

_EVENT_COLUMNS = (
    "id, request_id, function_name, qualifier, payload, source, enqueued_at, attempts, "
    "throttle_retries, last_response"
)


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    request_id: str
    role: str
    target_arn: str
    body: str
    attributes: str | None
    function_arn: str
    created_at: float
    attempts: int


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
    )


class AsyncStore:
    def __init__(self, db: Callable[[], sqlite3.Connection]) -> None:
        self._db = db

    @property
    def db(self) -> sqlite3.Connection:
        return self._db()

    def open(self) -> None:
        self.db.execute(
            "UPDATE async_events SET lease_owner = NULL, lease_until = NULL "
            "WHERE state = 'queued' AND lease_owner IS NOT NULL"
        )
        self.db.execute("UPDATE async_outbox SET lease_owner = NULL, lease_until = NULL")

    # events ---------------------------------------------------------------------------

    @staticmethod
    def enqueue(
        request_id: str,
        name: str,
        qualifier: str | None,
        payload: bytes,
        source: str,
        now: float,
        leased_to: str | None = None,
    ) -> Statement:
        """The accepting INSERT; with `leased_to` the row is born held by that consumer, with
        no expiry (see schema.sql): it is neither claimable nor indexed while it runs."""
        return (
            "INSERT INTO async_events (request_id, function_name, qualifier, payload, source, "
            "enqueued_at, due_at, lease_owner) VALUES (?,?,?,?,?,?,?,?)",
            (request_id, name, qualifier, payload, source, now, now, leased_to),
        )

    @staticmethod
    def give_expiry(event_id: int, until: float) -> Statement:
        """An event whose round failed unexpectedly keeps its lease, now with an expiry: it
        is claimed again when that runs out (or released at the next start)."""
        return (
            "UPDATE async_events SET lease_until = ? "
            "WHERE id = ? AND state = 'queued' AND lease_owner IS NOT NULL",
            (until, event_id),
        )

    def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[QueuedEvent]:
        """Lease up to `limit` events that are due and unleased, or whose lease ran out (a
        lease without expiry never runs out: its holder is this process)."""
        rows = self.db.execute(
            "WITH up_for_grabs AS ("
            " SELECT id, due_at FROM async_events"
            "  WHERE state = 'queued' AND lease_owner IS NULL AND due_at <= ?"
            " UNION ALL SELECT id, due_at FROM async_events"
            "  WHERE state = 'queued' AND lease_until IS NOT NULL AND lease_until <= ?"
            " ORDER BY due_at LIMIT ?)"
            " UPDATE async_events SET lease_owner = ?, lease_until = ?"
            " WHERE id IN (SELECT id FROM up_for_grabs)"
            f" RETURNING {_EVENT_COLUMNS}",
            (now, now, limit, owner, lease_until),
        ).fetchall()
        return [_event(r) for r in rows]

    def next_wake(self) -> float | None:
        """When the next queued event becomes due, or a lease runs out."""
        due = self.db.execute(
            "SELECT MIN(due_at) FROM async_events WHERE state = 'queued' AND lease_owner IS NULL"
        ).fetchone()[0]
        lease = self.db.execute(
            "SELECT MIN(lease_until) FROM async_events "
            "WHERE state = 'queued' AND lease_until IS NOT NULL"
        ).fetchone()[0]
        times = [t for t in (due, lease) if t is not None]
        return min(times) if times else None

    @staticmethod
    def effect_statements(event: QueuedEvent, effects: list[Effect], now: float) -> list[Statement]:
        """One UPDATE of the event row (its new state and journal lines), plus outbox rows."""
        out: list[Statement] = []
        journal = ""
        assignments = ""
        params: list[Any] = []
        for effect in effects:
            if isinstance(effect, Journal):
                journal += journal_line(now, effect)
            elif isinstance(effect, Reschedule):
                assignments = (
                    "due_at = ?, attempts = ?, throttle_retries = ?, last_response = ?, "
                    "lease_owner = NULL, lease_until = NULL, "
                )
                response = effect.response.to_json() if effect.response else None
                params = [effect.at, effect.attempts, effect.throttle_retries, response]
            elif isinstance(effect, Outbox):
                out.append(_outbox(event.request_id, effect, now))
            elif isinstance(effect, Complete):
                assignments = (
                    "state = 'done', condition = ?, attempts = ?, finished_at = ?, "
                    "payload = X'', last_response = NULL, lease_owner = NULL, lease_until = NULL, "
                )
                params = [effect.condition, effect.attempts, now]
        if assignments or journal:
            sql = f"UPDATE async_events SET {assignments}journal = journal || ? WHERE id = ?"
            out.insert(0, (sql, (*params, journal, event.id)))
        return out

    def prune(self, before: float) -> None:
        """Forget events that finished before `before`, with their journeys.

        No index on finished_at (it would cost every finishing round a page write): ids
        grow with enqueued_at and an event finishes after it is accepted, so every row to
        forget lies below the first id accepted at or after `before`. Only that prefix of
        the table is read."""
        self.db.execute(
            "DELETE FROM async_events WHERE id < coalesce("
            " (SELECT id FROM async_events WHERE enqueued_at >= ? ORDER BY id LIMIT 1),"
            " (SELECT max(id) + 1 FROM async_events))"
            " AND state = 'done' AND finished_at < ?",
            (before, before),
        )

    # outbox ---------------------------------------------------------------------------

    def claim_deliveries(
        self, owner: str, now: float, lease_until: float, limit: int
    ) -> list[Delivery]:
        rows = self.db.execute(
            "UPDATE async_outbox SET lease_owner = ?, lease_until = ? WHERE id IN ("
            " SELECT id FROM async_outbox WHERE due_at <= ?"
            " AND (lease_until IS NULL OR lease_until <= ?) ORDER BY due_at LIMIT ?)"
            " RETURNING id, request_id, role, target_arn, body, attributes, function_arn,"
            " created_at, attempts",
            (owner, lease_until, now, now, limit),
        ).fetchall()
        return [Delivery(*r) for r in rows]

    def next_delivery(self) -> float | None:
        row = self.db.execute(
            "SELECT MIN(CASE WHEN lease_until IS NULL OR lease_until < due_at THEN due_at "
            "ELSE lease_until END) FROM async_outbox"
        ).fetchone()
        return None if row[0] is None else float(row[0])

    @staticmethod
    def delivered(d: Delivery, now: float, journal: Journal) -> list[Statement]:
        return [
            ("DELETE FROM async_outbox WHERE id = ?", (d.id,)),
            _journal(d.request_id, now, journal),
        ]

    @staticmethod
    def delivery_retry(d: Delivery, at: float, now: float, journal: Journal) -> list[Statement]:
        return [
            (
                "UPDATE async_outbox SET due_at = ?, attempts = attempts + 1, lease_owner = NULL,"
                " lease_until = NULL WHERE id = ?",
                (at, d.id),
            ),
            _journal(d.request_id, now, journal),
        ]

    def pending_deliveries(self) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM async_outbox").fetchone()[0])

    # journeys (lambdalite events) ----------------------------------------------------

    async def recent(self, function_name: str, limit: int) -> list[dict[str, Any]]:
        """The function's newest events first.

        No index by function serves this: each index costs every accepted event a page
        write per commit (~5 us of server CPU per event, measured), and this listing is a
        person's occasional look. The table is read backwards by id instead, RECENT_SLICE
        ids at a time with a loop turn between slices, so a function with few events among
        many does not hold the loop for the whole scan.
        """
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
        keys: tuple[str, ...] = ("requestId", "qualifier", "source", "acceptedAt", "state")
        keys += ("attempts", "condition", "finishedAt", "dueAt")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def journey(self, request_id: str) -> dict[str, Any] | None:
        row = self.db.execute(
            "SELECT request_id, function_name, qualifier, source, enqueued_at, "
            f"{_SHOWN_STATE}, attempts, condition, finished_at, due_at, journal "
            "FROM async_events WHERE request_id = ?",
            (request_id,),
        ).fetchone()
        if row is None:
            return None
        keys: tuple[str, ...] = ("requestId", "functionName", "qualifier", "source")
        keys += ("acceptedAt", "state", "attempts", "condition", "finishedAt", "dueAt")
        doc: dict[str, Any] = dict(zip(keys, row[:-1], strict=True))
        journal: str = row[-1]
        doc["journal"] = [
            {"at": at, "kind": kind, "outcome": outcome, "detail": detail}
            for at, kind, outcome, detail in map(json.loads, journal.splitlines())
        ]
        doc["pendingDeliveries"] = [
            {"role": role, "target": target, "attempts": attempts, "dueAt": due}
            for role, target, attempts, due in self.db.execute(
                "SELECT role, target_arn, attempts, due_at FROM async_outbox "
                "WHERE request_id = ? ORDER BY id",
                (request_id,),
            )
        ]
        return doc

    # event invoke configs ------------------------------------------------------------

    def get_config(self, function_name: str, qualifier: str) -> EventInvokeConfig | None:
        row = self.db.execute(
            "SELECT config FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        ).fetchone()
        return None if row is None else EventInvokeConfig(**json.loads(row[0]))

    def put_config(self, config: EventInvokeConfig) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO event_invoke_configs (function_name, qualifier, config, "
            "last_modified) VALUES (?,?,?,?)",
            (
                config.function_name,
                config.qualifier,
                json.dumps(dataclasses.asdict(config)),
                config.last_modified,
            ),
        )

    def delete_config(self, function_name: str, qualifier: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM event_invoke_configs WHERE function_name = ? AND qualifier = ?",
            (function_name, qualifier),
        )
        return cursor.rowcount > 0

    def list_configs(
        self, function_name: str, marker: str | None, limit: int
    ) -> tuple[list[EventInvokeConfig], str | None]:
        rows = self.db.execute(
            "SELECT qualifier, config FROM event_invoke_configs WHERE function_name = ? "
            "AND qualifier > ? ORDER BY qualifier LIMIT ?",
            (function_name, marker or "", limit + 1),
        ).fetchall()
        items = [EventInvokeConfig(**json.loads(r[1])) for r in rows[:limit]]
        return items, (rows[limit - 1][0] if len(rows) > limit else None)


_JOURNAL_TAILS: dict[Journal, str] = {}  # most rounds write the same few entries


def journal_line(now: float, entry: Journal) -> str:
    """`[at, kind, outcome, detail]` as JSON, built by hand: two per event on the hot path,
    with the encoded `kind, outcome, detail` of each distinct entry kept."""
    tail = _JOURNAL_TAILS.get(entry)
    if tail is None:
        tail = f",{_json_str(entry.kind)},{_json_str(entry.outcome)},{_json_str(entry.detail)}]\n"
        if len(_JOURNAL_TAILS) >= 1024:  # details of errors vary: stay bounded
            _JOURNAL_TAILS.clear()
        _JOURNAL_TAILS[entry] = tail
    return f"[{float(now)!r}{tail}"


def _journal(request_id: str, now: float, entry: Journal) -> Statement:
    """A journey line for an event known only by request id (the outbox's deliveries)."""
    return (
        "UPDATE async_events SET journal = journal || ? WHERE request_id = ?",
        (journal_line(now, entry), request_id),
    )


def _outbox(request_id: str, o: Outbox, now: float) -> Statement:
    return (
        "INSERT INTO async_outbox (request_id, role, target_arn, body, attributes, function_arn,"
        " created_at, due_at) VALUES (?,?,?,?,?,?,?,?)",
        (request_id, o.role, o.target_arn, o.body, o.attributes, o.function_arn, now, now),
    )
