"""The SQS poller against a real server on a virtual clock, driven by boto3 and the aws CLI:
delivery and deletion, the event to the byte, batching windows, failures and redrive,
partial batch responses, FIFO group blocking, filters, enable/disable, a deleted queue,
and the on-success extension (spec 4.3, 4.4, 5)."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

# The handler writes each event it gets to OUT (one file per invocation) and answers
# what the message bodies ask: {"fail": true} raises, {"report": [...]} is returned.
RECORDER = """
import json, os, uuid

def handler(event, context):
    path = os.path.join(os.environ["OUT"], uuid.uuid4().hex + ".json")
    with open(path, "w") as f:
        json.dump(event, f)
    bodies = [r["body"] for r in event["Records"]]
    for body in bodies:
        if body.startswith("fail"):
            raise RuntimeError("asked to fail")
    for body in bodies:
        if body.startswith("answer:"):
            return json.loads(body[len("answer:"):])
    return {"ok": len(bodies)}
"""
_names = iter(range(1_000_000))


def _name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("esm-sqs"), "--no-example", "--clock", "virtual", "--extensions"
    )
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


class Queue:
    def __init__(self, sqs: Any, fifo: bool = False, **attributes: str) -> None:
        name = _name("q") + (".fifo" if fifo else "")
        if fifo:
            attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true", **attributes}
        self.sqs = sqs
        self.url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        got = sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=["QueueArn"])
        self.arn: str = got["Attributes"]["QueueArn"]

    def send(self, *bodies: str, **extra: Any) -> list[str]:
        ids = []
        for body in bodies:
            ids.append(
                self.sqs.send_message(QueueUrl=self.url, MessageBody=body, **extra)["MessageId"]
            )
        return ids

    def counts(self) -> tuple[int, int]:
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        got = self.sqs.get_queue_attributes(QueueUrl=self.url, AttributeNames=names)["Attributes"]
        return int(got[names[0]]), int(got[names[1]])


class Recorder:
    """A function that records its events in a directory of this test."""

    def __init__(self, lam: Any, out: Path, source: str = RECORDER, **config: Any) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self.out = out
        self.name = create(lam, source, Environment={"Variables": {"OUT": str(out)}}, **config)

    def events(self) -> list[dict[str, Any]]:
        files = sorted(self.out.glob("*.json"), key=lambda p: p.stat().st_mtime_ns)
        return [json.loads(p.read_text()) for p in files]

    def bodies(self) -> list[list[str]]:
        return [[r["body"] for r in e["Records"]] for e in self.events()]


def mapping(lam: Any, fn: str, queue: Queue, **params: Any) -> str:
    got = lam.create_event_source_mapping(FunctionName=fn, EventSourceArn=queue.arn, **params)
    return str(got["UUID"])


def settle(srv: Server, seconds: float = 0.0) -> None:
    if seconds:
        advance(srv.endpoint, seconds)
    drain(srv.endpoint)


# delivery and shape ---------------------------------------------------------------------


def test_a_batch_is_delivered_and_deleted(srv: Server, lam: Any, sqs: Any, tmp_path: Path) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    uid = mapping(lam, fn.name, q, BatchSize=10)
    settle(srv)
    q.send(*[f"m{i}" for i in range(5)])
    settle(srv)
    assert sorted(b for batch in fn.bodies() for b in batch) == [f"m{i}" for i in range(5)]
    assert q.counts() == (0, 0)
    assert lam.get_event_source_mapping(UUID=uid)["LastProcessingResult"] == "OK"


def test_the_event_is_aws_s_to_the_byte(srv: Server, lam: Any, sqs: Any, tmp_path: Path) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    mapping(lam, fn.name, q, BatchSize=1)
    settle(srv)
    attrs = {
        "Author": {"DataType": "String", "StringValue": "John Grisham"},
        "Blob": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }
    sent = sqs.send_message(QueueUrl=q.url, MessageBody="Test message.", MessageAttributes=attrs)
    q.send("plain")
    settle(srv)
    events = fn.events()
    assert len(events) == 2
    first = next(e for e in events if e["Records"][0]["body"] == "Test message.")
    record = first["Records"][0]
    assert list(first) == ["Records"]
    assert list(record) == [
        "messageId", "receiptHandle", "body", "attributes", "messageAttributes",
        "md5OfMessageAttributes", "md5OfBody", "eventSource", "eventSourceARN", "awsRegion",
    ]  # fmt: skip
    assert record["messageId"] == sent["MessageId"]
    assert record["md5OfBody"] == hashlib.md5(b"Test message.").hexdigest()
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
    ]  # fmt: skip
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert all(isinstance(v, str) for v in record["attributes"].values())
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "John Grisham", "stringListValues": [], "binaryListValues": [],
            "dataType": "String",
        },
        "Blob": {
            "binaryValue": "AAE=", "stringListValues": [], "binaryListValues": [],
            "dataType": "Binary",
        },
    }  # fmt: skip
    assert (record["eventSource"], record["eventSourceARN"], record["awsRegion"]) == (
        "aws:sqs", q.arn, "us-east-1",
    )  # fmt: skip
    plain = next(e for e in events if e["Records"][0]["body"] == "plain")["Records"][0]
    assert plain["messageAttributes"] == {}
    assert plain["md5OfMessageAttributes"] is None


def test_fifo_records_carry_their_group_and_sequence(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs, fifo=True)
    mapping(lam, fn.name, q, BatchSize=10)
    settle(srv)
    sent = sqs.send_message(
        QueueUrl=q.url, MessageBody="a", MessageGroupId="g1", MessageDeduplicationId="d1"
    )
    settle(srv)
    record = fn.events()[0]["Records"][0]
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId",
        "SenderId", "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp",
    ]  # fmt: skip
    assert record["attributes"]["SequenceNumber"] == sent["SequenceNumber"]
    assert record["attributes"]["MessageGroupId"] == "g1"
    assert record["attributes"]["MessageDeduplicationId"] == "d1"
