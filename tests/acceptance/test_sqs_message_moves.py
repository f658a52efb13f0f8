"""StartMessageMoveTask / ListMessageMoveTasks / CancelMessageMoveTask: a dead-letter queue
redriven back to its source queue, through boto3 and the aws CLI, with AWS's errors."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest

from lambdalite.testing import Server, drain, start_server, stop_server

_names = count()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("moves"), "--no-example")
    yield srv
    stop_server(srv)


def _arn(sqs: Any, url: str) -> str:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def _dead_lettered(server: Server, bodies: list[str]) -> tuple[Any, str, str, str]:
    sqs = server.client("sqs")
    n = next(_names)
    dlq = sqs.create_queue(QueueName=f"moves-dlq-{n}")["QueueUrl"]
    policy = json.dumps({"deadLetterTargetArn": _arn(sqs, dlq), "maxReceiveCount": 1})
    source = sqs.create_queue(QueueName=f"moves-src-{n}", Attributes={"RedrivePolicy": policy})[
        "QueueUrl"
    ]
    for body in bodies:
        sqs.send_message(QueueUrl=source, MessageBody=body, MessageAttributes={
            "k": {"DataType": "String", "StringValue": body}})  # fmt: skip
    got = sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert len(got["Messages"]) == len(bodies)
    assert "Messages" not in sqs.receive_message(QueueUrl=source, MaxNumberOfMessages=10)
    return sqs, source, dlq, _arn(sqs, dlq)


def test_a_dlq_is_redriven_to_its_source_queue(server: Server) -> None:
    sqs, source, dlq, dlq_arn = _dead_lettered(server, ["a", "b", "c"])
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    drain(server.endpoint)
    (task,) = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert task["TaskHandle"] == handle and task["Status"] == "COMPLETED"
    assert task["ApproximateNumberOfMessagesMoved"] == 3
    assert task["ApproximateNumberOfMessagesToMove"] == 3
    back = sqs.receive_message(
        QueueUrl=source, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
    )["Messages"]
    assert sorted(m["Body"] for m in back) == ["a", "b", "c"]
    assert all(m["MessageAttributes"]["k"]["StringValue"] == m["Body"] for m in back)
    assert "Messages" not in sqs.receive_message(QueueUrl=dlq)
    with pytest.raises(sqs.exceptions.UnsupportedOperation):
        sqs.cancel_message_move_task(TaskHandle=handle)  # not RUNNING any more


def test_the_aws_cli_starts_and_lists_tasks(server: Server) -> None:
    sqs, source, dlq, dlq_arn = _dead_lettered(server, ["x"])
    aws = ["aws", "--endpoint-url", server.endpoint, "--region", "us-east-1", "sqs"]
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    destination = ["--destination-arn", _arn(sqs, source)]
    started = subprocess.run(
        [*aws, "start-message-move-task", "--source-arn", dlq_arn, *destination],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert started.returncode == 0, started.stderr
    drain(server.endpoint)
    listed = subprocess.run(
        [*aws, "list-message-move-tasks", "--source-arn", dlq_arn], capture_output=True,
        text=True, env=env,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    (task,) = json.loads(listed.stdout)["Results"]
    assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 1


def test_errors_are_aws_errors(server: Server) -> None:
    sqs = server.client("sqs")
    missing = "arn:aws:sqs:us-east-1:000000000000:nope"
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.start_message_move_task(SourceArn=missing)
    plain = sqs.create_queue(QueueName=f"moves-plain-{next(_names)}")["QueueUrl"]
    with pytest.raises(sqs.exceptions.ClientError) as not_dlq:
        sqs.start_message_move_task(SourceArn=_arn(sqs, plain))
    assert not_dlq.value.response["Error"]["Code"] == "InvalidParameterValue"
    _, _, _, dlq_arn = _dead_lettered(server, ["q"])
    with pytest.raises(sqs.exceptions.ClientError) as rate:
        sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=501)
    assert rate.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ResourceNotFoundException):
        sqs.cancel_message_move_task(TaskHandle="bm9wZQ==")
    assert sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"] == []
