"""SQS's tables over the platform's one SQLite connection (see schema.sql).

Every state change is one short transaction run inline on the event loop (never across an
``await``): a send batch, a receive (claim + redrive moves), a delete, a visibility change.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Literal

from lambdalite.services.sqs.messages import md5_of_attributes, md5_of_body
from lambdalite.services.sqs.model import DEDUP_INTERVAL_S, NewMessage, Queue, Received, Sent
from lambdalite.store.sqlite.tables import transaction

_COLUMNS = (
    "id, message_id, body, md5_body, attributes, system, sent, receive_count, first_receive, "
    "group_id, dedup_id, sequence, dlq_source"
)
Outcome = Literal["ok", "gone", "stale", "not_in_flight"]


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


def encode_receipt(queue: str, row_id: int, nonce: str) -> str:
    return base64.urlsafe_b64encode(f"{queue}\n{row_id}\n{nonce}".encode()).decode()


def decode_receipt(handle: str) -> tuple[str, int, str] | None:
    try:
        queue, row_id, nonce = base64.urlsafe_b64decode(handle.encode()).decode().split("\n")
        return queue, int(row_id), nonce
    except (ValueError, binascii.Error, UnicodeError):
        return None


class SqsStore:
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    # queues -----------------------------------------------------------------------------

    def load_queues(self) -> Iterator[tuple[str, dict[str, str], dict[str, str], float, float]]:
        rows = self.db.execute("SELECT name, attributes, tags, created, modified FROM sqs_queues")
        for name, attributes, tags, created, modified in rows:
            yield name, json.loads(attributes), json.loads(tags), created, modified

    def insert_queue(self, queue: Queue) -> None:
        self.db.execute(
            "INSERT INTO sqs_queues (name, attributes, tags, created, modified) VALUES (?,?,?,?,?)",
            (
                queue.name,
                json.dumps(queue.attributes),
                json.dumps(queue.tags),
                queue.created,
                queue.modified,
            ),
        )

    def update_queue(self, queue: Queue) -> None:
        self.db.execute(
            "UPDATE sqs_queues SET attributes=?, tags=?, modified=? WHERE name=?",
            (json.dumps(queue.attributes), json.dumps(queue.tags), queue.modified, queue.name),
        )

    def delete_queue(self, name: str) -> None:
        with transaction(self.db):
            self.db.execute("DELETE FROM sqs_queues WHERE name=?", (name,))
            self.db.execute("DELETE FROM sqs_messages WHERE queue=?", (name,))
            self.db.execute("DELETE FROM sqs_dedup WHERE queue=?", (name,))

    def purge(self, name: str) -> None:
        self.db.execute("DELETE FROM sqs_messages WHERE queue=?", (name,))

    # sending ----------------------------------------------------------------------------

    def insert_messages(self, queue: Queue, batch: Sequence[NewMessage], now: float) -> list[Sent]:
        """Commit a batch in one transaction; FIFO duplicates return the original's ids."""
        with transaction(self.db):
            return [self._insert(queue, message, now) for message in batch]

    def _insert(self, queue: Queue, m: NewMessage, now: float) -> Sent:
        md5_body = md5_of_body(m.body)
        md5_attributes = md5_of_attributes(m.attributes)
        md5_system = md5_of_attributes(m.system_attributes)
        sequence: str | None = None
        if queue.fifo and m.dedup_id is not None:
            hit = self.db.execute(
                "SELECT message_id, sequence FROM sqs_dedup "
                "WHERE queue=? AND dedup_id=? AND expires_at>?",
                (queue.name, m.dedup_id, now),
            ).fetchone()
            if hit is not None:
                return Sent(hit[0], md5_body, md5_attributes, md5_system, hit[1])
            (number,) = self.db.execute(
                "UPDATE sqs_queues SET sequence=sequence+1 WHERE name=? RETURNING sequence",
                (queue.name,),
            ).fetchone()
            sequence = f"{number:020d}"
        message_id = str(uuid.uuid4())
        self.db.execute(
            "INSERT INTO sqs_messages (queue, message_id, body, md5_body, attributes, system, "
            "sent, visible_at, group_id, dedup_id, sequence) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
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
            self.db.execute(
                "INSERT OR REPLACE INTO sqs_dedup VALUES (?,?,?,?,?)",
                (queue.name, m.dedup_id, message_id, sequence, now + DEDUP_INTERVAL_S),
            )
        return Sent(message_id, md5_body, md5_attributes, md5_system, sequence)

    # receiving --------------------------------------------------------------------------

    def _candidates(self, queue: Queue, now: float, limit: int) -> list[tuple[Any, ...]]:
        oldest = now - queue.number("MessageRetentionPeriod")
        if not queue.fifo:
            sql = (
                f"SELECT {_COLUMNS} FROM sqs_messages WHERE queue=? AND visible_at<=? AND sent>? "
                "ORDER BY visible_at, id LIMIT ?"
            )
            return self.db.execute(sql, (queue.name, now, oldest, limit)).fetchall()
        # FIFO: oldest first, skipping every group that has a message in flight.
        sql = (
            f"SELECT {_COLUMNS} FROM sqs_messages WHERE queue=? AND visible_at<=? AND sent>? "
            "AND group_id NOT IN (SELECT group_id FROM sqs_messages WHERE queue=? "
            "AND visible_at>? AND receipt IS NOT NULL) ORDER BY id LIMIT ?"
        )
        return self.db.execute(sql, (queue.name, now, oldest, queue.name, now, limit)).fetchall()

    def claim(
        self, queue: Queue, now: float, limit: int, visibility_s: int, dlq: Queue | None
    ) -> tuple[list[Received], bool]:
        """Hand out up to ``limit`` visible messages; move over-received ones to ``dlq``
        first (AWS moves them on the receive after the limit). Returns (messages, moved)."""
        redrive = queue.redrive if dlq is not None else None
        out: list[Received] = []
        moved = False
        with transaction(self.db):
            while len(out) < limit:
                rows = self._candidates(queue, now, limit - len(out))
                if not rows:
                    break
                spent = [r for r in rows if redrive and r[7] >= redrive.max_receive_count]
                for row in spent:
                    self._move(row[0], queue, dlq, now)  # type: ignore[arg-type]
                out.extend(
                    self._hand_out(queue, r, now, visibility_s) for r in rows if r not in spent
                )
                moved = moved or bool(spent)
                if not spent:
                    break
        return out, moved

    def _move(self, row_id: int, source: Queue, dlq: Queue, now: float) -> None:
        self.db.execute(
            "UPDATE sqs_messages SET queue=?, visible_at=?, receipt=NULL, dlq_source=? WHERE id=?",
            (dlq.name, now, source.arn, row_id),
        )

    def _hand_out(self, queue: Queue, row: tuple[Any, ...], now: float, vis: int) -> Received:
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
        self.db.execute(
            "UPDATE sqs_messages SET receipt=?, visible_at=?, receive_count=receive_count+1, "
            "first_receive=? WHERE id=?",
            (nonce, now + vis, first, row_id),
        )
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

    def next_visible(self, queue: str, now: float) -> float | None:
        row = self.db.execute(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue=? AND visible_at>?",
            (queue, now),
        ).fetchone()
        return None if row[0] is None else float(row[0])

    # receipts ---------------------------------------------------------------------------

    def _lookup(self, queue: str, row_id: int, nonce: str) -> tuple[Outcome, float]:
        row = self.db.execute(
            "SELECT receipt, visible_at FROM sqs_messages WHERE id=? AND queue=?",
            (row_id, queue),
        ).fetchone()
        if row is None:
            return "gone", 0.0
        return ("ok" if row[0] == nonce else "stale"), float(row[1])

    def delete_message(self, queue: str, row_id: int, nonce: str) -> Outcome:
        outcome, _ = self._lookup(queue, row_id, nonce)
        if outcome == "ok":
            self.db.execute("DELETE FROM sqs_messages WHERE id=?", (row_id,))
        return outcome

    def delete_messages(self, items: Sequence[tuple[str, int, str]]) -> list[Outcome]:
        with transaction(self.db):
            return [self.delete_message(*item) for item in items]

    def change_visibility(
        self, queue: str, row_id: int, nonce: str, now: float, timeout_s: int
    ) -> Outcome:
        outcome, visible_at = self._lookup(queue, row_id, nonce)
        if outcome == "ok" and visible_at <= now:
            return "not_in_flight"
        if outcome == "ok":
            self.db.execute(
                "UPDATE sqs_messages SET visible_at=? WHERE id=?", (now + timeout_s, row_id)
            )
        return outcome

    def change_visibilities(
        self, items: Sequence[tuple[str, int, str, int]], now: float
    ) -> list[Outcome]:
        with transaction(self.db):
            return [self.change_visibility(q, r, n, now, t) for q, r, n, t in items]

    # housekeeping -----------------------------------------------------------------------

    def counts(self, queue: Queue, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages, expired ones left out."""
        oldest = now - queue.number("MessageRetentionPeriod")
        row = self.db.execute(
            "SELECT COALESCE(SUM(visible_at<=?),0), "
            "COALESCE(SUM(visible_at>? AND receipt IS NOT NULL),0), "
            "COALESCE(SUM(visible_at>? AND receipt IS NULL),0) "
            "FROM sqs_messages WHERE queue=? AND sent>?",
            (now, now, now, queue.name, oldest),
        ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def reap(self, queues: Sequence[Queue], now: float) -> None:
        """Drop expired messages and lapsed deduplication ids."""
        with transaction(self.db):
            for queue in queues:
                self.db.execute(
                    "DELETE FROM sqs_messages WHERE queue=? AND sent<=?",
                    (queue.name, now - queue.number("MessageRetentionPeriod")),
                )
            self.db.execute("DELETE FROM sqs_dedup WHERE expires_at<=?", (now,))

    def dead_letter_sources(self, dlq_arn: str) -> list[str]:
        rows = self.db.execute("SELECT name, attributes FROM sqs_queues").fetchall()
        return [n for n, a in rows if dlq_arn in json.loads(a).get("RedrivePolicy", "")]
