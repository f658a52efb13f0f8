"""EventBridge's SQL over the platform's one SQLite connection.

Every statement is short and runs inline on the event loop; multi-statement changes are one
``BEGIN IMMEDIATE`` transaction that never spans an ``await``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from lambdalite.services.events.model import DEFAULT_BUS, Bus, Delivery, Rule
from lambdalite.store.sqlite.store import SqliteStore
from lambdalite.store.sqlite.tables import transaction

_RULE_COLUMNS = (
    "bus, name, event_pattern, schedule, state, description, role_arn, anchor, last_fired"
)
_DELIVERY_COLUMNS = (
    "id, rule_arn, target, event, payload, accepted_at, attempts, due_at, last_error"
)
# A new delivery, before it has an id: (rule_arn, target, event, payload, accepted_at, due_at)
NewDelivery = tuple[str, dict[str, Any], str, str, float, float]


class EventsStore:
    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    @property
    def db(self) -> sqlite3.Connection:
        return self._store.db

    def open(self, now: float) -> None:
        self.db.execute(
            "INSERT OR IGNORE INTO event_buses (name, description, created_at, modified_at) "
            "VALUES (?, NULL, ?, ?)",
            (DEFAULT_BUS, now, now),
        )

    def _transaction(self) -> AbstractContextManager[sqlite3.Connection]:
        return transaction(self.db)

    # buses -----------------------------------------------------------------------------

    def create_bus(self, name: str, description: str | None, now: float) -> bool:
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO event_buses (name, description, created_at, modified_at) "
            "VALUES (?, ?, ?, ?)",
            (name, description, now, now),
        )
        return cursor.rowcount == 1

    def get_bus(self, name: str) -> Bus | None:
        row = self.db.execute(
            "SELECT name, description, created_at, modified_at FROM event_buses WHERE name = ?",
            (name,),
        ).fetchone()
        return Bus(*row) if row else None

    def list_buses(self, prefix: str, after: str, limit: int) -> list[Bus]:
        rows = self.db.execute(
            "SELECT name, description, created_at, modified_at FROM event_buses "
            "WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
            (after, len(prefix), prefix, limit),
        )
        return [Bus(*row) for row in rows]

    def delete_bus(self, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM event_targets WHERE bus = ?", (name,))
            db.execute("DELETE FROM event_rules WHERE bus = ?", (name,))
            db.execute("DELETE FROM event_buses WHERE name = ?", (name,))

    # rules -----------------------------------------------------------------------------

    def put_rule(self, rule: Rule) -> None:
        self.db.execute(
            f"INSERT OR REPLACE INTO event_rules ({_RULE_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                rule.bus,
                rule.name,
                rule.event_pattern,
                rule.schedule,
                rule.state,
                rule.description,
                rule.role_arn,
                rule.anchor,
                rule.last_fired,
            ),
        )

    def get_rule(self, bus: str, name: str) -> Rule | None:
        row = self.db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules WHERE bus = ? AND name = ?", (bus, name)
        ).fetchone()
        return Rule(*row) if row else None

    def list_rules(self, bus: str, prefix: str, after: str, limit: int) -> list[Rule]:
        rows = self.db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules WHERE bus = ? AND name > ? "
            "AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
            (bus, after, len(prefix), prefix, limit),
        )
        return [Rule(*row) for row in rows]

    def rules_of_bus(self, bus: str) -> list[Rule]:
        return self.list_rules(bus, "", "", -1)

    def scheduled_rules(self) -> list[Rule]:
        rows = self.db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules "
            "WHERE schedule IS NOT NULL AND state != 'DISABLED'"
        )
        return [Rule(*row) for row in rows]

    def set_state(self, bus: str, name: str, state: str, now: float) -> None:
        # Re-enabling never backfills the slots missed while disabled.
        self.db.execute(
            "UPDATE event_rules SET state = ?, last_fired = ? WHERE bus = ? AND name = ?",
            (state, now, bus, name),
        )

    def delete_rule(self, bus: str, name: str) -> None:
        with self._transaction() as db:
            db.execute("DELETE FROM event_targets WHERE bus = ? AND rule = ?", (bus, name))
            db.execute("DELETE FROM event_rules WHERE bus = ? AND name = ?", (bus, name))

    # targets ---------------------------------------------------------------------------

    def targets(self, bus: str, rule: str) -> list[dict[str, Any]]:
        rows = self.db.execute(
            "SELECT target FROM event_targets WHERE bus = ? AND rule = ? ORDER BY seq",
            (bus, rule),
        )
        return [json.loads(row[0]) for row in rows]

    def put_targets(self, bus: str, rule: str, targets: Sequence[dict[str, Any]]) -> None:
        with self._transaction() as db:
            (seq,) = db.execute("SELECT coalesce(max(seq), 0) FROM event_targets").fetchone()
            for offset, target in enumerate(targets, start=1):
                db.execute(
                    "INSERT INTO event_targets (bus, rule, id, seq, target) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (bus, rule, id) DO UPDATE SET target = excluded.target",
                    (bus, rule, target["Id"], seq + offset, json.dumps(target)),
                )

    def remove_targets(self, bus: str, rule: str, ids: Iterable[str]) -> None:
        with self._transaction() as db:
            db.executemany(
                "DELETE FROM event_targets WHERE bus = ? AND rule = ? AND id = ?",
                [(bus, rule, target_id) for target_id in ids],
            )

    # deliveries ------------------------------------------------------------------------

    def enqueue(
        self, deliveries: Sequence[NewDelivery], fired: tuple[str, str, float] | None = None
    ) -> None:
        """Commit deliveries (and, for a schedule, the slot fired) in one transaction."""
        with self._transaction() as db:
            db.executemany(
                "INSERT INTO event_deliveries "
                "(rule_arn, target, event, payload, accepted_at, due_at) VALUES (?,?,?,?,?,?)",
                [(r, json.dumps(t), e, p, a, d) for r, t, e, p, a, d in deliveries],
            )
            if fired is not None:
                db.execute(
                    "UPDATE event_rules SET last_fired = ? WHERE bus = ? AND name = ?",
                    (fired[2], fired[0], fired[1]),
                )

    def due(self, now: float, limit: int, busy: Iterable[int]) -> list[Delivery]:
        busy_ids = list(busy)
        marks = ",".join("?" * len(busy_ids))
        rows = self.db.execute(
            f"SELECT {_DELIVERY_COLUMNS} FROM event_deliveries WHERE due_at <= ? "
            f"AND id NOT IN ({marks}) ORDER BY due_at, id LIMIT ?",
            (now, *busy_ids, limit),
        )
        return [_delivery(row) for row in rows]

    def next_due(self, busy: Iterable[int]) -> float | None:
        busy_ids = list(busy)
        marks = ",".join("?" * len(busy_ids))
        row = self.db.execute(
            f"SELECT min(due_at) FROM event_deliveries WHERE id NOT IN ({marks})", busy_ids
        ).fetchone()
        return float(row[0]) if row and row[0] is not None else None

    def finish(self, delivery_id: int) -> None:
        self.db.execute("DELETE FROM event_deliveries WHERE id = ?", (delivery_id,))

    def reschedule(
        self, delivery_id: int, attempts: int, due_at: float, error: dict[str, str]
    ) -> None:
        self.db.execute(
            "UPDATE event_deliveries SET attempts = ?, due_at = ?, last_error = ? WHERE id = ?",
            (attempts, due_at, json.dumps(error), delivery_id),
        )

    def pending(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM event_deliveries").fetchone()[0])


def _delivery(row: tuple[Any, ...]) -> Delivery:
    did, rule_arn, target, event, payload, accepted_at, attempts, due_at, error = row
    return Delivery(
        did,
        rule_arn,
        json.loads(target),
        event,
        payload,
        accepted_at,
        attempts,
        due_at,
        json.loads(error) if error else None,
    )
