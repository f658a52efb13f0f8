"""The SQS store interface: queues and their messages, as the service needs them.

A backend implements this over the platform's one database (SQLite: store/sqlite/sqs.py).
Every method that changes state is one transaction, so a send batch, a receive (claims
and redrive moves), a delete batch or a visibility batch is all or nothing whoever calls
it. Time is always passed in (``now``, the platform clock), never read by the store.

A message is delayed (never received, not yet visible), visible, or in flight (received,
its visibility timeout running). Messages older than their queue's retention period are
never handed out or counted, and ``reap`` deletes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from lambdalite.services.sqs.model import NewMessage, Queue, Received, Sent
from lambdalite.services.sqs.receipts import Receipt

Outcome = Literal["ok", "gone", "stale", "expired"]
"""What a receipt met: done; no such message; the handle is not the latest receive's
(visibility changes on standard queues); on a FIFO queue, the handle is not the latest
receive's or that receive's visibility timeout has run out."""


@dataclass(frozen=True, slots=True)
class PeekedMessage:
    """A message as stored, read without receiving it (the console's peek)."""

    message_id: str
    body: str
    attributes: dict[str, Any]  # message attributes as stored (JSON shapes)
    sent: float
    receive_count: int
    visible_at: float


@dataclass(frozen=True, slots=True)
class StoredQueue:
    """A queue as stored; the service gives it its ARN."""

    name: str
    attributes: dict[str, str]
    tags: dict[str, str]
    created: float
    modified: float


class SqsStore(Protocol):
    # queues -----------------------------------------------------------------------------

    async def queues(self) -> list[StoredQueue]:
        """Every queue (the service caches them at start)."""
        ...

    async def create_queue(self, queue: Queue) -> None: ...

    async def update_queue(self, queue: Queue) -> None:
        """Store the queue's attributes, tags and modified time."""
        ...

    async def delete_queue(self, name: str) -> None:
        """The queue, its messages and its deduplication ids, together."""
        ...

    async def purge(self, name: str) -> None:
        """Delete every message of the queue and its deduplication ids, together (a FIFO
        message sent again after a purge is accepted as new)."""
        ...

    async def peek(self, name: str, limit: int) -> list[PeekedMessage]:
        """The oldest `limit` messages in send order, visible or not, unchanged."""
        ...

    async def dead_letter_sources(self, dlq_arn: str) -> list[str]:
        """Names of the queues whose redrive policy targets ``dlq_arn``."""
        ...

    # messages ---------------------------------------------------------------------------

    async def send(self, queue: Queue, batch: Sequence[NewMessage], now: float) -> list[Sent]:
        """Commit a batch together. On a FIFO queue a deduplication id seen within
        DEDUP_INTERVAL_S is not stored again: its entry returns the original's message id
        and sequence number. FIFO sequence numbers increase per queue."""
        ...

    async def claim(
        self, queue: Queue, now: float, limit: int, visibility_s: int, dlq: Queue | None
    ) -> tuple[list[Received], bool]:
        """Hand out up to ``limit`` visible messages, each with a fresh receipt, in flight
        for ``visibility_s`` and its receive count incremented; no message is handed out
        twice while in flight. A message already received the redrive policy's
        maxReceiveCount times moves to ``dlq`` instead (visible there at once). FIFO: never
        a message of a group that has any message in flight (even while another of its
        messages is visible again); a group's messages together and in send order, the
        group with the oldest available message first, then the next to fill ``limit``.
        Returns (messages, whether any moved)."""
        ...

    async def next_visible(self, queue: str, now: float) -> float | None:
        """When the next delayed or in-flight message of the queue becomes visible."""
        ...

    async def delete_messages(
        self, queue: Queue, receipts: Sequence[Receipt], now: float
    ) -> list[Outcome]:
        """Delete each receipt's message of ``queue``; one outcome per receipt. Standard
        queues take any receipt of the message (AWS: an older handle succeeds); FIFO
        queues only the latest, while its visibility timeout runs ("expired" otherwise)."""
        ...

    async def change_visibilities(
        self, queue: Queue, changes: Sequence[tuple[Receipt, int]], now: float
    ) -> list[Outcome]:
        """Make each receipt's message visible ``timeout_s`` after ``now``; the latest
        receipt only ("stale" otherwise). On a standard queue a message whose timeout ran
        out is hidden again; on a FIFO queue that receipt has "expired"."""
        ...

    # housekeeping -----------------------------------------------------------------------

    async def counts(self, queue: Queue, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed) messages, expired ones left out."""
        ...

    async def reap(self, queues: Sequence[Queue], now: float) -> float | None:
        """Delete the queues' expired messages and every lapsed deduplication id; returns
        when the next of what is left expires (a message of one of the queues, or a
        deduplication id), or None when nothing is left."""
        ...
