"""EventBridge's tables in the main SQLite file: the SQLite implementation of
``EventsStore``.

Every statement is short and runs inline on the event loop; multi-statement changes are one
``BEGIN IMMEDIATE`` transaction that never spans an ``await``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from lambdalite.services.events.model import DEFAULT_BUS, Bus, Rule
from lambdalite.services.events.store import NewDelivery
from lambdalite.store.sqlite import outbox
from lambdalite.store.sqlite.database import SqliteDatabase

_RULE_COLUMNS = (
    "bus, name, event_pattern, schedule, state, description, role_arn, anchor, last_fired"
)
_INSERT_BUS = (
    "INSERT OR IGNORE INTO event_buses (name, description, created_at, modified_at) "
    "VALUES (?, ?, ?, ?)"
)


class SqliteEventsStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    # buses -----------------------------------------------------------------------------

    async def ensure_default_bus(self, now: float) -> None:
        self._db.execute(_INSERT_BUS, (DEFAULT_BUS, None, now, now))

    async def create_bus(self, name: str, description: str | None, now: float) -> bool:
        cursor = self._db.execute(_INSERT_BUS, (name, description, now, now))
        return cursor.rowcount == 1

    async def get_bus(self, name: str) -> Bus | None:
        row = self._db.execute(
            "SELECT name, description, created_at, modified_at FROM event_buses WHERE name = ?",
            (name,),
        ).fetchone()
        return Bus(*row) if row else None

    async def list_buses(self, prefix: str, after: str, limit: int) -> list[Bus]:
        rows = self._db.execute(
            "SELECT name, description, created_at, modified_at FROM event_buses "
            "WHERE name > ? AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
            (after, len(prefix), prefix, limit),
        )
        return [Bus(*row) for row in rows]

    async def delete_bus(self, name: str) -> None:
        with self._database.transaction() as db:
            db.execute("DELETE FROM event_targets WHERE bus = ?", (name,))
            db.execute("DELETE FROM event_rules WHERE bus = ?", (name,))
            db.execute("DELETE FROM event_buses WHERE name = ?", (name,))

    # rules -----------------------------------------------------------------------------

    async def put_rule(self, rule: Rule) -> None:
        self._db.execute(
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

    async def get_rule(self, bus: str, name: str) -> Rule | None:
        row = self._db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules WHERE bus = ? AND name = ?", (bus, name)
        ).fetchone()
        return Rule(*row) if row else None

    async def list_rules(self, bus: str, prefix: str, after: str, limit: int) -> list[Rule]:
        return self._rules(bus, prefix, after, limit)

    def _rules(self, bus: str, prefix: str, after: str, limit: int) -> list[Rule]:
        rows = self._db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules WHERE bus = ? AND name > ? "
            "AND substr(name, 1, ?) = ? ORDER BY name LIMIT ?",
            (bus, after, len(prefix), prefix, limit),
        )
        return [Rule(*row) for row in rows]

    async def rules_of_bus(self, bus: str) -> list[Rule]:
        return self._rules(bus, "", "", -1)

    async def scheduled_rules(self) -> list[Rule]:
        rows = self._db.execute(
            f"SELECT {_RULE_COLUMNS} FROM event_rules "
            "WHERE schedule IS NOT NULL AND state != 'DISABLED'"
        )
        return [Rule(*row) for row in rows]

    async def set_state(self, bus: str, name: str, state: str, now: float) -> None:
        self._db.execute(
            "UPDATE event_rules SET state = ?, last_fired = ? WHERE bus = ? AND name = ?",
            (state, now, bus, name),
        )

    async def delete_rule(self, bus: str, name: str) -> None:
        with self._database.transaction() as db:
            db.execute("DELETE FROM event_targets WHERE bus = ? AND rule = ?", (bus, name))
            db.execute("DELETE FROM event_rules WHERE bus = ? AND name = ?", (bus, name))

    # targets ---------------------------------------------------------------------------

    async def targets(self, bus: str, rule: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT target FROM event_targets WHERE bus = ? AND rule = ? ORDER BY seq",
            (bus, rule),
        )
        return [json.loads(row[0]) for row in rows]

    async def put_targets(self, bus: str, rule: str, targets: Sequence[dict[str, Any]]) -> None:
        with self._database.transaction() as db:
            (seq,) = db.execute("SELECT coalesce(max(seq), 0) FROM event_targets").fetchone()
            for offset, target in enumerate(targets, start=1):
                db.execute(
                    "INSERT INTO event_targets (bus, rule, id, seq, target) VALUES (?,?,?,?,?) "
                    "ON CONFLICT (bus, rule, id) DO UPDATE SET target = excluded.target",
                    (bus, rule, target["Id"], seq + offset, json.dumps(target)),
                )

    async def remove_targets(self, bus: str, rule: str, ids: Iterable[str]) -> None:
        with self._database.transaction() as db:
            db.executemany(
                "DELETE FROM event_targets WHERE bus = ? AND rule = ? AND id = ?",
                [(bus, rule, target_id) for target_id in ids],
            )

    # deliveries and schedules ----------------------------------------------------------

    async def enqueue(self, deliveries: Sequence[NewDelivery]) -> None:
        with self._database.transaction() as db:
            outbox.insert(db, [d.entry() for d in deliveries])

    async def fire_slot(
        self, bus: str, rule: str, slot: float, deliveries: Sequence[NewDelivery]
    ) -> None:
        with self._database.transaction() as db:
            outbox.insert(db, [d.entry() for d in deliveries])
            db.execute(
                "UPDATE event_rules SET last_fired = ? WHERE bus = ? AND name = ?",
                (slot, bus, rule),
            )
