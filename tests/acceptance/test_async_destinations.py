"""Asynchronous invocation records at every kind of destination, read back through real SQS,
SNS and EventBridge on one server with a virtual clock (spec 2.10, 3.3-3.6)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite import testing
from tests.acceptance.conftest import ROLE, Server, create, start_server, stop_server, zip_source
from tests.acceptance.test_async_invoke import (
    ECHO,
    FAIL,
    advance,
    drained,
    event,
    journey,
    settled,
)

ACCOUNT_REGION = "us-east-1:000000000000"
DEFAULT_BUS = f"arn:aws:events:{ACCOUNT_REGION}:event-bus/default"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ERROR_KEYS = {"errorMessage", "errorType", "requestId", "stackTrace"}
# Fails with the event's "pad" as its error message: a response as large as the request.
FAIL_WITH_PAD = "def handler(event, context):\n    raise ValueError(event['pad'])\n"
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("dest"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


@pytest.fixture(scope="module")
def sns(srv: Server) -> Any:
    return srv.client("sns")


@pytest.fixture(scope="module")
def events(srv: Server) -> Any:
    return srv.client("events")


def new_queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"dq-{next(_names)}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, attrs["QueueArn"]


def new_topic(sns: Any, sqs: Any, raw: bool) -> tuple[str, str]:
    """A topic with one queue subscribed (raw or enveloped); returns (topic arn, queue url)."""
    topic = sns.create_topic(Name=f"dt-{next(_names)}")["TopicArn"]
    url, queue_arn = new_queue(sqs)
    attributes = {"RawMessageDelivery": "true"} if raw else {}
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    return topic, url


def receive_one(sqs: Any, url: str) -> dict[str, Any]:
    """The one message in the queue once the server (the client's endpoint) has drained."""
    testing.drain(sqs.meta.endpoint_url)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"], WaitTimeSeconds=0)
    messages = list(got.get("Messages", []))
    assert len(messages) == 1
    sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    return dict(messages[0])


def destinations(lam: Any, name: str, **sides: str) -> None:
    config = {side: {"Destination": arn} for side, arn in sides.items()}
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0, DestinationConfig=config
    )


def function_arn(lam: Any, name: str) -> str:
    return f"{lam.get_function(FunctionName=name)['Configuration']['FunctionArn']}:$LATEST"


def assert_failure_record(
    record: dict[str, Any], rid: str, arn: str, payload: Any, condition: str, count: int
) -> None:
    """Spec 3.6.1, field by field and nothing else."""
    assert list(record) == [
        "version", "timestamp", "requestContext", "requestPayload",
        "responseContext", "responsePayload",
    ]  # fmt: skip
    assert record["version"] == "1.0" and TIMESTAMP.match(record["timestamp"])
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": arn,
        "condition": condition,
        "approximateInvokeCount": count,
    }
    assert record["requestPayload"] == payload
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    assert set(record["responsePayload"]) == ERROR_KEYS
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert record["responsePayload"]["requestId"] == rid


def assert_success_record(record: dict[str, Any], rid: str, arn: str, payload: Any) -> None:
    assert record["version"] == "1.0" and TIMESTAMP.match(record["timestamp"])
    assert record["requestContext"] == {
        "requestId": rid,
        "functionArn": arn,
        "condition": "Success",
        "approximateInvokeCount": 1,
    }
    assert record["requestPayload"] == payload
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"got": payload}


# SQS ----------------------------------------------------------------------------------


def test_on_failure_to_sqs_after_three_attempts(srv: Server, lam: Any, sqs: Any) -> None:
    url, queue_arn = new_queue(sqs)
    name = create(lam, FAIL)
    lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": queue_arn}}
    )
    rid = event(lam, name, {"order": [1, 2]})
    assert drained(srv, rid)["attempts"] == 1
    advance(srv, 60)
    assert drained(srv, rid)["attempts"] == 2
    advance(srv, 120)
    message = receive_one(sqs, url)
    record = json.loads(message["Body"])
    assert_failure_record(
        record, rid, function_arn(lam, name), {"order": [1, 2]}, "RetriesExhausted", 3
    )
    assert record["responsePayload"]["errorMessage"] == "boom"
    assert "MessageAttributes" not in message  # the record travels alone
    assert message["Body"] == json.dumps(record, separators=(",", ":"))  # compact JSON


def test_on_success_to_sqs(lam: Any, sqs: Any) -> None:
    url, queue_arn = new_queue(sqs)
    name = create(lam, ECHO)
    destinations(lam, name, OnSuccess=queue_arn)
    rid = event(lam, name, {"k": "v"})
    record = json.loads(receive_one(sqs, url)["Body"])
    assert_success_record(record, rid, function_arn(lam, name), {"k": "v"})


def test_event_age_exceeded_after_one_attempt(srv: Server, lam: Any, sqs: Any) -> None:
    url, queue_arn = new_queue(sqs)
    name = create(lam, FAIL)
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumEventAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )
    rid = event(lam, name, {"n": 1})
    record = json.loads(receive_one(sqs, url)["Body"])  # no clock advance needed
    assert_failure_record(record, rid, function_arn(lam, name), {"n": 1}, "EventAgeExceeded", 1)
    doc = journey(srv, rid)
    assert doc["attempts"] == 1 and doc["condition"] == "EventAgeExceeded"


# SNS ----------------------------------------------------------------------------------


def test_on_failure_to_sns_raw_and_enveloped(lam: Any, sqs: Any, sns: Any) -> None:
    topic, raw_url = new_topic(sns, sqs, raw=True)
    env_url, env_arn = new_queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=env_arn)
    name = create(lam, FAIL)
    destinations(lam, name, OnFailure=topic)
    rid = event(lam, name, {"a": 1})
    raw = json.loads(receive_one(sqs, raw_url)["Body"])
    assert_failure_record(raw, rid, function_arn(lam, name), {"a": 1}, "RetriesExhausted", 1)
    envelope = json.loads(receive_one(sqs, env_url)["Body"])
    assert (envelope["Type"], envelope["TopicArn"]) == ("Notification", topic)
    assert json.loads(envelope["Message"]) == raw


def test_on_success_to_sns(lam: Any, sqs: Any, sns: Any) -> None:
    topic, url = new_topic(sns, sqs, raw=True)
    name = create(lam, ECHO)
    destinations(lam, name, OnSuccess=topic)
    rid = event(lam, name, {"b": 2})
    assert_success_record(
        json.loads(receive_one(sqs, url)["Body"]), rid, function_arn(lam, name), {"b": 2}
    )


def test_oversized_record_to_sns_loses_its_payloads(lam: Any, sqs: Any, sns: Any) -> None:
    """Request + response over 256 KB: the SNS record keeps only the contexts (spec 3.6)."""
    topic, url = new_topic(sns, sqs, raw=True)
    queue_url, queue_arn = new_queue(sqs)
    name = create(lam, FAIL_WITH_PAD)
    destinations(lam, name, OnFailure=topic)
    big = {"pad": "x" * 140_000}
    rid = event(lam, name, big)
    record = json.loads(receive_one(sqs, url)["Body"])
    assert list(record) == ["version", "timestamp", "requestContext", "responseContext"]
    assert record["requestContext"]["requestId"] == rid
    assert record["responseContext"]["functionError"] == "Unhandled"
    # The same pair fits an SQS destination (1 MB): nothing is dropped there.
    destinations(lam, name, OnFailure=queue_arn)
    rid = event(lam, name, big)
    whole = json.loads(receive_one(sqs, queue_url)["Body"])
    assert whole["requestPayload"] == big and whole["responsePayload"]["errorMessage"] == big["pad"]
    # And a record under 256 KB reaches SNS whole.
    destinations(lam, name, OnFailure=topic)
    small = {"pad": "y" * 100_000}
    rid = event(lam, name, small)
    record = json.loads(receive_one(sqs, url)["Body"])
    assert record["requestContext"]["requestId"] == rid and record["requestPayload"] == small


def test_dead_letter_topic_gets_the_event_and_attributes(lam: Any, sqs: Any, sns: Any) -> None:
    topic, url = new_topic(sns, sqs, raw=True)
    name = create(lam, FAIL, DeadLetterConfig={"TargetArn": topic})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    body = '{"raise_error": 1}'
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=body.encode())
    rid = r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    message = receive_one(sqs, url)
    assert message["Body"] == body
    assert message["MessageAttributes"] == {
        "RequestID": {"DataType": "String", "StringValue": rid},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": "boom"},
    }


def test_dead_letter_too_large_for_sns_is_dropped_at_once(
    srv: Server, lam: Any, sqs: Any, sns: Any
) -> None:
    """A 300 KB event cannot be published to SNS (256 KB): dropped, journaled, not retried."""
    topic, url = new_topic(sns, sqs, raw=True)
    name = create(lam, FAIL, DeadLetterConfig={"TargetArn": topic})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    rid = event(lam, name, {"pad": "z" * 300_000})
    doc = settled(srv, rid)
    deliveries = [e for e in doc["journal"] if e["kind"] == "delivery"]
    assert [e["outcome"] for e in deliveries] == ["DeliveryFailed"]
    assert "over the limit" in deliveries[0]["detail"]
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")


# EventBridge --------------------------------------------------------------------------


def rule_into_queue(events: Any, sqs: Any, outcome: str, function: str) -> str:
    url, queue_arn = new_queue(sqs)
    rule = f"results-{next(_names)}"
    pattern = {
        "source": ["lambda"],
        "detail-type": [f"Lambda Function Invocation Result - {outcome}"],
        "resources": [function],
    }
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    return str(url)


@pytest.mark.parametrize(("source", "outcome"), [(FAIL, "Failure"), (ECHO, "Success")])
def test_eventbridge_destination(
    lam: Any, sqs: Any, events: Any, source: str, outcome: str
) -> None:
    name = create(lam, source)
    arn = function_arn(lam, name)
    url = rule_into_queue(events, sqs, outcome, arn)
    other = rule_into_queue(events, sqs, "Success" if outcome == "Failure" else "Failure", arn)
    destinations(lam, name, OnSuccess=DEFAULT_BUS, OnFailure=DEFAULT_BUS)
    rid = event(lam, name, {"c": 3})
    envelope = json.loads(receive_one(sqs, url)["Body"])
    assert (envelope["source"], envelope["detail-type"]) == (
        "lambda",
        f"Lambda Function Invocation Result - {outcome}",
    )
    assert envelope["resources"] == [DEFAULT_BUS, arn]
    assert (envelope["account"], envelope["region"]) == ("000000000000", "us-east-1")
    if outcome == "Failure":
        assert_failure_record(envelope["detail"], rid, arn, {"c": 3}, "RetriesExhausted", 1)
    else:
        assert_success_record(envelope["detail"], rid, arn, {"c": 3})
    assert not sqs.receive_message(QueueUrl=other, WaitTimeSeconds=0).get("Messages")


# InvokeAsync ---------------------------------------------------------------------------


def test_invoke_async_answers_202_with_no_body(srv: Server, lam: Any, sqs: Any) -> None:
    """InvokeAsyncResponse.Status is `location: statusCode` in the model: no body at all."""
    url, queue_arn = new_queue(sqs)
    name = create(lam, ECHO)
    destinations(lam, name, OnSuccess=queue_arn)
    r = httpx.post(
        f"{srv.endpoint}/2014-11-13/functions/{name}/invoke-async", content=b'{"old": 1}'
    )
    assert (r.status_code, r.content) == (202, b"")
    answer = lam.invoke_async(FunctionName=name, InvokeArgs=b'{"old": 2}')
    assert answer["Status"] == 202 and set(answer) == {"Status", "ResponseMetadata"}
    payloads = [json.loads(receive_one(sqs, url)["Body"])["requestPayload"] for _ in range(2)]
    assert sorted(p["old"] for p in payloads) == [1, 2]


# configuration lifetime ----------------------------------------------------------------


def test_configs_do_not_outlive_their_function(srv: Server, lam: Any, sqs: Any) -> None:
    url, queue_arn = new_queue(sqs)
    name = create(lam, ECHO)
    lam.publish_version(FunctionName=name)
    lam.update_function_configuration(FunctionName=name, Timeout=7)
    lam.get_waiter("function_updated_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for qualifier in ("$LATEST", "1", "2", "live"):
        lam.put_function_event_invoke_config(
            FunctionName=name,
            Qualifier=qualifier,
            MaximumRetryAttempts=1,
            DestinationConfig={"OnSuccess": {"Destination": queue_arn}},
        )
    event(lam, name, {"warm": "cache"}, Qualifier="live")
    receive_one(sqs, url)

    lam.delete_alias(FunctionName=name, Name="live")
    lam.delete_function(FunctionName=name, Qualifier="2")
    listed = lam.list_function_event_invoke_configs(FunctionName=name)
    assert [c["FunctionArn"].rsplit(":", 1)[1] for c in listed["FunctionEventInvokeConfigs"]] == [
        "$LATEST",
        "1",
    ]
    # A new alias of the same name starts clean, also for events (no record is sent).
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name, Qualifier="live")
    rid = event(lam, name, {}, Qualifier="live")
    settled(srv, rid)
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")

    lam.delete_function(FunctionName=name)
    lam.create_function(
        FunctionName=name,
        Runtime="python3.11",
        Role=ROLE,
        Handler="app.handler",
        Code={"ZipFile": zip_source(ECHO)},
    )
    assert (
        lam.list_function_event_invoke_configs(FunctionName=name)["FunctionEventInvokeConfigs"]
        == []
    )
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_event_invoke_config(FunctionName=name)
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")


def test_configs_orphaned_by_older_releases_are_dropped_when_upgraded(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        lam = server.client("lambda")
        name = create(lam, ECHO)
        lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    finally:
        stop_server(server)
    # `db` commits on leaving; closing() closes, which `with db` does not (3.13 warns).
    with closing(sqlite3.connect(server.data_dir / "lambdalite.sqlite3")) as db, db:
        # What a release without the cleanup triggers left behind: configs of a deleted
        # function, and of a deleted version of a live one. Such releases kept no schema
        # version: the file is at 0 and its first migration adopts it.
        db.execute("PRAGMA user_version = 0")
        for ghost, qualifier in (("ghost", "$LATEST"), (name, "9")):
            db.execute(
                "INSERT INTO event_invoke_configs SELECT ?, ?, json_set(config, "
                "'$.function_name', ?, '$.qualifier', ?), last_modified "
                "FROM event_invoke_configs WHERE function_name = ?",
                (ghost, qualifier, ghost, qualifier, name),
            )
        db.execute("PRAGMA user_version = 0")  # as every release before versioned migrations
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        lam = server.client("lambda")
        kept = lam.list_function_event_invoke_configs(FunctionName=name)
        assert [c["MaximumRetryAttempts"] for c in kept["FunctionEventInvokeConfigs"]] == [1]
        lam.create_function(
            FunctionName="ghost",
            Runtime="python3.11",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": zip_source(ECHO)},
        )
        ghost = lam.list_function_event_invoke_configs(FunctionName="ghost")
        assert ghost["FunctionEventInvokeConfigs"] == []
    finally:
        stop_server(server)
