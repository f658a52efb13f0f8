"""The SQS poller against a real server on a virtual clock, driven by boto3 and the aws CLI:
delivery and deletion, the event to the byte, batching windows, failures and redrive,
partial batch responses, FIFO group blocking, filters, enable/disable, a deleted queue,
and the on-success extension (spec 4.3, 4.4, 5)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import ROLE, Server, create, start_server, stop_server
from tests.acceptance.powertools import package

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


# batching window ------------------------------------------------------------------------


def test_a_window_holds_the_batch_until_it_ends_or_fills(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    mapping(lam, fn.name, q, BatchSize=50, MaximumBatchingWindowInSeconds=30)
    settle(srv)
    q.send(*[f"a{i}" for i in range(3)])
    settle(srv, 10)
    assert fn.bodies() == []  # the window has not run out, the batch is not full
    q.send("a3")
    settle(srv, 19)
    assert fn.bodies() == []
    settle(srv, 1.5)
    assert [sorted(b) for b in fn.bodies()] == [["a0", "a1", "a2", "a3"]]
    # a full batch goes at once, window or not
    q.send(*[f"b{i}" for i in range(50)])
    settle(srv)
    assert len(fn.bodies()) == 2 and len(fn.bodies()[1]) == 50


# failures -------------------------------------------------------------------------------


def test_a_failed_batch_comes_back_after_the_visibility_timeout_then_goes_to_the_dlq(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    dlq = Queue(sqs)
    policy = json.dumps({"deadLetterTargetArn": dlq.arn, "maxReceiveCount": 2})
    q = Queue(sqs, VisibilityTimeout="30", RedrivePolicy=policy)
    uid = mapping(lam, fn.name, q, BatchSize=10)
    settle(srv)
    q.send("fail-1")
    settle(srv)
    assert fn.bodies() == [["fail-1"]]
    assert q.counts() == (0, 1)  # in flight, not deleted
    got = lam.get_event_source_mapping(UUID=uid)["LastProcessingResult"]
    assert got == "PROBLEM: Function call failed"
    settle(srv, 29)
    assert len(fn.bodies()) == 1
    settle(srv, 2)
    events = fn.events()
    assert len(events) == 2
    assert events[1]["Records"][0]["attributes"]["ApproximateReceiveCount"] == "2"
    settle(srv, 31)  # received twice: the queue's redrive moves it on the next receive
    assert len(fn.bodies()) == 2
    assert q.counts() == (0, 0)
    moved = sqs.receive_message(QueueUrl=dlq.url)["Messages"]
    assert [m["Body"] for m in moved] == ["fail-1"]


@pytest.mark.parametrize(
    ("answer", "deleted"),
    [
        ({"batchItemFailures": []}, {"x0", "x1", "x2"}),
        ({"batchItemFailures": None}, {"x0", "x1", "x2"}),
        ({}, {"x0", "x1", "x2"}),
        (None, {"x0", "x1", "x2"}),
        ({"batchItemFailures": [{"itemIdentifier": "@x1"}]}, {"x0", "x2"}),
        ({"batchItemFailures": [{"itemIdentifier": ""}]}, set()),
        ({"batchItemFailures": [{"itemIdentifier": None}]}, set()),
        ({"batchItemFailures": [{"foo": "@x1"}]}, set()),
        ({"batchItemFailures": [{"itemIdentifier": "not-in-batch"}]}, set()),
        ({"batchItemFailures": "nonsense"}, set()),
    ],
)
def test_report_batch_item_failures(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path, answer: Any, deleted: set[str]
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs, VisibilityTimeout="60")
    ids = dict(zip(["x0", "x1", "x2"], q.send("x0", "x1", "x2"), strict=True))
    text = json.dumps(answer)
    for label, message_id in ids.items():
        text = text.replace(f"@{label}", message_id)
    q.send("answer:" + text)
    mapping(lam, fn.name, q, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    settle(srv)
    assert len(fn.events()) == 1
    settle(srv, 61)  # what was kept comes back
    again = {b for batch in fn.bodies()[1:] for b in batch}
    assert again == {"x0", "x1", "x2", "answer:" + text} - deleted - (
        {"answer:" + text} if len(deleted) == 3 or "x0" in deleted else set()
    )


def test_fifo_failure_holds_the_rest_of_its_group(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs, fifo=True, VisibilityTimeout="60")
    a = [q.send(b, MessageGroupId="A")[0] for b in ("a0", "a1", "a2")]
    q.send("b0", MessageGroupId="B")
    answer = {"batchItemFailures": [{"itemIdentifier": a[1]}]}
    q.send("answer:" + json.dumps(answer), MessageGroupId="C")
    mapping(lam, fn.name, q, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    settle(srv)
    assert len(fn.events()) == 1
    q.send("a3", MessageGroupId="A")
    settle(srv, 30)
    assert len(fn.events()) == 1  # group A is held: a1, a2 in flight, a3 waits behind them
    settle(srv, 31)
    assert fn.bodies()[1] == ["a1", "a2", "a3"]  # in order, a0 and the others done


# filtering ------------------------------------------------------------------------------


def test_filtered_out_messages_are_deleted_and_never_invoke(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    pattern = json.dumps({"body": {"kind": ["keep"]}})
    mapping(lam, fn.name, q, BatchSize=10, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    settle(srv)
    q.send("not json at all", json.dumps({"kind": "drop"}))
    settle(srv)
    assert fn.bodies() == []  # every record filtered out: no invocation
    assert q.counts() == (0, 0)  # and deleted
    q.send(json.dumps({"kind": "keep", "n": 1}), "plain again")
    settle(srv)
    assert fn.bodies() == [[json.dumps({"kind": "keep", "n": 1})]]
    assert q.counts() == (0, 0)


def test_a_plain_text_pattern_matches_a_plain_body(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    pattern = json.dumps({"body": [{"prefix": "hello"}]})
    mapping(lam, fn.name, q, BatchSize=10, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    settle(srv)
    q.send("hello world", "bye", json.dumps("hello json"))
    settle(srv)
    # a JSON string body is text with its quotes: it does not start with "hello"
    assert sorted(b for batch in fn.bodies() for b in batch) == ["hello world"]
    assert q.counts() == (0, 0)


# lifecycle ------------------------------------------------------------------------------


def test_a_disabled_mapping_never_invokes_and_resumes_when_enabled(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    uid = mapping(lam, fn.name, q, BatchSize=10, Enabled=False)
    q.send("m0")
    settle(srv, 5)
    assert fn.bodies() == [] and q.counts() == (1, 0)
    lam.update_event_source_mapping(UUID=uid, Enabled=True)
    settle(srv)
    assert fn.bodies() == [["m0"]]
    lam.update_event_source_mapping(UUID=uid, Enabled=False)
    settle(srv)
    q.send("m1")
    settle(srv, 5)
    assert fn.bodies() == [["m0"]]
    # an update restarts the poller with the new configuration
    lam.update_event_source_mapping(UUID=uid, Enabled=True, BatchSize=1)
    q.send("m2")
    settle(srv)
    assert sorted(fn.bodies()[1:]) == [["m1"], ["m2"]]
    lam.delete_event_source_mapping(UUID=uid)
    settle(srv)
    q.send("m3")
    settle(srv, 5)
    assert len(fn.bodies()) == 3 and q.counts() == (1, 0)


def test_deleting_the_queue_disables_the_mapping_with_a_clear_result(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    uid = mapping(lam, fn.name, q, BatchSize=10)
    settle(srv)
    sqs.delete_queue(QueueUrl=q.url)
    settle(srv)
    got = lam.get_event_source_mapping(UUID=uid)
    assert got["State"] == "Disabled"
    assert got["LastProcessingResult"].startswith("PROBLEM: ")
    assert "The specified queue does not exist." in got["LastProcessingResult"]
    assert lam.list_functions()["Functions"] is not None  # still serving
    lam.delete_event_source_mapping(UUID=uid)


# the on-success extension ---------------------------------------------------------------


def test_on_success_records_each_batch(srv: Server, lam: Any, sqs: Any, tmp_path: Path) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    sink = Queue(sqs)
    on_success = {"OnSuccess": {"Destination": sink.arn}}
    uid = mapping(lam, fn.name, q, BatchSize=10, DestinationConfig=on_success)
    settle(srv)
    entries = [{"Id": b, "MessageBody": b} for b in ("s0", "s1")]
    sent = sqs.send_message_batch(QueueUrl=q.url, Entries=entries)["Successful"]
    ids = [e["MessageId"] for e in sent]
    settle(srv)
    q.send("fail-now")
    settle(srv)
    got = sqs.receive_message(QueueUrl=sink.url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(got) == 1  # the failed batch has no record
    record = json.loads(got[0]["Body"])
    # the stream record's frame (tests/acceptance/test_esm_kinesis.py)
    assert list(record) == [
        "requestContext", "responseContext", "version", "timestamp", "SQSBatchInfo",
        "responsePayload", "timing",
    ]  # fmt: skip
    assert record["version"] == "1.0"
    assert record["timestamp"].endswith("Z")
    context = record["requestContext"]
    assert list(context) == [
        "requestId", "functionArn", "eventSourceMappingArn", "condition", "approximateInvokeCount"
    ]  # fmt: skip
    assert context["condition"] == "Success" and context["approximateInvokeCount"] == 1
    assert context["functionArn"].endswith(f":function:{fn.name}")
    assert context["eventSourceMappingArn"].endswith(f":event-source-mapping:{uid}")
    assert record["responseContext"] == {
        "statusCode": 200, "executedVersion": "$LATEST", "functionError": None
    }  # fmt: skip
    assert record["responsePayload"] == {"ok": 2}
    info = record["SQSBatchInfo"]
    assert info["queueArn"] == q.arn and info["batchSize"] == 2
    assert sorted(info["messageIds"]) == sorted(ids) and "failedMessageIds" not in info
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert set(record["timing"]) == {"startedAt", "durationMs"}


def test_on_success_record_lists_what_a_partial_response_kept(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs, VisibilityTimeout="60")
    sink = Queue(sqs)
    kept, done = q.send("k", "d")
    answer = {"batchItemFailures": [{"itemIdentifier": kept}]}
    (asked,) = q.send("answer:" + json.dumps(answer))
    mapping(
        lam, fn.name, q, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"],
        DestinationConfig={"OnSuccess": {"Destination": sink.arn}},
    )  # fmt: skip
    settle(srv)
    got = sqs.receive_message(QueueUrl=sink.url, MaxNumberOfMessages=10)["Messages"]
    info = json.loads(got[0]["Body"])["SQSBatchInfo"]
    assert sorted(info["messageIds"]) == sorted([kept, done, asked])
    assert info["failedMessageIds"] == [kept] and info["batchSize"] == 3
    assert q.counts() == (0, 1)  # the kept one, in flight


def test_an_on_success_record_waits_for_its_queue_to_exist(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    """The record is an outbox row written before the batch is deleted: a destination
    missing when it is due gets it, once, after it is created (retried with backoff)."""
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    late = _name("late")
    sink_arn = q.arn.rsplit(":", 1)[0] + ":" + late
    mapping(lam, fn.name, q, DestinationConfig={"OnSuccess": {"Destination": sink_arn}})
    settle(srv)
    q.send("s0")
    # Invoked and deleted first: a 30 s jump while the batch runs would outrun the queue's
    # 30 s visibility timeout and deliver the message again (at least once, as SQS may).
    settle(srv)
    settle(srv, 30)  # the record's sends fail
    assert fn.bodies() == [["s0"]] and q.counts() == (0, 0)
    url = sqs.create_queue(QueueName=late)["QueueUrl"]
    settle(srv, 600)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(got) == 1
    assert json.loads(got[0]["Body"])["SQSBatchInfo"]["queueArn"] == q.arn
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    settle(srv, 600)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


# the aws CLI ----------------------------------------------------------------------------


def _aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", server.endpoint, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def test_the_aws_cli_wires_a_queue_to_a_function(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    q = Queue(sqs)
    made = _aws(
        srv, "lambda", "create-event-source-mapping", "--function-name", fn.name,
        "--event-source-arn", q.arn, "--batch-size", "5",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    settle(srv)
    sent = _aws(srv, "sqs", "send-message", "--queue-url", q.url, "--message-body", "from-cli")
    assert sent.returncode == 0, sent.stderr
    settle(srv)
    assert fn.bodies() == [["from-cli"]]
    assert q.counts() == (0, 0)


# concurrency, on the system clock: environments grow in real time ----------------------

OVERLAP = """
import os, time, uuid

def handler(event, context):
    start = time.time()
    time.sleep(0.4)
    path = os.path.join(os.environ["OUT"], uuid.uuid4().hex + ".json")
    with open(path, "w") as f:
        f.write('{"Records": [], "span": [%r, %r]}' % (start, time.time()))
"""


def _max_overlap(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = peak = 0
    for _, step in edges:
        running += step
        peak = max(peak, running)
    return peak


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("esm-sqs-live"), "--no-example")
    yield server
    stop_server(server)


@pytest.mark.parametrize("cap", [2, None])
def test_maximum_concurrency_caps_concurrent_batches(
    live: Server, tmp_path: Path, cap: int | None
) -> None:
    lam, sqs = live.client("lambda"), live.client("sqs")
    fn = Recorder(lam, tmp_path / "out", OVERLAP, Timeout=30)
    q = Queue(sqs, VisibilityTimeout="120")
    for start in range(0, 20, 10):
        entries = [{"Id": str(i), "MessageBody": f"c{i}"} for i in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=q.url, Entries=entries)
    extra = {"ScalingConfig": {"MaximumConcurrency": cap}} if cap else {}
    mapping(lam, fn.name, q, BatchSize=1, **extra)
    drain(live.endpoint)
    spans = [tuple(e["span"]) for e in fn.events()]
    assert len(spans) == 20
    peak = _max_overlap(spans)  # type: ignore[arg-type]
    if cap is None:
        assert peak > 2  # without a cap the same backlog runs wider: the cap is what holds it
    else:
        assert peak == cap


# throttling -----------------------------------------------------------------------------


def test_a_throttled_batch_is_kept_and_delivered_later(
    srv: Server, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    fn = Recorder(lam, tmp_path / "out")
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=0)
    q = Queue(sqs, VisibilityTimeout="30")
    mapping(lam, fn.name, q, BatchSize=10)
    settle(srv)
    entries = [{"Id": str(i), "MessageBody": f"t{i}"} for i in range(3)]
    sqs.send_message_batch(QueueUrl=q.url, Entries=entries)
    settle(srv)
    assert fn.bodies() == []
    assert q.counts() == (0, 3)  # not lost: in flight until the visibility timeout
    lam.delete_function_concurrency(FunctionName=fn.name)
    settle(srv, 31)
    assert sorted(b for batch in fn.bodies() for b in batch) == ["t0", "t1", "t2"]
    assert q.counts() == (0, 0)


# aws-lambda-powertools, shipped in the function's code as users ship it ------------------

POWERTOOLS_HANDLER = """
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record):
    if record.body.startswith("bad"):
        raise ValueError("bad record")
    return record.body


def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
"""


def test_a_powertools_batch_processor_reports_partial_failures(
    srv: Server, lam: Any, sqs: Any, powertools: Path
) -> None:
    name = _name("pt")
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": package(powertools, POWERTOOLS_HANDLER)}, Timeout=30,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    q = Queue(sqs, VisibilityTimeout="60")
    entries = [{"Id": b, "MessageBody": b} for b in ("good-1", "bad-1", "good-2")]
    sqs.send_message_batch(QueueUrl=q.url, Entries=entries)
    uid = mapping(lam, name, q, BatchSize=10, FunctionResponseTypes=["ReportBatchItemFailures"])
    settle(srv)
    assert q.counts() == (0, 1)  # the good ones deleted, the bad one kept
    assert lam.get_event_source_mapping(UUID=uid)["LastProcessingResult"] == "OK"
    lam.update_event_source_mapping(UUID=uid, Enabled=False)
    settle(srv, 61)
    got = sqs.receive_message(QueueUrl=q.url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in got] == ["bad-1"]
