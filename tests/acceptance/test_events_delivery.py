"""EventBridge delivery through a real server on a virtual clock: pattern matching into SQS,
input shaping, schedules, dead-letter queues, and durability across kill -9.

Deliveries run in the background (the outbox runner); every check first drains the server
(POST /_lambdalite/drain: it answers once everything due by the clock's present is
settled), so what has arrived by then is exactly what will arrive until the clock moves."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, start_server, stop_server

ARGS = ("--no-example", "--clock", "virtual")


def _require_sqs(server: Server) -> None:
    try:
        server.client("sqs").list_queues()
    except ClientError as exc:
        pytest.skip(f"SQS is not served yet ({exc.response['Error']['Code']})")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("events-delivery"), *ARGS)
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def events(server: Server) -> Any:
    _require_sqs(server)
    return server.client("events")


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    _require_sqs(server)
    return server.client("sqs")


_names = iter(range(1_000_000))


def queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"evq-{next(_names)}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def advance(server: Server, seconds: float) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/clock", json={"advance": seconds})
    response.raise_for_status()


def settled(server: Server) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/drain", timeout=90)
    assert response.status_code == 200, response.text


def arrived(server: Server, sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message in the queue once the server has drained (received and deleted)."""
    settled(server)
    got: list[dict[str, Any]] = []
    while True:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not batch:
            return got
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        got.extend(batch)


def rule_to(events: Any, name: str, targets: list[dict[str, Any]], **rule: Any) -> str:
    arn = str(events.put_rule(Name=name, **rule)["RuleArn"])
    bus = {"EventBusName": rule["EventBusName"]} if "EventBusName" in rule else {}
    events.put_targets(Rule=name, Targets=targets, **bus)
    return arn


def test_pattern_matching_into_sqs(events: Any, sqs: Any, server: Server) -> None:
    url, arn = queue(sqs)
    pattern = {"source": ["shop"], "detail": {"total": [{"numeric": [">=", 100]}]}}
    rule_arn = rule_to(
        events, "big-orders", [{"Id": "q", "Arn": arn}], EventPattern=json.dumps(pattern)
    )
    result = events.put_events(
        Entries=[
            {
                "Source": "shop",
                "DetailType": "Order",
                "Detail": '{"total": 150}',
                "Resources": ["r1"],
            },
            {"Source": "shop", "DetailType": "Order", "Detail": '{"total": 5}'},
            {"Source": "other", "DetailType": "Order", "Detail": '{"total": 500}'},
        ]
    )
    assert result["FailedEntryCount"] == 0
    [message] = arrived(server, sqs, url)
    event = json.loads(message["Body"])
    assert list(event) == [
        "version", "id", "detail-type", "source", "account",
        "time", "region", "resources", "detail",
    ]  # fmt: skip
    assert event["id"] == result["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"], event["detail"]) == (
        "shop",
        "Order",
        {"total": 150},
    )
    assert (event["version"], event["region"], event["resources"]) == ("0", "us-east-1", ["r1"])
    assert arrived(server, sqs, url) == []
    events.disable_rule(Name="big-orders")
    events.put_events(
        Entries=[{"Source": "shop", "DetailType": "Order", "Detail": '{"total": 150}'}]
    )
    assert arrived(server, sqs, url) == []
    assert rule_arn.endswith(":rule/big-orders")


def test_custom_bus_and_input_shaping(events: Any, sqs: Any, server: Server) -> None:
    events.create_event_bus(Name="shaping")
    url, arn = queue(sqs)
    template = '{"who": <user>, "text": "user <user> did <what>", "rule": "<aws.events.rule-name>"}'
    targets = [
        {"Id": "const", "Arn": arn, "Input": '{"fixed": true}'},
        {"Id": "path", "Arn": arn, "InputPath": "$.detail.user"},
        {
            "Id": "tx",
            "Arn": arn,
            "InputTransformer": {
                "InputPathsMap": {"user": "$.detail.user", "what": "$.detail-type"},
                "InputTemplate": template,
            },
        },
    ]
    rule_to(events, "shape", targets, EventBusName="shaping", EventPattern='{"source": ["app"]}')
    entry = {"Source": "app", "DetailType": "login", "Detail": '{"user": "ann"}'}
    assert (
        events.put_events(Entries=[{**entry, "EventBusName": "shaping"}])["FailedEntryCount"] == 0
    )
    bodies = sorted(m["Body"] for m in arrived(server, sqs, url))
    assert bodies == sorted(
        [
            '{"fixed": true}',
            '"ann"',
            '{"who": "ann", "text": "user ann did login", "rule": "shape"}',
        ]
    )
    events.put_events(Entries=[entry])  # the default bus has no such rule
    assert arrived(server, sqs, url) == []


def test_rate_schedule_fires_exactly_per_period(events: Any, sqs: Any, server: Server) -> None:
    url, arn = queue(sqs)
    rule_arn = rule_to(
        events, "every5", [{"Id": "q", "Arn": arn}], ScheduleExpression="rate(5 minutes)"
    )
    advance(server, 299)
    assert arrived(server, sqs, url) == []
    advance(server, 301)  # 10 minutes in all: two slots
    messages = arrived(server, sqs, url)
    assert len(messages) == 2 and arrived(server, sqs, url) == []
    scheduled = [json.loads(m["Body"]) for m in messages]
    for event in scheduled:
        assert event["source"] == "aws.events" and event["detail-type"] == "Scheduled Event"
        assert event["resources"] == [rule_arn] and event["detail"] == {}
    assert scheduled[0]["time"] < scheduled[1]["time"]
    events.disable_rule(Name="every5")
    advance(server, 900)
    assert arrived(server, sqs, url) == []
    events.enable_rule(Name="every5")  # no backfill for the disabled period
    assert arrived(server, sqs, url) == []
    events.remove_targets(Rule="every5", Ids=["q"])
    events.delete_rule(Name="every5")


def test_cron_schedule_fires_every_matching_minute(events: Any, sqs: Any, server: Server) -> None:
    url, arn = queue(sqs)
    rule_to(events, "cron1", [{"Id": "q", "Arn": arn}], ScheduleExpression="cron(* * * * ? *)")
    advance(server, 180)
    assert len(arrived(server, sqs, url)) == 3 and arrived(server, sqs, url) == []
    events.remove_targets(Rule="cron1", Ids=["q"])
    events.delete_rule(Name="cron1")


def test_missing_target_goes_to_the_dead_letter_queue(
    events: Any, sqs: Any, server: Server
) -> None:
    dlq_url, dlq_arn = queue(sqs)
    gone_url, gone_arn = queue(sqs)
    sqs.delete_queue(QueueUrl=gone_url)
    never = gone_arn + "-never-existed"
    targets = [
        {"Id": "gone", "Arn": gone_arn, "DeadLetterConfig": {"Arn": dlq_arn},
         "RetryPolicy": {"MaximumRetryAttempts": 3}},
        {"Id": "never", "Arn": never, "DeadLetterConfig": {"Arn": dlq_arn}},
        {"Id": "no-dlq", "Arn": never},
    ]  # fmt: skip
    rule_arn = rule_to(events, "dead", targets, EventPattern='{"source": ["dlq-test"]}')
    result = events.put_events(Entries=[{"Source": "dlq-test", "DetailType": "t", "Detail": "{}"}])
    messages = arrived(server, sqs, dlq_url)
    assert len(messages) == 2 and arrived(server, sqs, dlq_url) == []
    by_target = {m["MessageAttributes"]["TARGET_ARN"]["StringValue"]: m for m in messages}
    assert set(by_target) == {gone_arn, never}
    for message in messages:
        assert json.loads(message["Body"])["id"] == result["Entries"][0]["EventId"]
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs["RULE_ARN"] == rule_arn
        assert attrs["ERROR_CODE"] == "NO_RESOURCE"  # not retriable: straight to the DLQ
        assert attrs["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attrs
        assert "does not exist" in attrs["ERROR_MESSAGE"]
    events.remove_targets(Rule="dead", Ids=["gone", "never", "no-dlq"])
    events.delete_rule(Name="dead")


def _pending(server: Server) -> int:
    # closing(): a connection's own `with` commits but does not close (3.13 warns).
    with closing(sqlite3.connect(server.data_dir / "lambdalite.sqlite3")) as db:
        row = db.execute("SELECT count(*) FROM outbox WHERE kind = 'events'").fetchone()
        return int(row[0])


def test_accepted_events_survive_kill_9(tmp_path: Any) -> None:
    first = start_server(tmp_path, *ARGS)
    try:
        _require_sqs(first)
        sqs, events = first.client("sqs"), first.client("events")
        url, arn = queue(sqs)
        rule_to(events, "durable", [{"Id": "q", "Arn": arn}], EventPattern='{"source": ["d"]}')
        ids = []
        for batch in range(10):
            entries = [
                {"Source": "d", "DetailType": "t", "Detail": json.dumps({"n": batch * 10 + i})}
                for i in range(10)
            ]
            ids += [e["EventId"] for e in events.put_events(Entries=entries)["Entries"]]
        first.process.kill()  # SIGKILL: no shutdown, deliveries may be in flight
        first.process.wait()
    finally:
        stop_server(first)
    print(f"deliveries pending at the kill: {_pending(first)}")
    second = start_server(tmp_path, *ARGS)
    try:
        got = arrived(second, second.client("sqs"), url)
        seen = {json.loads(m["Body"])["id"] for m in got}
        assert seen >= set(ids)  # at least once: duplicates are allowed, losses are not
        assert _pending(second) == 0
    finally:
        stop_server(second)
