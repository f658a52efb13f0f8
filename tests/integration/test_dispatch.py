"""The dispatcher inside the real ASGI app, behind uvicorn in a thread, driven by boto3:
CloudWatch Logs (the first json service), plus stand-in SQS and SNS tables that prove
routing and that botocore raises the error classes users catch."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
import uvicorn
from botocore.config import Config

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.dispatch import ServiceSpec
from lambdalite.api.json_protocol import wire_error
from lambdalite.config import Settings
from lambdalite.platform import Platform


async def get_queue_url(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    if params["QueueName"] != "known":
        raise wire_error("QueueDoesNotExist")("The specified queue does not exist.")
    return {"QueueUrl": f"http://localhost/{p.settings.account_id}/known"}


async def receive_message(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return {"Messages": [{"MessageId": "m1", "Body": params["QueueUrl"]}]}


async def create_topic(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return {"TopicArn": f"arn:aws:sns:us-east-1:000000000000:{params['Name']}"}


async def publish(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    raise wire_error("NotFoundException", 404)("Topic does not exist")


async def broken(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    raise RuntimeError("a bug")


FAKE_SQS = ServiceSpec(
    "sqs",
    "json",
    {"GetQueueUrl": get_queue_url, "ReceiveMessage": receive_message, "PurgeQueue": broken},
)
FAKE_SNS = ServiceSpec("sns", "query", {"CreateTopic": create_topic, "Publish": publish})


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    data = tmp_path_factory.mktemp("dispatch")
    app = LambdaliteApp(Platform(Settings(data_dir=Path(data), port=port, deploy_example=False)))
    app._dispatcher.register(FAKE_SQS)
    app._dispatcher.register(FAKE_SNS)
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=20)


def _client(endpoint: str, service: str, **config: Any) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, **config),
    )


def test_logs_filter_on_an_empty_group(endpoint: str) -> None:
    logs = _client(endpoint, "logs")
    with pytest.raises(logs.exceptions.ResourceNotFoundException, match="log group does not"):
        logs.filter_log_events(logGroupName="/aws/lambda/nothing-here")
    logs.create_log_group(logGroupName="/aws/lambda/nothing-here")
    result = logs.filter_log_events(logGroupName="/aws/lambda/nothing-here")
    assert result["events"] == []
    streams = logs.describe_log_streams(logGroupName="/aws/lambda/nothing-here")
    assert streams["logStreams"] == []


def test_logs_validation_is_the_models(endpoint: str) -> None:
    logs = _client(endpoint, "logs", parameter_validation=False)
    with pytest.raises(logs.exceptions.InvalidParameterException, match="at 'limit'"):
        logs.filter_log_events(logGroupName="g", limit=0)
    with pytest.raises(logs.exceptions.InvalidParameterException, match="nextToken"):
        logs.get_log_events(logGroupName="g", logStreamName="s", nextToken="bogus")


def test_sqs_json_errors_raise_the_modelled_class(endpoint: str) -> None:
    sqs = _client(endpoint, "sqs")
    assert sqs.get_queue_url(QueueName="known")["QueueUrl"].endswith("/known")
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="missing")
    assert caught.value.response["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(sqs.exceptions.ClientError) as failed:
        sqs.purge_queue(QueueUrl="http://localhost/000000000000/known")
    assert failed.value.response["Error"]["Code"] == "InternalFailure"
    assert failed.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500


def test_sqs_legacy_query_is_routed_by_path(endpoint: str) -> None:
    form = {
        "Action": "ReceiveMessage",
        "Version": "2012-11-05",
        "QueueUrl": "http://localhost/000000000000/known",
        "MaxNumberOfMessages": "1",
    }
    response = httpx.post(f"{endpoint}/000000000000/known", data=form)
    assert response.status_code == 200
    assert "<ReceiveMessageResult><Message><MessageId>m1</MessageId>" in response.text
    missing = httpx.post(
        f"{endpoint}/000000000000/known", data={"Action": "GetQueueUrl", "QueueName": "gone"}
    )
    assert missing.status_code == 400
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in missing.text


def test_sns_query_through_boto3(endpoint: str) -> None:
    sns = _client(endpoint, "sns")
    assert sns.create_topic(Name="t")["TopicArn"].endswith(":t")
    with pytest.raises(sns.exceptions.NotFoundException):
        sns.publish(TopicArn="arn:aws:sns:us-east-1:000000000000:t", Message="m")


def test_unknown_targets_and_actions(endpoint: str) -> None:
    response = httpx.post(
        endpoint,
        headers={
            "x-amz-target": "Logs_20140328.StartQuery",
            "content-type": "application/x-amz-json-1.1",
        },
        content=b"{}",
    )
    assert response.status_code == 400
    assert response.json()["__type"] == "UnknownOperationException"
    response = httpx.post(endpoint, data={"Action": "DeleteTopic", "TopicArn": "x"})
    assert response.status_code == 400
    assert "<Code>InvalidAction</Code>" in response.text


def test_the_lambda_api_is_untouched(endpoint: str) -> None:
    lam = _client(endpoint, "lambda")
    assert lam.list_functions()["Functions"] == []
