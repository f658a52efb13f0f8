"""Kinesis event source mappings against a real server on the virtual clock: the event
shape, starting positions, batching windows, retries in order, bisection, the on-failure
record, record age, partial batch responses, parallelization, tumbling windows and
throttling. Handlers log every event they get to a file the test reads."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import advance, clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

REGION, ACCOUNT = "us-east-1", "000000000000"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/lambda-role"

# Logs each event; fails while the data "poison" is in its batch; with FAIL_TIMES set, fails
# that many invocations first; with PARTIAL, reports the "poison" records as failures.
HANDLER = """
import base64, json, os

def handler(event, context):
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    datas = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event.get("Records", [])]
    mode = os.environ.get("MODE", "")
    if mode == "fail-times":
        path = os.environ["LOG"] + ".count"
        n = int(open(path).read()) if os.path.exists(path) else 0
        open(path, "w").write(str(n + 1))
        if n < int(os.environ["FAIL_TIMES"]):
            raise RuntimeError("not yet")
    if mode == "partial":
        pairs = zip(event["Records"], datas)
        bad = [r["kinesis"]["sequenceNumber"] for r, d in pairs if d == "poison"]
        return {"batchItemFailures": [{"itemIdentifier": s} for s in bad]}
    if mode == "window":
        state = dict(event["state"])
        state["n"] = state.get("n", 0) + len(datas)
        return {"state": state}
    if "poison" in datas:
        raise ValueError("poison")
    return {"ok": len(datas)}
"""

_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("esmk"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def kinesis(srv: Server) -> Any:
    return srv.client("kinesis")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


def new_stream(kinesis: Any, shards: int = 1) -> str:
    name = f"s-{os.getpid()}-{next(_names)}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.05})
    return str(
        kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    )


def new_queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"q-{os.getpid()}-{next(_names)}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


class Fn:
    def __init__(self, lam: Any, tmp: Path, **env: str) -> None:
        self.log = tmp / f"log-{next(_names)}.jsonl"
        self.name = create(lam, HANDLER, Environment={"Variables": {"LOG": str(self.log), **env}})

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def datas(self) -> list[list[str]]:
        return [
            [base64.b64decode(r["kinesis"]["data"]).decode() for r in e["Records"]]
            for e in self.events()
        ]


def put(kinesis: Any, arn: str, *datas: str, key: str = "k") -> list[dict[str, Any]]:
    out = []
    for data in datas:
        out.append(kinesis.put_record(StreamARN=arn, Data=data.encode(), PartitionKey=key))
    return out


def mapping(lam: Any, fn: Fn, arn: str, **config: Any) -> str:
    config.setdefault("StartingPosition", "TRIM_HORIZON")
    uuid = lam.create_event_source_mapping(FunctionName=fn.name, EventSourceArn=arn, **config)
    assert lam.get_event_source_mapping(UUID=uuid["UUID"])["State"] == "Enabled"
    return str(uuid["UUID"])


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = []
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        if not page.get("Messages"):
            return got
        for m in page["Messages"]:
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


def test_event_shape_is_aws_to_the_byte(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    sent = put(kinesis, arn, "hello", "world", key="pk-1")
    uuid = mapping(lam, fn, arn)
    drain(srv.endpoint)
    shard = sent[0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamARN=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    stored = kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"]
    expected = [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": "pk-1",
                "sequenceNumber": s["SequenceNumber"],
                "data": base64.b64encode(d).decode(),
                "approximateArrivalTimestamp": round(
                    r["ApproximateArrivalTimestamp"].timestamp(), 3
                ),
            },
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{shard}:{s['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
            "invokeIdentityArn": ROLE_ARN,
            "awsRegion": REGION,
            "eventSourceARN": arn,
        }
        for s, d, r in zip(sent, [b"hello", b"world"], stored, strict=True)
    ]
    raw = fn.log.read_text().splitlines()
    assert len(raw) == 1
    assert list(json.loads(raw[0])) == ["Records"]
    got = json.loads(raw[0])["Records"]
    assert got == expected
    assert [list(r) for r in got] == [list(e) for e in expected]  # key order too
    assert [list(r["kinesis"]) for r in got] == [list(e["kinesis"]) for e in expected]
    assert lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_starting_positions(srv: Server, lam: Any, kinesis: Any, tmp_path: Path) -> None:
    arn = new_stream(kinesis)
    put(kinesis, arn, "old-1", "old-2")
    advance(srv.endpoint, 10)
    middle = clock_now(srv.endpoint)
    put(kinesis, arn, "mid")
    latest, trim, at = Fn(lam, tmp_path), Fn(lam, tmp_path), Fn(lam, tmp_path)
    mapping(lam, latest, arn, StartingPosition="LATEST")
    mapping(lam, trim, arn, StartingPosition="TRIM_HORIZON")
    mapping(lam, at, arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=middle)
    drain(srv.endpoint)
    put(kinesis, arn, "new")
    drain(srv.endpoint)
    assert sum(latest.datas(), []) == ["new"]
    assert sum(trim.datas(), []) == ["old-1", "old-2", "mid", "new"]
    assert sum(at.datas(), []) == ["mid", "new"]


def test_batch_size_and_window_on_the_clock(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    mapping(lam, fn, arn, BatchSize=4, MaximumBatchingWindowInSeconds=5)
    drain(srv.endpoint)
    put(kinesis, arn, "a", "b", "c")
    drain(srv.endpoint)
    assert fn.datas() == []  # neither full nor past its window
    advance(srv.endpoint, 5)
    drain(srv.endpoint)
    assert fn.datas() == [["a", "b", "c"]]
    put(kinesis, arn, *"defghi")
    drain(srv.endpoint)
    assert fn.datas()[1:] == [["d", "e", "f", "g"]]  # full: at once
    advance(srv.endpoint, 5)
    drain(srv.endpoint)
    assert fn.datas()[1:] == [["d", "e", "f", "g"], ["h", "i"]]


def test_a_failing_batch_is_retried_in_order_and_blocks_its_shard(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path, MODE="fail-times", FAIL_TIMES="3"), new_stream(kinesis)
    put(kinesis, arn, "1", "2", "3")
    uuid = mapping(lam, fn, arn, BatchSize=2)
    drain(srv.endpoint)
    assert fn.datas() == [["1", "2"]]
    assert lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == (
        "PROBLEM: Function call failed"
    )
    for _ in range(4):
        advance(srv.endpoint, 60)
        drain(srv.endpoint)
    assert fn.datas() == [["1", "2"]] * 4 + [["3"]]
    assert lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_bisect_isolates_a_poison_record_then_on_failure(
    srv: Server, lam: Any, kinesis: Any, sqs: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    url, qarn = new_queue(sqs)
    datas = [str(i) for i in range(16)]
    datas[11] = "poison"
    sent = put(kinesis, arn, *datas)
    mapping(
        lam, fn, arn, BatchSize=16, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": qarn}},
    )  # fmt: skip
    drain(srv.endpoint)
    poisoned = [b for b in fn.datas() if "poison" in b]
    assert [len(b) for b in poisoned] == [16, 8, 4, 2, 1]  # log2(16) splits, then the record
    delivered = sum((b for b in fn.datas() if "poison" not in b), [])
    assert delivered == [d for d in datas if d != "poison"]  # each once, in order
    (record,) = receive_all(sqs, url)
    info = record["KinesisBatchInfo"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sent[11]["SequenceNumber"]
    assert info["batchSize"] == 1 and info["streamArn"] == arn


def test_retries_exhausted_sends_the_stream_failure_record(
    srv: Server, lam: Any, kinesis: Any, sqs: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    url, qarn = new_queue(sqs)
    sent = put(kinesis, arn, "a", "poison", "b")
    mapping(
        lam, fn, arn, BatchSize=3, MaximumRetryAttempts=2,
        DestinationConfig={"OnFailure": {"Destination": qarn}},
    )  # fmt: skip
    drain(srv.endpoint)
    for _ in range(3):
        advance(srv.endpoint, 60)
        drain(srv.endpoint)
    assert fn.datas() == [["a", "poison", "b"]] * 3
    put(kinesis, arn, "after")
    drain(srv.endpoint)
    assert fn.datas()[3:] == [["after"]]  # skipped past the batch, the shard goes on
    (record,) = receive_all(sqs, url)
    assert set(record) == {
        "requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo"
    }  # fmt: skip
    ctx = record["requestContext"]
    fn_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn.name}"
    assert (ctx["functionArn"], ctx["condition"], ctx["approximateInvokeCount"]) == (
        fn_arn, "RetryAttemptsExhausted", 3
    )  # fmt: skip
    assert record["responseContext"] == {
        "statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"
    }  # fmt: skip
    info = record["KinesisBatchInfo"]
    assert list(info) == [
        "shardId", "startSequenceNumber", "endSequenceNumber", "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord", "batchSize", "streamArn",
    ]  # fmt: skip
    assert (info["shardId"], info["startSequenceNumber"], info["endSequenceNumber"]) == (
        sent[0]["ShardId"], sent[0]["SequenceNumber"], sent[2]["SequenceNumber"]
    )  # fmt: skip
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert len(info["approximateArrivalOfFirstRecord"]) == len("2019-11-14T00:38:04.835Z")


def test_record_age_exceeded(srv: Server, lam: Any, kinesis: Any, sqs: Any, tmp_path: Path) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    url, qarn = new_queue(sqs)
    put(kinesis, arn, "poison")
    mapping(
        lam, fn, arn, MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": qarn}},
    )  # fmt: skip
    drain(srv.endpoint)
    advance(srv.endpoint, 61)
    drain(srv.endpoint)
    (record,) = receive_all(sqs, url)
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert "responseContext" not in record
    invocations = len(fn.datas())
    advance(srv.endpoint, 120)
    drain(srv.endpoint)
    assert len(fn.datas()) == invocations  # discarded: never invoked again


def test_report_batch_item_failures_resumes_at_the_failed_record(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path, MODE="partial"), new_stream(kinesis)
    put(kinesis, arn, "a", "b", "poison", "c")
    mapping(lam, fn, arn, FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=1)
    drain(srv.endpoint)
    assert fn.datas() == [["a", "b", "poison", "c"]]
    advance(srv.endpoint, 60)
    drain(srv.endpoint)
    # the records before the failed one are checkpointed; the rest is retried, then skipped
    assert fn.datas()[1:] == [["poison", "c"]]


PF_HANDLER = """
import base64, json, os, time

def handler(event, context):
    start = time.time()
    time.sleep(0.2)
    keys = [[r["kinesis"]["partitionKey"], r["kinesis"]["sequenceNumber"]]
            for r in event["Records"]]
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps({"keys": keys, "start": start, "end": time.time()}) + "\\n")
"""


def test_parallelization_factor_keeps_each_key_in_order(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    arn = new_stream(kinesis)
    log = tmp_path / "pf.jsonl"
    name = create(lam, PF_HANDLER, Environment={"Variables": {"LOG": str(log)}})
    sent: dict[str, list[str]] = {}
    for i in range(60):
        key = f"key-{i % 12}"
        (out,) = put(kinesis, arn, str(i), key=key)
        sent.setdefault(key, []).append(out["SequenceNumber"])
    advance(srv.endpoint, 30)  # a backlog: environments grow with it
    lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        BatchSize=5, ParallelizationFactor=4,
    )  # fmt: skip
    drain(srv.endpoint)
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    seen: dict[str, list[str]] = {}
    for call in calls:
        for key, seq in call["keys"]:
            seen.setdefault(key, []).append(seq)
    assert seen == sent  # every record once, each key in order
    overlapping = any(
        a["start"] < b["end"] and b["start"] < a["end"]
        for i, a in enumerate(calls)
        for b in calls[i + 1 :]
    )
    assert overlapping  # several batches of the shard at once


def test_tumbling_window_passes_state_and_closes_the_window(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path, MODE="window"), new_stream(kinesis)
    put(kinesis, arn, "a", "b", "c")
    mapping(lam, fn, arn, BatchSize=2, TumblingWindowInSeconds=30)
    drain(srv.endpoint)
    events = fn.events()
    assert [len(e["Records"]) for e in events] == [2, 1]
    assert [e["state"] for e in events] == [{}, {"n": 2}]
    assert [e["isFinalInvokeForWindow"] for e in events] == [False, False]
    first = events[0]
    assert set(first) == {
        "Records", "window", "state", "shardId", "eventSourceARN", "isFinalInvokeForWindow",
        "isWindowTerminatedEarly",
    }  # fmt: skip
    assert (first["shardId"], first["eventSourceARN"]) == ("shardId-000000000000", arn)
    assert first["isWindowTerminatedEarly"] is False
    advance(srv.endpoint, 30)
    drain(srv.endpoint)
    final = fn.events()[2]
    assert (final["Records"], final["state"], final["isFinalInvokeForWindow"]) == (
        [], {"n": 3}, True
    )  # fmt: skip
    assert final["window"] == first["window"]
    put(kinesis, arn, "d")
    drain(srv.endpoint)
    fresh = fn.events()[3]
    assert fresh["state"] == {} and fresh["window"]["start"] == first["window"]["end"]


def test_throttled_batches_wait_and_lose_nothing(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=0)
    put(kinesis, arn, "1", "2", "3")
    mapping(lam, fn, arn, BatchSize=2, MaximumRetryAttempts=0)
    drain(srv.endpoint)
    for _ in range(3):
        advance(srv.endpoint, 60)
        drain(srv.endpoint)
    assert fn.datas() == []
    lam.put_function_concurrency(FunctionName=fn.name, ReservedConcurrentExecutions=2)
    advance(srv.endpoint, 60)
    drain(srv.endpoint)
    # throttles are not retries: nothing went to a destination, all of it arrives in order
    assert fn.datas() == [["1", "2"], ["3"]]


def test_deleting_the_stream_under_a_mapping(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    uuid = mapping(lam, fn, arn)
    put(kinesis, arn, "x")
    drain(srv.endpoint)
    kinesis.delete_stream(StreamARN=arn)
    kinesis.get_waiter("stream_not_exists").wait(
        StreamName=arn.rsplit("/", 1)[1], WaiterConfig={"Delay": 0.05}
    )
    drain(srv.endpoint)
    got = lam.get_event_source_mapping(UUID=uuid)
    assert (got["State"], got["LastProcessingResult"]) == (
        "Enabled", "PROBLEM: Stream not found"
    )  # fmt: skip
    assert fn.datas() == [["x"]]
    lam.delete_event_source_mapping(UUID=uuid)  # and the server keeps serving
    assert lam.list_functions()["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_lambdalite_mappings_shows_batches_errors_and_iterator_age(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    put(kinesis, arn, "poison", "a", "b")
    advance(srv.endpoint, 5)  # they wait 5 s in the stream
    uuid = mapping(lam, fn, arn, BatchSize=1, MaximumRetryAttempts=0)
    drain(srv.endpoint)
    env = {**os.environ, "LAMBDALITE_ENDPOINT": srv.endpoint}

    def run(*args: str) -> str:
        command = [sys.executable, "-m", "lambdalite.cli.main", "mappings", *args]
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout

    header, row = run("--source", arn).splitlines()
    assert header.split()[4:8] == ["BATCHES", "ERRORS", "AGE", "MS/DEPTH"]
    assert row.split(maxsplit=7)[3:] == ["Enabled", "3", "1", "5000", "OK"]
    shown = run(uuid).splitlines()
    assert f"{'IteratorAgeMilliseconds':<32}5000" in shown
    assert f"{'Errors':<32}1" in shown
    outcomes = [line.split()[1] for line in shown[shown.index("Recent batches:") + 2 :]]
    assert outcomes == ["failed", "success", "success"]


@pytest.fixture(scope="module")
def extended(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("esmk-ext"), "--no-example", "--clock", "virtual",
        env={"LAMBDALITE_EXTENSIONS": "1"},
    )  # fmt: skip
    yield server
    stop_server(server)


def test_on_success_destination_gets_each_batch_with_the_extensions_switch(
    extended: Server, tmp_path: Path
) -> None:
    lam, kinesis, sqs = (extended.client(s) for s in ("lambda", "kinesis", "sqs"))
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    url, qarn = new_queue(sqs)
    sent = put(kinesis, arn, "a", "b", "c")
    uuid = mapping(
        lam, fn, arn, BatchSize=2, DestinationConfig={"OnSuccess": {"Destination": qarn}}
    )
    drain(extended.endpoint)
    records = receive_all(sqs, url)
    assert len(records) == 2
    first = min(records, key=lambda r: r["KinesisBatchInfo"]["startSequenceNumber"])
    assert set(first) == {
        "requestContext", "responseContext", "version", "timestamp", "KinesisBatchInfo",
        "responsePayload", "timing",
    }  # fmt: skip
    ctx = first["requestContext"]
    assert (ctx["condition"], ctx["approximateInvokeCount"]) == ("Success", 1)
    assert ctx["eventSourceMappingArn"].endswith(f":event-source-mapping:{uuid}")
    assert first["responseContext"]["functionError"] is None
    assert first["responsePayload"] == {"ok": 2}
    info = first["KinesisBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == (
        sent[0]["SequenceNumber"], sent[1]["SequenceNumber"], 2
    )  # fmt: skip
    assert set(first["timing"]) == {"startedAt", "durationMs"}


def test_filtered_out_records_are_skipped(
    srv: Server, lam: Any, kinesis: Any, tmp_path: Path
) -> None:
    fn, arn = Fn(lam, tmp_path), new_stream(kinesis)
    keep, drop = json.dumps({"kind": "keep"}), json.dumps({"kind": "drop"})
    put(kinesis, arn, keep, drop, "not json", keep)
    pattern = json.dumps({"data": {"kind": ["keep"]}})
    mapping(lam, fn, arn, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    drain(srv.endpoint)
    assert fn.datas() == [[keep, keep]]  # non-JSON data never matches a data pattern
    put(kinesis, arn, drop)
    drain(srv.endpoint)
    assert len(fn.datas()) == 1  # every record filtered out: no invocation
