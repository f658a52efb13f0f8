"""SNS's tables in the main SQLite file: the SQLite implementation of ``SnsStore``.

Every call is a short inline statement or one ``BEGIN IMMEDIATE`` transaction, never held
across an ``await``. A publication's deliveries are outbox rows (store/sqlite/outbox.py),
written in the publication's transaction."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace

from lambdalite.services.sns.model import OUTBOX_KIND, Delivery, Publication, Subscription, Topic
from lambdalite.services.sns.store import Fanout
from lambdalite.store.sqlite import outbox
from lambdalite.store.sqlite.database import SqliteDatabase

_SUBSCRIPTION_COLUMNS = "arn, topic_arn, protocol, endpoint, attributes"


class SqliteSnsStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self._database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self._database.connection

    # topics -----------------------------------------------------------------------------

    async def get_topic(self, arn: str) -> Topic | None:
        return self._topic(arn)

    def _topic(self, arn: str) -> Topic | None:
        row = self._db.execute("SELECT attributes FROM sns_topics WHERE arn = ?", (arn,)).fetchone()
        return None if row is None else Topic(arn, json.loads(row[0]))

    async def create_topic(self, arn: str, attributes: dict[str, str]) -> Topic:
        self._db.execute(
            "INSERT OR IGNORE INTO sns_topics (arn, attributes) VALUES (?, ?)",
            (arn, json.dumps(attributes)),
        )
        topic = self._topic(arn)
        assert topic is not None
        return topic

    async def set_topic_attributes(self, arn: str, attributes: dict[str, str]) -> None:
        self._db.execute(
            "UPDATE sns_topics SET attributes = ? WHERE arn = ?", (json.dumps(attributes), arn)
        )

    async def delete_topic(self, arn: str) -> None:
        with self._database.transaction() as db:
            outbox.delete_refs(
                db, OUTBOX_KIND, "SELECT arn FROM sns_subscriptions WHERE topic_arn = ?", (arn,)
            )
            db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
            db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))
            db.execute("DELETE FROM sns_dedup WHERE topic_arn = ?", (arn,))

    async def list_topics(self, after: int, limit: int) -> list[tuple[int, str]]:
        rows = self._db.execute(
            "SELECT seq, arn FROM sns_topics WHERE seq > ? ORDER BY seq LIMIT ?", (after, limit)
        )
        return [(int(seq), str(arn)) for seq, arn in rows]

    # subscriptions ----------------------------------------------------------------------

    async def get_subscription(self, arn: str) -> Subscription | None:
        row = self._db.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM sns_subscriptions WHERE arn = ?", (arn,)
        ).fetchone()
        return None if row is None else _subscription(row)

    async def find_subscription(
        self, topic_arn: str, protocol: str, endpoint: str
    ) -> Subscription | None:
        row = self._db.execute(
            f"SELECT {_SUBSCRIPTION_COLUMNS} FROM sns_subscriptions "
            "WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
            (topic_arn, protocol, endpoint),
        ).fetchone()
        return None if row is None else _subscription(row)

    async def add_subscription(self, sub: Subscription) -> None:
        self._db.execute(
            f"INSERT INTO sns_subscriptions ({_SUBSCRIPTION_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (sub.arn, sub.topic_arn, sub.protocol, sub.endpoint, json.dumps(sub.attributes)),
        )

    async def set_subscription_attributes(self, arn: str, attributes: dict[str, str]) -> None:
        self._db.execute(
            "UPDATE sns_subscriptions SET attributes = ? WHERE arn = ?",
            (json.dumps(attributes), arn),
        )

    async def delete_subscription(self, arn: str) -> None:
        with self._database.transaction() as db:
            outbox.delete_refs(db, OUTBOX_KIND, "?", (arn,))
            db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))

    async def list_subscriptions(
        self, topic_arn: str | None, after: int, limit: int
    ) -> list[tuple[int, Subscription]]:
        return self._subscriptions(topic_arn, after, limit)

    def _subscriptions(
        self, topic_arn: str | None, after: int, limit: int
    ) -> list[tuple[int, Subscription]]:
        where, params = ("AND topic_arn = ?", (topic_arn,)) if topic_arn else ("", ())
        rows = self._db.execute(
            f"SELECT seq, {_SUBSCRIPTION_COLUMNS} FROM sns_subscriptions "
            f"WHERE seq > ? {where} ORDER BY seq LIMIT ?",
            (after, *params, limit),
        )
        return [(int(row[0]), _subscription(row[1:])) for row in rows]

    async def topic_subscriptions(self, topic_arn: str) -> list[Subscription]:
        return [s for _, s in self._subscriptions(topic_arn, 0, 1 << 62)]

    async def count_subscriptions(self, topic_arn: str) -> int:
        row = self._db.execute(
            "SELECT count(*) FROM sns_subscriptions WHERE topic_arn = ?", (topic_arn,)
        ).fetchone()
        return int(row[0])

    # publications and deliveries --------------------------------------------------------

    async def enqueue(
        self, fanouts: Iterable[Fanout], now: float, dedup_window: float
    ) -> list[Publication]:
        accepted: list[Publication] = []
        with self._database.transaction() as db:
            for publication, subscriptions in fanouts:
                first = _first_of(db, publication, now)
                if first is not None:
                    accepted.append(first)
                    continue
                accepted.append(publication)
                if publication.deduplication_id is not None:
                    _remember(db, publication, now + dedup_window)
                outbox.insert(db, [Delivery.entry(publication, s, now) for s in subscriptions])
        return accepted


def _first_of(db: sqlite3.Connection, pub: Publication, now: float) -> Publication | None:
    if pub.deduplication_id is None:
        return None
    row = db.execute(
        "SELECT message_id, sequence_number FROM sns_dedup "
        "WHERE topic_arn = ? AND dedup_id = ? AND expires_at > ?",
        (pub.topic_arn, pub.deduplication_id, now),
    ).fetchone()
    return None if row is None else replace(pub, message_id=row[0], sequence_number=row[1])


def _remember(db: sqlite3.Connection, pub: Publication, expires_at: float) -> None:
    db.execute(
        "DELETE FROM sns_dedup WHERE topic_arn = ? AND expires_at <= ?",
        (pub.topic_arn, pub.timestamp),
    )
    db.execute(
        "INSERT OR REPLACE INTO sns_dedup "
        "(topic_arn, dedup_id, message_id, sequence_number, expires_at) VALUES (?,?,?,?,?)",
        (pub.topic_arn, pub.deduplication_id, pub.message_id, pub.sequence_number, expires_at),
    )


def _subscription(row: Sequence[str]) -> Subscription:
    return Subscription(row[0], row[1], row[2], row[3], json.loads(row[4]))
