"""The console's mappings screen and batch view without a browser, on the virtual clock:
a Kinesis batch bisected down to a poison record that goes to the on-failure queue, a
batch that keeps failing (Retrying, the IteratorAge growing), an SQS batch with filtered
records and a partial failure, and Enable/Disable through the console's POST."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

UI = "/_lambdalite/ui"
API = "/_lambdalite/api"
_names = count()

KINESIS = """
import base64
def handler(event, context):
    datas = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    if "poison" in datas or "always" in datas:
        raise ValueError("poison")
    return {"ok": len(datas)}
"""
SQS_PARTIAL = """
def handler(event, context):
    bad = [r["messageId"] for r in event["Records"] if '"bad"' in r["body"]]
    return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("maps"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def _stream(srv: Server) -> str:
    kinesis = srv.client("kinesis")
    name = f"cs-{os.getpid()}-{next(_names)}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.05})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    return str(summary["StreamARN"])


def _queue(srv: Server) -> tuple[str, str]:
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName=f"cq-{os.getpid()}-{next(_names)}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, attrs["QueueArn"]


def _mapping_row(srv: Server, uuid: str) -> dict[str, Any]:
    doc = httpx.get(f"{srv.endpoint}{API}/mappings").json()
    (row,) = [m for m in doc["mappings"] if m["uuid"] == uuid]
    return row


def _batch_of_first_invocation(srv: Server, name: str, uuid: str) -> dict[str, Any]:
    doc = httpx.get(f"{srv.endpoint}{API}/invocations", params={"function": name}).json()
    first = doc["invocations"][-1]
    assert first["trigger"] == "mapping" and first["sourceId"] == uuid
    batch = httpx.get(f"{srv.endpoint}{API}/batches/{first['requestId']}")
    assert batch.status_code == 200
    return dict(batch.json()["batch"])


def test_a_bisected_kinesis_batch_and_its_on_failure_record(srv: Server) -> None:
    lam, kinesis = srv.client("lambda"), srv.client("kinesis")
    name, arn = create(lam, KINESIS), _stream(srv)
    url, qarn = _queue(srv)
    for data in ["a", "b", "poison", "c"]:
        kinesis.put_record(StreamARN=arn, Data=data.encode(), PartitionKey="k")
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=4,
        BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": qarn}},
    )["UUID"]  # fmt: skip
    drain(srv.endpoint)

    batch = _batch_of_first_invocation(srv, name, uuid)
    assert batch["source"] == "kinesis" and batch["records"] == 4
    assert [i["records"] for i in batch["invokes"]] == [4, 2, 2, 1, 1]
    assert [i["outcome"] for i in batch["invokes"]] == [
        "failed", "success", "failed", "failed", "success"
    ]  # fmt: skip
    kinds = [s["kind"] for s in batch["steps"]]
    assert kinds.count("bisect") == 2 and kinds[-1] == "checkpoint"
    (failure,) = [s for s in batch["steps"] if s["kind"] == "onFailure"]
    sent = json.loads(srv.client("sqs").receive_message(QueueUrl=url)["Messages"][0]["Body"])
    assert failure["record"] == sent  # the exact record the queue got
    assert failure["condition"] == "RetryAttemptsExhausted" and failure["records"] == 1
    assert batch["state"] == "Discarded"

    row = _mapping_row(srv, uuid)
    (shard,) = row["lag"]["shards"]
    assert shard["checkpoint"] == shard["latest"] and shard["behind"] == 0
    assert row["lastProcessingResult"] == "OK" and row["bisectBatchOnFunctionError"]
    page = httpx.get(f"{srv.endpoint}{UI}/batches/{batch['id']}").text
    assert "split into 2 + 2 records" in page and "RetryAttemptsExhausted" in page
    fn_page = httpx.get(f"{srv.endpoint}{UI}/functions/{name}").text
    assert re.search(r'class="batch-link" href="/_lambdalite/ui/batches/[0-9a-f-]+"', fn_page)


def test_a_failing_kinesis_batch_is_retrying_and_its_iterator_age_grows(srv: Server) -> None:
    lam, kinesis = srv.client("lambda"), srv.client("kinesis")
    name, arn = create(lam, KINESIS), _stream(srv)
    kinesis.put_record(StreamARN=arn, Data=b"always", PartitionKey="k")
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, StartingPosition="TRIM_HORIZON"
    )["UUID"]
    drain(srv.endpoint)
    advance(srv.endpoint, 30)
    drain(srv.endpoint)
    row = _mapping_row(srv, uuid)
    assert row["lastProcessingResult"] == "PROBLEM: Function call failed"
    (batch,) = row["batches"]
    assert batch["state"] == "Retrying" and batch["retryAt"] is not None
    assert len(batch["invokes"]) >= 2
    assert row["lag"]["iteratorAgeMs"] >= 30_000
    (shard,) = row["lag"]["shards"]
    assert shard["behind"] == 1 and shard["checkpoint"] != shard["latest"]


def test_an_sqs_batch_shows_filtered_records_failures_and_deletes(srv: Server) -> None:
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    name = create(lam, SQS_PARTIAL)
    url, arn = _queue(srv)
    bodies = ['{"k": "ok"}', '{"k": "bad"}', '{"k": "skip"}', '{"k": "ok"}']
    ids = [sqs.send_message(QueueUrl=url, MessageBody=b)["MessageId"] for b in bodies]
    pattern = json.dumps({"body": {"k": ["ok", "bad"]}})
    uuid = lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=arn, BatchSize=10,
        FunctionResponseTypes=["ReportBatchItemFailures"],
        FilterCriteria={"Filters": [{"Pattern": pattern}]},
    )["UUID"]  # fmt: skip
    drain(srv.endpoint)
    batch = _batch_of_first_invocation(srv, name, uuid)
    assert batch["filteredOut"] == 1
    assert batch["messageIds"] == [ids[0], ids[1], ids[3]]
    (invoke,) = batch["invokes"]
    assert invoke["outcome"] == "Partial" and invoke["batchItemFailures"] == [ids[1]]
    (deleted,) = [s for s in batch["steps"] if s["kind"] == "deleted"]
    assert deleted["count"] == 2 and deleted["kept"] == [ids[1]]
    row = _mapping_row(srv, uuid)
    assert row["filterCriteria"] == [pattern]
    assert row["lag"]["inFlight"] == 1 and row["lag"]["visible"] == 0


def test_disable_and_enable_from_the_console(srv: Server) -> None:
    lam = srv.client("lambda")
    name = create(lam, SQS_PARTIAL)
    _, arn = _queue(srv)
    uuid = lam.create_event_source_mapping(FunctionName=name, EventSourceArn=arn)["UUID"]
    page = httpx.get(f"{srv.endpoint}{UI}/mappings").text
    token = re.search(r'data-csrf="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    headers = {"origin": srv.endpoint, "x-csrf-token": token}
    action = f"{srv.endpoint}{UI}/actions/mapping"
    assert httpx.post(action, data={"uuid": uuid, "enabled": "false"}).status_code == 403
    answer = httpx.post(action, data={"uuid": uuid, "enabled": "false"}, headers=headers)
    assert answer.status_code == 200 and "Disabling" in answer.text
    drain(srv.endpoint)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    again = httpx.post(action, data={"uuid": uuid, "enabled": "true"}, headers=headers)
    assert again.status_code == 200
    drain(srv.endpoint)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    missing = httpx.post(action, data={"uuid": "nope", "enabled": "true"}, headers=headers)
    assert missing.status_code == 404
    assert httpx.get(f"{srv.endpoint}{API}/batches/none").status_code == 404
