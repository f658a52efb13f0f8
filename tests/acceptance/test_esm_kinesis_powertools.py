"""A Kinesis handler written the way most users write one: aws-lambda-powertools'
BatchProcessor(EventType.KinesisDataStreams) with process_partial_response, installed into
the function's code directory with `pip install --target` (as users ship it) and zipped."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import ROLE, advance, drain
from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.powertools import package

HANDLER = """
import base64, os
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor, EventType, process_partial_response,
)

processor = BatchProcessor(event_type=EventType.KinesisDataStreams)


def record_handler(record):
    data = base64.b64decode(record.kinesis.data).decode()
    if data == "poison":
        raise ValueError("poison")
    with open(os.environ["LOG"], "a") as f:
        f.write(data + "\\n")


def handler(event, context):
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
"""


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("esmk-pt"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def test_powertools_batch_processor_reports_partial_failures(
    srv: Server, powertools: Path, tmp_path: Path
) -> None:
    lam, kinesis, sqs = (srv.client(s) for s in ("lambda", "kinesis", "sqs"))
    log = tmp_path / "done.txt"
    lam.create_function(
        FunctionName="pt", Runtime="python3.12", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": package(powertools, HANDLER)}, Timeout=30,
        Environment={"Variables": {"LOG": str(log)}},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="pt", WaiterConfig={"Delay": 0.1})
    kinesis.create_stream(StreamName="pt", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="pt", WaiterConfig={"Delay": 0.05})
    arn = kinesis.describe_stream_summary(StreamName="pt")["StreamDescriptionSummary"]["StreamARN"]
    url = sqs.create_queue(QueueName="pt-failures")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    sent = [
        kinesis.put_record(StreamName="pt", Data=d.encode(), PartitionKey="k")
        for d in ("a", "b", "poison", "c")
    ]
    lam.create_event_source_mapping(
        FunctionName="pt", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": qarn["QueueArn"]}},
    )  # fmt: skip
    drain(srv.endpoint)
    # Powertools handles every record and reports the poison alone
    assert log.read_text().split() == ["a", "b", "c"]
    for _ in range(4):
        advance(srv.endpoint, 60)
        drain(srv.endpoint)
    done = log.read_text().split()
    # a and b were checkpointed by the partial response; the retry resumed at the poison, so
    # c ran again (at-least-once), until bisection set the poison apart
    assert done[:3] == ["a", "b", "c"] and set(done[3:]) == {"c"} and len(done) > 3
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    (record,) = [json.loads(m["Body"]) for m in messages]
    info: dict[str, Any] = record["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sent[2]["SequenceNumber"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    # alone in its batch the poison makes Powertools raise ("All records failed processing")
    assert record["responseContext"]["functionError"] == "Unhandled"
