"""SNS pieces without a server: retry schedule, validation, envelopes, and delivery through
the outbox runner (real SQLite file, virtual clock, a fake directory)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from lambdalite.clock import VirtualClock
from lambdalite.config import Settings
from lambdalite.outbox.runner import OutboxRunner
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.sns import SnsService
from lambdalite.services.sns.envelope import lambda_event, notification
from lambdalite.services.sns.errors import InvalidParameter, ParameterValueInvalid
from lambdalite.services.sns.model import Publication, Subscription
from lambdalite.services.sns.retry import AWS_MANAGED, RetrySchedule
from lambdalite.services.sns.validate import check_message_attributes, parse_structure
from lambdalite.store.sqlite.backend import SqliteBackend


def test_aws_managed_schedule() -> None:
    delays = [AWS_MANAGED.delay(n) for n in range(1, 17)]
    assert delays[:3] == [0.0, 0.0, 0.0]
    assert delays[3:5] == [1.0, 1.0]
    assert delays[5] == pytest.approx(1.0) and delays[14] == pytest.approx(20.0)
    assert delays[5:15] == sorted(delays[5:15])
    assert delays[15] == 20.0
    assert AWS_MANAGED.max_attempts == 100_016
    assert AWS_MANAGED.delay(AWS_MANAGED.max_attempts - 1) == 20.0
    assert AWS_MANAGED.delay(AWS_MANAGED.max_attempts) is None


def test_structure_and_attributes() -> None:
    assert parse_structure('{"default": "d", "sqs": "q", "n": 1}', "json") == {
        "default": "d",
        "sqs": "q",
    }
    with pytest.raises(InvalidParameter):
        parse_structure("[]", "json")
    check_message_attributes({"a.b-c_d": {"DataType": "Number.int", "StringValue": "-1.5e3"}})
    for bad in ({".a": {"DataType": "String", "StringValue": "x"}},):
        with pytest.raises(ParameterValueInvalid):
            check_message_attributes(bad)
    with pytest.raises(ParameterValueInvalid):
        check_message_attributes({"a": {"DataType": "String.Array", "StringValue": "nope"}})


def _publication(**kw: Any) -> Publication:
    return Publication("mid", "arn:aws:sns:us-east-1:000000000000:t", "hi", 0.5, **kw)


SUB = Subscription("arn:aws:sns:us-east-1:000000000000:t:sub", "arn:aws:sns:x", "lambda", "fn")


def test_lambda_event_shape() -> None:
    event = lambda_event(_publication(), SUB, "http://h")
    record = event["Records"][0]
    assert record["EventSubscriptionArn"] == SUB.arn
    sns = record["Sns"]
    assert sns["Timestamp"] == "1970-01-01T00:00:00.500Z"
    assert sns["Subject"] is None and sns["MessageAttributes"] == {}
    assert "SigningCertUrl" in sns and "SigningCertURL" not in sns


def test_json_structure_drops_attributes_from_the_envelope() -> None:
    pub = _publication(
        messages={"default": "d", "sqs": "q"},
        attributes={"a": {"DataType": "String", "StringValue": "x"}},
    )
    doc = notification(pub, Subscription("s", "t", "sqs", "q"), "http://h")
    assert doc["Message"] == "q" and "MessageAttributes" not in doc


class FlakyQueues:
    """A QueueSender that fails `failures` times, then records what it is sent."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.sent: list[tuple[str, str]] = []

    async def send_to_queue(self, queue_arn: str, body: str, **_: Any) -> str:
        if self.failures > 0:
            self.failures -= 1
            raise LookupError("no such queue")
        self.sent.append((queue_arn, body))
        return "id"


async def _service(
    tmp_path: Path, schedule: RetrySchedule
) -> tuple[SnsService, Any, Any, OutboxRunner, SqliteBackend]:
    backend = SqliteBackend(tmp_path / "db.sqlite3")
    await backend.open()
    clock = VirtualClock()
    directory = ServiceDirectory()
    outbox = OutboxRunner(clock, backend.outbox, directory)
    settings = Settings(data_dir=tmp_path)
    sns = SnsService(settings, backend.sns, clock, directory, outbox, schedule=schedule)
    await outbox.start()
    return sns, clock, directory, outbox, backend


def test_retries_then_dead_letters(tmp_path: Path) -> None:
    asyncio.run(_retries_then_dead_letters(tmp_path))


async def _retries_then_dead_letters(tmp_path: Path) -> None:
    schedule = RetrySchedule(immediate=1, pre_backoff=1, backoff=1, post_backoff=0)
    sns, clock, directory, outbox, backend = await _service(tmp_path, schedule)
    queues = FlakyQueues(failures=4)
    directory.sqs = queues
    topic = await sns.create_topic("t", {})
    dlq = "arn:aws:sqs:us-east-1:000000000000:dlq"
    redrive = json.dumps({"deadLetterTargetArn": dlq})
    target = "arn:aws:sqs:us-east-1:000000000000:gone"
    await sns.subscribe(topic, "sqs", target, {"RedrivePolicy": redrive})
    await sns.publish_to_topic(topic, "m")
    await outbox.drain()  # attempt 1 and the immediate retry fail
    assert queues.sent == [] and await outbox.store.pending() == 1
    clock.advance(1)
    await outbox.drain()  # attempt 3 fails
    clock.advance(20)
    await outbox.drain()  # attempt 4 fails: the budget is spent, the DLQ gets it
    assert [arn for arn, _ in queues.sent] == [dlq]
    assert json.loads(queues.sent[0][1])["Message"] == "m"
    assert await outbox.store.pending() == 0
    await outbox.stop()
    await backend.close()


def test_delivery_waits_for_the_directory_entry(tmp_path: Path) -> None:
    asyncio.run(_waits_for_the_directory_entry(tmp_path))


async def _waits_for_the_directory_entry(tmp_path: Path) -> None:
    sns, clock, directory, outbox, backend = await _service(tmp_path, AWS_MANAGED)
    topic = await sns.create_topic("t", {})
    await sns.subscribe(topic, "sqs", "arn:aws:sqs:us-east-1:000000000000:q", {})
    await sns.publish_to_topic(topic, "m")
    await outbox.drain()
    assert await outbox.store.pending() == 1  # SQS is not there: kept, not dropped
    directory.sqs = queues = FlakyQueues(failures=0)
    clock.advance(5)
    await outbox.drain()
    assert len(queues.sent) == 1 and await outbox.store.pending() == 0
    await outbox.stop()
    await backend.close()
