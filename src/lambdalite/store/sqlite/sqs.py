"""SQS's tables in the main SQLite file: the SqsStore interface (services/sqs/store.py).

Every state change is one short transaction run inline on the event loop: a send batch, a
receive (claims and redrive moves), a delete batch, a visibility batch. The methods are
coroutines for the interface's sake but never suspend, so no transaction spans an
``await``. Message attributes are stored as JSON with binary values in base64 (this
file's column format, hence here and not in the service).
"""

from __future__ import annotations

import base64
import json
import secrets
import sqlite3
import uuid
from collections.abc import Sequence
from typing import Any

from lambdalite.services.sqs.messages import md5_of_attributes, md5_of_body
from lambdalite.services.sqs.model import DEDUP_INTERVAL_S, NewMessage, Queue, Received, Sent
from lambdalite.services.sqs.receipts import Receipt, encode_receipt
from lambdalite.services.sqs.store import Outcome, PeekedMessage, StoredQueue
from lambdalite.store.sqlite.database import SqliteDatabase

_COLUMNS = (
    "id, message_id, body, md5_body, attributes, system, sent, receive_count, first_receive, "
    "group_id, dedup_id, sequence, dlq_source"
)
_INSERT = (
    "INSERT INTO sqs_messages (queue, message_id, body, md5_body, attributes, system, "
    "sent, visible_at, group_id, dedup_id, sequence) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
)
_VISIBLE = "FROM sqs_messages WHERE queue=? AND visible_at<=? AND sent>? "
_STANDARD = f"SELECT {_COLUMNS} " + _VISIBLE + "ORDER BY visible_at, id LIMIT ?"
# FIFO: skip every group with a message in flight (received, its timeout running, even
# when another of its messages is visible again); hand out one group's messages together
# and in send order, the group whose oldest available message is oldest first, then the
# next group to fill the batch (AWS: "as many messages with the same message group ID as
# possible", other groups may follow, each in order).
_FIFO = (
    f"SELECT {_COLUMNS} FROM (SELECT *, MIN(id) OVER (PARTITION BY group_id) AS head "
    + _VISIBLE
    + "AND group_id NOT IN (SELECT group_id FROM sqs_messages WHERE queue=? "
    "AND visible_at>? AND receipt IS NOT NULL)) ORDER BY head, id LIMIT ?"
)
_HAND_OUT = (
    "UPDATE sqs_messages SET receipt=?, visible_at=?, receive_count=receive_count+1, "
    "first_receive=? WHERE id=?"
)


def _dump(attributes: dict[str, dict[str, Any]]) -> str | None:
    if not attributes:
        return None
    out = {}
    for name, value in attributes.items():
        if "BinaryValue" in value:
            raw = base64.b64encode(bytes(value["BinaryValue"])).decode()
            value = {"DataType": value["DataType"], "BinaryValue": raw}
        out[name] = value
    return json.dumps(out, separators=(",", ":"))


def _load(raw: str | None) -> dict[str, dict[str, Any]]:
    if not raw:
        return {}
    out: dict[str, dict[str, Any]] = json.loads(raw)
    for value in out.values():
        if "BinaryValue" in value:
            value["BinaryValue"] = base64.b64decode(value["BinaryValue"])
    return out


class SqliteSqsStore:
    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    @property
    def _db(self) -> sqlite3.Connection:
        return self.database.connection

    # queues -----------------------------------------------------------------------------

    async def queues(self) -> list[StoredQueue]:
        rows = self._db.execute("SELECT name, attributes, tags, created, modified FROM sqs_queues")
        return [
            StoredQueue(name, json.loads(attributes), json.loads(tags), created, modified)
            for name, attributes, tags, created, modified in rows
        ]

    async def create_queue(self, queue: Queue) -> None:
        self._db.execute(
            "INSERT INTO sqs_queues (name, attributes, tags, created, modified) VALUES (?,?,?,?,?)",
            (
                queue.name,
                json.dumps(queue.attributes),
                json.dumps(queue.tags),
                queue.created,
                queue.modified,
            ),
        )

    async def update_queue(self, queue: Queue) -> None:
        self._db.execute(
            "UPDATE sqs_queues SET attributes=?, tags=?, modified=? WHERE name=?",
            (json.dumps(queue.attributes), json.dumps(queue.tags), queue.modified, queue.name),
        )

    async def delete_queue(self, name: str) -> None:
        with self.database.transaction() as db:
            db.execute("DELETE FROM sqs_queues WHERE name=?", (name,))
            db.execute("DELETE FROM sqs_messages WHERE queue=?", (name,))
            db.execute("DELETE FROM sqs_dedup WHERE queue=?", (name,))

    async def purge(self, name: str) -> None:
        with self.database.transaction() as db:
            db.execute("DELETE FROM sqs_messages WHERE queue=?", (name,))
            db.execute("DELETE FROM sqs_dedup WHERE queue=?", (name,))

    async def peek(self, name: str, limit: int) -> list[PeekedMessage]:
        rows = self._db.execute(
            "SELECT message_id, body, attributes, sent, receive_count, visible_at "
            "FROM sqs_messages WHERE queue=? ORDER BY id LIMIT ?",
            (name, limit),
        ).fetchall()
        return [
            PeekedMessage(m, b, json.loads(a) if a else {}, s, c, v) for m, b, a, s, c, v in rows
        ]

    async def dead_letter_sources(self, dlq_arn: str) -> list[str]:
        rows = self._db.execute("SELECT name, attributes FROM sqs_queues").fetchall()
        return [n for n, a in rows if dlq_arn in json.loads(a).get("RedrivePolicy", "")]

    # sending ----------------------------------------------------------------------------

    async def send(self, queue: Queue, batch: Sequence[NewMessage], now: float) -> list[Sent]:
        with self.database.transaction() as db:
            return [_insert(db, queue, message, now) for message in batch]

    # receiving --------------------------------------------------------------------------

    async def claim(
        self, queue: Queue, now: float, limit: int, visibility_s: int, dlq: Queue | None
    ) -> tuple[list[Received], bool]:
        # AWS moves an over-received message on the receive after the limit.
        redrive = queue.redrive if dlq is not None else None
        out: list[Received] = []
        moved = False
        with self.database.transaction() as db:
            taken: set[int] = set()  # with a zero visibility timeout a row stays visible
            while len(out) < limit:
                rows = _candidates(db, queue, now, limit - len(out))
                rows = [r for r in rows if r[0] not in taken]
                if not rows:
                    break
                taken.update(r[0] for r in rows)
                spent = [r for r in rows if redrive and r[7] >= redrive.max_receive_count]
                for row in spent:
                    _move(db, row[0], queue, dlq, now)  # type: ignore[arg-type]
                out.extend(
                    _hand_out(db, queue, r, now, visibility_s) for r in rows if r not in spent
                )
                moved = moved or bool(spent)
                if not spent:
                    break
        return out, moved

    async def next_visible(self, queue: str, now: float) -> float | None:
        row = self._db.execute(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue=? AND visible_at>?",
            (queue, now),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    # receipts ---------------------------------------------------------------------------

    async def delete_messages(
        self, queue: Queue, receipts: Sequence[Receipt], now: float
    ) -> list[Outcome]:
        with self.database.transaction() as db:
            return [_delete(db, queue.fifo, receipt, now) for receipt in receipts]

    async def change_visibilities(
        self, queue: Queue, changes: Sequence[tuple[Receipt, int]], now: float
    ) -> list[Outcome]:
        with self.database.transaction() as db:
            return [_change_visibility(db, queue.fifo, r, now, t) for r, t in changes]

    # housekeeping -----------------------------------------------------------------------

    async def counts(self, queue: Queue, now: float) -> tuple[int, int, int]:
        oldest = now - queue.number("MessageRetentionPeriod")
        row = self._db.execute(
            "SELECT COALESCE(SUM(visible_at<=?),0), "
            "COALESCE(SUM(visible_at>? AND receipt IS NOT NULL),0), "
            "COALESCE(SUM(visible_at>? AND receipt IS NULL),0) "
            "FROM sqs_messages WHERE queue=? AND sent>?",
            (now, now, now, queue.name, oldest),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    async def reap(self, queues: Sequence[Queue], now: float) -> float | None:
        upcoming: list[float] = []
        with self.database.transaction() as db:
            for queue in queues:
                retention = queue.number("MessageRetentionPeriod")
                db.execute(
                    "DELETE FROM sqs_messages WHERE queue=? AND sent<=?",
                    (queue.name, now - retention),
                )
                (oldest,) = db.execute(
                    "SELECT MIN(sent) FROM sqs_messages WHERE queue=?", (queue.name,)
                ).fetchone()
                if oldest is not None:
                    upcoming.append(float(oldest) + retention)
            db.execute("DELETE FROM sqs_dedup WHERE expires_at<=?", (now,))
            (lapse,) = db.execute("SELECT MIN(expires_at) FROM sqs_dedup").fetchone()
            if lapse is not None:
                upcoming.append(float(lapse))
        return min(upcoming, default=None)


def _insert(db: sqlite3.Connection, queue: Queue, m: NewMessage, now: float) -> Sent:
    md5_body = md5_of_body(m.body)
    md5_attributes = md5_of_attributes(m.attributes)
    md5_system = md5_of_attributes(m.system_attributes)
    sequence: str | None = None
    if queue.fifo and m.dedup_id is not None:
        hit = db.execute(
            "SELECT message_id, sequence FROM sqs_dedup "
            "WHERE queue=? AND dedup_id=? AND expires_at>?",
            (queue.name, m.dedup_id, now),
        ).fetchone()
        if hit is not None:
            return Sent(hit[0], md5_body, md5_attributes, md5_system, hit[1])
        (number,) = db.execute(
            "UPDATE sqs_queues SET sequence=sequence+1 WHERE name=? RETURNING sequence",
            (queue.name,),
        ).fetchone()
        sequence = f"{number:020d}"
    message_id = str(uuid.uuid4())
    db.execute(
        _INSERT,
        (
            queue.name,
            message_id,
            m.body,
            md5_body,
            _dump(m.attributes),
            _dump(m.system_attributes),
            now,
            now + m.delay_s,
            m.group_id,
            m.dedup_id,
            sequence,
        ),
    )
    if sequence is not None:
        db.execute(
            "INSERT OR REPLACE INTO sqs_dedup VALUES (?,?,?,?,?)",
            (queue.name, m.dedup_id, message_id, sequence, now + DEDUP_INTERVAL_S),
        )
    return Sent(message_id, md5_body, md5_attributes, md5_system, sequence)


def _candidates(db: sqlite3.Connection, queue: Queue, now: float, limit: int) -> list[Any]:
    oldest = now - queue.number("MessageRetentionPeriod")
    if not queue.fifo:
        return db.execute(_STANDARD, (queue.name, now, oldest, limit)).fetchall()
    return db.execute(_FIFO, (queue.name, now, oldest, queue.name, now, limit)).fetchall()


def _move(db: sqlite3.Connection, row_id: int, source: Queue, dlq: Queue, now: float) -> None:
    db.execute(
        "UPDATE sqs_messages SET queue=?, visible_at=?, receipt=NULL, dlq_source=? WHERE id=?",
        (dlq.name, now, source.arn, row_id),
    )


def _hand_out(
    db: sqlite3.Connection, queue: Queue, row: tuple[Any, ...], now: float, vis: int
) -> Received:
    (
        row_id,
        message_id,
        body,
        md5_body,
        attributes,
        system,
        sent,
        count,
        first,
        group_id,
        dedup_id,
        sequence,
        dlq_source,
    ) = row
    nonce = secrets.token_urlsafe(12)
    first = first if first is not None else now
    db.execute(_HAND_OUT, (nonce, now + vis, first, row_id))
    return Received(
        message_id,
        encode_receipt(queue.name, row_id, nonce),
        body,
        md5_body,
        _load(attributes),
        _load(system),
        sent,
        count + 1,
        first,
        group_id,
        dedup_id,
        sequence,
        dlq_source,
    )


def _lookup(db: sqlite3.Connection, receipt: Receipt) -> tuple[str, float] | None:
    """The message's latest receipt nonce and when it is (or became) visible."""
    row = db.execute(
        "SELECT receipt, visible_at FROM sqs_messages WHERE id=? AND queue=?",
        (receipt.message_key, receipt.queue),
    ).fetchone()
    return None if row is None else (row[0], float(row[1]))


def _delete(db: sqlite3.Connection, fifo: bool, receipt: Receipt, now: float) -> Outcome:
    found = _lookup(db, receipt)
    if found is None:
        return "gone"
    nonce, visible_at = found
    if fifo and (nonce != receipt.nonce or visible_at <= now):
        return "expired"
    db.execute("DELETE FROM sqs_messages WHERE id=?", (receipt.message_key,))
    return "ok"


def _change_visibility(
    db: sqlite3.Connection, fifo: bool, receipt: Receipt, now: float, timeout_s: int
) -> Outcome:
    found = _lookup(db, receipt)
    if found is None:
        return "gone"
    nonce, visible_at = found
    if nonce != receipt.nonce:
        return "stale"
    if fifo and visible_at <= now:
        return "expired"
    db.execute(
        "UPDATE sqs_messages SET visible_at=? WHERE id=?", (now + timeout_s, receipt.message_key)
    )
    return "ok"
