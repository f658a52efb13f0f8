"""EventBridge delivery through the outbox runner on a virtual clock with fake target
services: retries follow the policy, then the dead-letter queue gets the event with AWS's
attributes; success never reaches it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from lambdalite.clock import VirtualClock
from lambdalite.config import Settings
from lambdalite.duework import drain_all
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.services.directory import MessageAttributes, ServiceDirectory
from lambdalite.services.events import EventsService
from lambdalite.store.sqlite.backend import SqliteBackend

QUEUE = "arn:aws:sqs:us-east-1:000000000000:target"
DLQ = "arn:aws:sqs:us-east-1:000000000000:dlq"


class FlakyQueues:
    """A QueueSender whose target queue fails (retriably) `failures` times."""

    def __init__(self, clock: VirtualClock, failures: int) -> None:
        self.clock = clock
        self.failures = failures
        self.attempts: list[float] = []
        self.sent: dict[str, list[tuple[str, MessageAttributes | None]]] = {QUEUE: [], DLQ: []}

    async def send_to_queue(
        self,
        queue_arn: str,
        body: str,
        *,
        attributes: MessageAttributes | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
    ) -> str:
        if queue_arn == QUEUE:
            self.attempts.append(self.clock.now())
            if len(self.attempts) <= self.failures:
                raise RuntimeError("the queue is having a bad day")
        self.sent[queue_arn].append((body, attributes))
        return "id"


async def run_scenario(
    tmp_path: Path, failures: int, retry_policy: dict[str, int], steps: list[float]
) -> tuple[FlakyQueues, float, EventsService]:
    clock = VirtualClock(start=1_700_000_000.0)
    queues = FlakyQueues(clock, failures)
    directory = ServiceDirectory(sqs=queues)
    backend = SqliteBackend(tmp_path / "db.sqlite3")
    await backend.open()
    outbox = OutboxRunner(clock, backend.outbox, directory)
    service = EventsService(Settings(data_dir=tmp_path), backend.events, clock, directory, outbox)
    await service.start()
    await outbox.start()
    try:
        await service.put_rule({"Name": "r", "EventPattern": '{"source": ["s"]}'})
        target = {
            "Id": "t",
            "Arn": QUEUE,
            "RetryPolicy": retry_policy,
            "DeadLetterConfig": {"Arn": DLQ},
        }
        await service.put_targets("r", None, [target])
        start = clock.now()
        [result] = await service.publisher.put_entries(
            [{"Source": "s", "DetailType": "d", "Detail": "{}"}]
        )
        assert "EventId" in result
        await drain_all([*service.due_loops(), outbox])
        for step in steps:
            clock.advance(step)
            await drain_all([*service.due_loops(), outbox])
    finally:
        await outbox.stop()
        await service.stop()
        await backend.close()
    return queues, start, service


def _attrs(attributes: MessageAttributes | None) -> dict[str, str]:
    return {k: v["StringValue"] for k, v in (attributes or {}).items()}


def test_retries_then_dead_letter(tmp_path: Path) -> None:
    policy = {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 3600}
    queues, start, _ = asyncio.run(run_scenario(tmp_path, 100, policy, [1, 2, 4, 8, 100]))
    # the first attempt at once, then retries 1, 2 and 4 seconds apart: four in all
    assert [round(t - start) for t in queues.attempts] == [0, 1, 3, 7]
    assert queues.sent[QUEUE] == []
    [(body, attributes)] = queues.sent[DLQ]
    assert json.loads(body)["source"] == "s"
    attrs = _attrs(attributes)
    assert attrs["RULE_ARN"] == "arn:aws:events:us-east-1:000000000000:rule/r"
    assert attrs["TARGET_ARN"] == QUEUE
    assert attrs["ERROR_CODE"] == "INTERNAL_ERROR"
    assert "bad day" in attrs["ERROR_MESSAGE"]
    assert (attrs["RETRY_ATTEMPTS"], attrs["EXHAUSTED_RETRY_CONDITION"]) == (
        "3",
        "MaximumRetryAttempts",
    )


def test_recovery_before_the_limit_never_reaches_the_dlq(tmp_path: Path) -> None:
    queues, _, service = asyncio.run(run_scenario(tmp_path, 2, {}, [1, 2, 4]))
    assert len(queues.attempts) == 3
    assert len(queues.sent[QUEUE]) == 1 and queues.sent[DLQ] == []


def test_event_age_limit_sends_to_the_dlq_without_another_attempt(tmp_path: Path) -> None:
    policy = {"MaximumRetryAttempts": 185, "MaximumEventAgeInSeconds": 60}
    # retries at +1, +3, +7, +15, +31; the next (+63) would be past 60 s: give up at once
    queues, start, _ = asyncio.run(run_scenario(tmp_path, 100, policy, [1, 2, 4, 8, 16, 100]))
    assert [round(t - start) for t in queues.attempts] == [0, 1, 3, 7, 15, 31]
    [(_, attributes)] = queues.sent[DLQ]
    attrs = _attrs(attributes)
    assert (attrs["EXHAUSTED_RETRY_CONDITION"], attrs["RETRY_ATTEMPTS"]) == (
        "MaximumEventAgeInSeconds",
        "5",
    )


def test_an_event_older_than_its_age_limit_is_not_attempted(tmp_path: Path) -> None:
    policy = {"MaximumEventAgeInSeconds": 60}
    # one failure, the retry is due at +1 s, but the clock jumps past the age limit first
    queues, start, _ = asyncio.run(run_scenario(tmp_path, 100, policy, [3600]))
    assert [round(t - start) for t in queues.attempts] == [0]
    [(_, attributes)] = queues.sent[DLQ]
    assert _attrs(attributes)["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"


def test_scheduler_fires_each_slot_once(tmp_path: Path) -> None:
    async def scenario() -> list[Any]:
        clock = VirtualClock(start=1_700_000_000.0)
        queues = FlakyQueues(clock, 0)
        backend = SqliteBackend(tmp_path / "db.sqlite3")
        await backend.open()
        directory = ServiceDirectory(sqs=queues)
        outbox = OutboxRunner(clock, backend.outbox, directory)
        settings = Settings(data_dir=tmp_path)
        service = EventsService(settings, backend.events, clock, directory, outbox)
        await service.start()
        await outbox.start()
        await service.put_rule({"Name": "tick", "ScheduleExpression": "rate(1 minute)"})
        await service.put_targets("tick", None, [{"Id": "t", "Arn": QUEUE}])
        await drain_all([*service.due_loops(), outbox])
        for _ in range(3):
            clock.advance(60)
            await drain_all([*service.due_loops(), outbox])
        clock.advance(600)
        await drain_all([*service.due_loops(), outbox])
        await outbox.stop()
        await service.stop()
        await backend.close()
        return queues.sent[QUEUE]

    assert len(asyncio.run(scenario())) == 13
