"""EventBridge control plane and PutEvents validation, boto3 against a real server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("events-api"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def events(server: Server) -> Any:
    return server.client("events")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], response["Error"]["Message"], status


QUEUE_ARN = "arn:aws:sqs:us-east-1:000000000000:some-queue"


def test_event_buses(events: Any) -> None:
    default = events.describe_event_bus()
    assert default["Name"] == "default"
    assert default["Arn"].endswith(":event-bus/default")
    created = events.create_event_bus(Name="orders", Description="order events")
    assert created["EventBusArn"] == default["Arn"].replace("/default", "/orders")
    assert events.describe_event_bus(Name=created["EventBusArn"])["Name"] == "orders"
    names = [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    assert {"default", "orders"} <= set(names)
    assert [b["Name"] for b in events.list_event_buses(NamePrefix="ord")["EventBuses"]] == [
        "orders"
    ]
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name="orders")
    assert _error(exc) == (
        "ResourceAlreadyExistsException",
        "Event bus orders already exists.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.delete_event_bus(Name="default")
    assert _error(exc) == ("ValidationException", "Cannot delete event bus default.", 400)
    events.delete_event_bus(Name="orders")
    with pytest.raises(ClientError) as exc:
        events.describe_event_bus(Name="orders")
    assert _error(exc) == ("ResourceNotFoundException", "Event bus orders does not exist.", 400)


def test_rules_lifecycle_and_pagination(events: Any) -> None:
    pattern = json.dumps({"source": ["app.orders"]})
    arn = events.put_rule(Name="pg-a", EventPattern=pattern, Description="d")["RuleArn"]
    assert arn.endswith(":rule/pg-a")
    for name in ("pg-b", "pg-c"):
        events.put_rule(Name=name, ScheduleExpression="rate(1 hour)", State="DISABLED")
    rule = events.describe_rule(Name="pg-a")
    assert rule["State"] == "ENABLED" and rule["EventPattern"] == pattern
    assert rule["EventBusName"] == "default" and rule["Arn"] == arn
    events.disable_rule(Name="pg-a")
    assert events.describe_rule(Name="pg-a")["State"] == "DISABLED"
    events.enable_rule(Name="pg-a")
    assert events.describe_rule(Name="pg-a")["State"] == "ENABLED"
    first = events.list_rules(NamePrefix="pg-", Limit=2)
    assert [r["Name"] for r in first["Rules"]] == ["pg-a", "pg-b"]
    rest = events.list_rules(NamePrefix="pg-", Limit=2, NextToken=first["NextToken"])
    assert [r["Name"] for r in rest["Rules"]] == ["pg-c"] and "NextToken" not in rest
    with pytest.raises(ClientError) as exc:
        events.enable_rule(Name="nope")
    assert _error(exc) == (
        "ResourceNotFoundException",
        "Rule nope does not exist on EventBus default.",
        400,
    )
    events.put_targets(Rule="pg-a", Targets=[{"Id": "t1", "Arn": QUEUE_ARN}])
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name="pg-a")
    assert _error(exc) == (
        "ValidationException",
        "Rule can't be deleted since it has targets.",
        400,
    )
    events.remove_targets(Rule="pg-a", Ids=["t1"])
    for name in ("pg-a", "pg-b", "pg-c", "never-existed"):
        events.delete_rule(Name=name)
    assert events.list_rules(NamePrefix="pg-")["Rules"] == []


def test_rules_on_a_custom_bus(events: Any) -> None:
    events.create_event_bus(Name="custom")
    arn = events.put_rule(Name="r", EventBusName="custom", EventPattern='{"source": ["x"]}')
    assert arn["RuleArn"].endswith(":rule/custom/r")
    assert [r["Name"] for r in events.list_rules(EventBusName="custom")["Rules"]] == ["r"]
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="s", EventBusName="custom", ScheduleExpression="rate(5 minutes)")
    assert _error(exc)[:2] == (
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
    )
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="s", EventBusName="missing", EventPattern='{"source": ["x"]}')
    assert _error(exc)[:2] == ("ResourceNotFoundException", "Event bus missing does not exist.")
    events.delete_rule(Name="r", EventBusName="custom")
    events.delete_event_bus(Name="custom")


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(-1 minutes)",
        "rate(5 weeks)",
        "rate(5minutes)",
        "cron(0 10 * * *)",
        "cron(0 10 * * * *)",
        "cron(0 10 ? * ? *)",
        "cron(60 10 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 10 32 * ? *)",
        "cron(0 10 ? * 8 *)",
        "cron(0 10 ? * 2#6 *)",
        "cron(0 10 1#2 * ? *)",
        "cron(0 10 * 13 ? *)",
        "cron(0/0 10 * * ? *)",
        "every 5 minutes",
    ],
)
def test_invalid_schedule_expressions(events: Any, expression: str) -> None:
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="bad-schedule", ScheduleExpression=expression)
    assert _error(exc) == ("ValidationException", "Parameter ScheduleExpression is not valid.", 400)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minute)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(12 hours)",
        "rate(1 day)",
        "rate(7 days)",
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 0 L * ? *)",
        "cron(0 0 LW * ? *)",
        "cron(0 0 15W * ? *)",
        "cron(0 0 ? * 6L *)",
        "cron(0 0 ? * L 2030-2035)",
        "cron(0,30 1,13 1-7 JAN,JUL ? *)",
    ],
)
def test_valid_schedule_expressions(events: Any, expression: str) -> None:
    events.put_rule(Name="good-schedule", ScheduleExpression=expression, State="DISABLED")
    assert events.describe_rule(Name="good-schedule")["ScheduleExpression"] == expression
    events.delete_rule(Name="good-schedule")


def test_rule_needs_a_valid_pattern_or_a_schedule(events: Any) -> None:
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="empty")
    assert _error(exc) == (
        "ValidationException",
        "Parameter(s) EventPattern or ScheduleExpression must be specified.",
        400,
    )
    for pattern in ('{"source": "x"}', '{"source": []}', "[1]", "{not json"):
        with pytest.raises(ClientError) as exc:
            events.put_rule(Name="bad-pattern", EventPattern=pattern)
        code, message, status = _error(exc)
        assert (code, status) == ("InvalidEventPatternException", 400)
        assert message.startswith("Event pattern is not valid. Reason: ")


def test_targets(events: Any) -> None:
    events.put_rule(Name="tgt", EventPattern='{"source": ["x"]}')
    targets = [
        {"Id": "a", "Arn": QUEUE_ARN, "Input": '{"k": 1}'},
        {
            "Id": "b",
            "Arn": QUEUE_ARN,
            "InputTransformer": {"InputPathsMap": {"s": "$.source"}, "InputTemplate": '"<s>"'},
            "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 120},
            "DeadLetterConfig": {"Arn": QUEUE_ARN},
        },
    ]
    result = events.put_targets(Rule="tgt", Targets=targets)
    assert (result["FailedEntryCount"], result["FailedEntries"]) == (0, [])
    listed = events.list_targets_by_rule(Rule="tgt")["Targets"]
    assert listed == targets
    page = events.list_targets_by_rule(Rule="tgt", Limit=1)
    assert [t["Id"] for t in page["Targets"]] == ["a"]
    page = events.list_targets_by_rule(Rule="tgt", Limit=1, NextToken=page["NextToken"])
    assert [t["Id"] for t in page["Targets"]] == ["b"]
    events.put_targets(Rule="tgt", Targets=[{"Id": "a", "Arn": QUEUE_ARN, "InputPath": "$.detail"}])
    assert events.list_targets_by_rule(Rule="tgt")["Targets"][0]["InputPath"] == "$.detail"
    result = events.remove_targets(Rule="tgt", Ids=["a", "b"])
    assert result["FailedEntryCount"] == 0
    assert events.list_targets_by_rule(Rule="tgt")["Targets"] == []
    events.delete_rule(Name="tgt")


def test_target_validation(events: Any) -> None:
    events.put_rule(Name="tv", EventPattern='{"source": ["x"]}')
    cases: list[tuple[dict[str, Any], str]] = [
        (
            {"Id": "a", "Arn": QUEUE_ARN, "Input": "{}", "InputPath": "$.detail"},
            "Only one of Input, InputPath, or InputTransformer must be provided for target a.",
        ),
        (
            {"Id": "a", "Arn": "not-an-arn"},
            "Parameter not-an-arn is not valid. Reason: Provided Arn is not in correct format.",
        ),
        (
            {"Id": "a", "Arn": QUEUE_ARN + ".fifo"},
            "Parameter(s) SqsParameters must be specified for target: a.",
        ),
    ]
    for target, message in cases:
        with pytest.raises(ClientError) as exc:
            events.put_targets(Rule="tv", Targets=[target])
        assert _error(exc) == ("ValidationException", message, 400)
    with pytest.raises(ClientError) as exc:
        events.put_targets(
            Rule="tv",
            Targets=[{"Id": "a", "Arn": QUEUE_ARN, "RetryPolicy": {"MaximumRetryAttempts": 186}}],
        )
    assert _error(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule="missing", Targets=[{"Id": "a", "Arn": QUEUE_ARN}])
    assert _error(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule="tv", Targets=[{"Id": str(i), "Arn": QUEUE_ARN} for i in range(6)])
    assert _error(exc)[0] == "LimitExceededException"
    events.delete_rule(Name="tv")


def test_put_events_entry_errors(events: Any) -> None:
    good = {"Source": "s", "DetailType": "t", "Detail": "{}"}
    entries = [
        good,
        {"DetailType": "t", "Detail": "{}"},
        {"Source": "s", "Detail": "{}"},
        {"Source": "s", "DetailType": "t"},
        {**good, "Detail": "not json"},
        {**good, "Detail": "[1, 2]"},
        {**good, "EventBusName": "no-such-bus"},  # accepted and dropped, as on AWS
    ]
    result = events.put_events(Entries=entries)
    assert result["FailedEntryCount"] == 5
    assert "EventId" in result["Entries"][0] and "EventId" in result["Entries"][-1]
    errors = [(e.get("ErrorCode"), e.get("ErrorMessage")) for e in result["Entries"][1:-1]]
    assert errors == [
        (
            "InvalidArgument",
            "Parameter Source is not valid. Reason: Source is a required argument.",
        ),
        (
            "InvalidArgument",
            "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        ),
        (
            "InvalidArgument",
            "Parameter Detail is not valid. Reason: Detail is a required argument.",
        ),
        ("MalformedDetail", "Detail is malformed."),
        ("MalformedDetail", "Detail is malformed."),
    ]


def test_put_events_request_limits(events: Any) -> None:
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": "{}"}] * 11)
    assert _error(exc)[0] == "ValidationException"
    big = json.dumps({"x": "y" * (256 * 1024)})
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[{"Source": "s", "DetailType": "t", "Detail": big}])
    assert _error(exc) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
        400,
    )


def test_test_event_pattern(events: Any) -> None:
    event = json.dumps(
        {
            "id": "1",
            "account": "000000000000",
            "source": "app.orders",
            "time": "2024-01-01T00:00:00Z",
            "region": "us-east-1",
            "resources": [],
            "detail-type": "Order Placed",
            "detail": {"amount": 150, "tags": ["a", "b"]},
        }
    )
    yes = json.dumps({"source": ["app.orders"], "detail": {"amount": [{"numeric": [">", 100]}]}})
    no = json.dumps({"detail": {"tags": [{"prefix": "z"}]}})
    assert events.test_event_pattern(EventPattern=yes, Event=event)["Result"] is True
    assert events.test_event_pattern(EventPattern=no, Event=event)["Result"] is False
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"source": "x"}', Event=event)
    assert _error(exc)[0] == "InvalidEventPatternException"
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern=yes, Event='{"source": "x"}')
    assert _error(exc) == ("ValidationException", "Parameter Event is not valid.", 400)
