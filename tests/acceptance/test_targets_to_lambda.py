"""EventBridge rules with Lambda targets invoke the function asynchronously with the event
as its payload (spec 6.6). The function's on-success destination, an SQS queue, shows what
it got and that it ran on the asynchronous path. (SNS `lambda` subscriptions are covered in
test_sns_delivery.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lambdalite import testing
from tests.acceptance.conftest import Server, create, start_server, stop_server
from tests.acceptance.test_async_invoke import ECHO, journey

_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(
        tmp_path_factory.mktemp("to-lambda"), "--no-example", "--clock", "virtual"
    )
    yield server
    stop_server(server)


def observed_function(srv: Server) -> tuple[str, str, str]:
    """An echo function whose on-success records go to a new queue: (name, arn, queue url)."""
    lam, sqs = srv.client("lambda"), srv.client("sqs")
    url = sqs.create_queue(QueueName=f"tl-{next(_names)}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    name = create(lam, ECHO)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": attrs["QueueArn"]}}
    )
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    return name, arn, url


def records(srv: Server, url: str, count: int) -> list[dict[str, Any]]:
    """The on-success records in the queue once the server has drained: at least `count`
    (the events, their invocations and the records' deliveries are all settled by then)."""
    testing.drain(srv.endpoint)
    sqs = srv.client("sqs")
    got: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            got.append(json.loads(message["Body"]))
    assert len(got) >= count, got
    return got


def test_rule_target_invokes_the_function_with_the_event(srv: Server) -> None:
    events = srv.client("events")
    _, arn, url = observed_function(srv)
    rule = f"orders-{next(_names)}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(
        Rule=rule,
        Targets=[
            {"Id": "whole", "Arn": arn},
            {"Id": "constant", "Arn": arn, "Input": '{"fixed": true}'},
        ],
    )
    result = events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "Order", "Detail": '{"n": 5}', "Resources": ["r"]},
            {"Source": "elsewhere", "DetailType": "Order", "Detail": '{"n": 6}'},
        ]
    )
    event_id = result["Entries"][0]["EventId"]
    got = records(srv, url, 2)
    payloads = sorted((r["requestPayload"] for r in got), key=lambda p: "fixed" in p)
    whole, constant = payloads
    assert constant == {"fixed": True}
    assert whole["id"] == event_id
    assert (whole["source"], whole["detail-type"], whole["detail"]) == ("shop", "Order", {"n": 5})
    assert (whole["resources"], whole["account"], whole["region"]) == (
        ["r"],
        "000000000000",
        "us-east-1",
    )
    for record in got:
        # An asynchronous invocation: a Success record of the unqualified function's $LATEST.
        assert record["requestContext"]["condition"] == "Success"
        assert record["requestContext"]["functionArn"] == f"{arn}:$LATEST"
        assert record["responsePayload"] == {"got": record["requestPayload"]}
        doc = journey(srv, record["requestContext"]["requestId"])
        assert doc["state"] == "done"
    assert not srv.client("sqs").receive_message(QueueUrl=url).get("Messages")


def test_scheduled_rule_invokes_the_function_on_the_virtual_clock(srv: Server) -> None:
    events = srv.client("events")
    _, arn, url = observed_function(srv)
    rule = f"every-minute-{next(_names)}"
    rule_arn = events.put_rule(Name=rule, ScheduleExpression="rate(1 minute)")["RuleArn"]
    events.put_targets(Rule=rule, Targets=[{"Id": "fn", "Arn": arn}])
    httpx.post(f"{srv.endpoint}/_lambdalite/clock", json={"advance": 60}).raise_for_status()
    [record] = records(srv, url, 1)
    payload = record["requestPayload"]
    assert (payload["source"], payload["detail-type"]) == ("aws.events", "Scheduled Event")
    assert payload["resources"] == [rule_arn]
    events.remove_targets(Rule=rule, Ids=["fn"])
    events.delete_rule(Name=rule)
