"""The outbox runner on a virtual clock: each row goes to its kind's courier, outcomes are
applied (a retry comes due on the clock, a dead letter is sent once), and a courier that
fails unexpectedly or a kind nobody sends keeps its row instead of losing it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from lambdalite.clock import VirtualClock
from lambdalite.outbox.model import Claim, DeadLetter, Entry, Outcome, Retry, Settle
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.services.directory import ServiceDirectory
from lambdalite.store.sqlite.backend import SqliteBackend

QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"


class Queues:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []

    async def send_to_queue(self, queue_arn: str, body: str, **_: Any) -> str:
        self.sent.append((queue_arn, body))
        return "id"


class Scripted:
    """A courier that answers each attempt from a script (an exception is raised)."""

    def __init__(self, *answers: Outcome | Exception) -> None:
        self.answers = list(answers)
        self.seen: list[int] = []

    async def deliver(self, claim: Claim) -> Outcome:
        self.seen.append(claim.attempts)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def _entry(kind: str) -> Entry:
    return Entry(kind=kind, ref="r", target=QUEUE, body="b", created_at=0.0, due_at=0.0)


def test_outcomes_follow_the_courier_and_the_clock(tmp_path: Path) -> None:
    async def scenario() -> None:
        backend = SqliteBackend(tmp_path / "db.sqlite3")
        await backend.open()
        clock = VirtualClock(start=100.0)
        queues = Queues()
        runner = OutboxRunner(clock, backend.outbox, ServiceDirectory(sqs=queues))
        courier = Scripted(
            Retry(110.0, "first"),
            RuntimeError("a bug"),
            DeadLetter(DLQ, "dead", None, "row r"),
        )
        runner.register("k", courier)
        await backend.outbox.add([_entry("k"), _entry("nobody")])
        await runner.start()
        await runner.drain()
        assert courier.seen == [0]  # retried at 110, not before
        clock.advance(10)
        await runner.drain()  # the courier breaks: the row stays, due a minute later
        assert courier.seen == [0, 1] and await backend.outbox.pending("k") == 1
        clock.advance(60)
        await runner.drain()  # given up: the dead letter is sent, once
        assert courier.seen == [0, 1, 2]
        assert queues.sent == [(DLQ, "dead")]
        assert await backend.outbox.pending("k") == 0
        assert await backend.outbox.pending("nobody") == 1  # kept for a courier to come
        runner.register("nobody", Scripted(Settle()))
        clock.advance(60)
        await runner.drain()
        assert await backend.outbox.pending() == 0
        await runner.stop()
        await backend.close()

    asyncio.run(scenario())
