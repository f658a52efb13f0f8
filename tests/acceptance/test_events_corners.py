"""EventBridge in its corners (issue 15), boto3 and the aws CLI against a real server.

The expected texts and shapes are AWS's: recorded responses where they exist (the pattern
parser's messages, TestEventPattern's "Parameter Event is not valid.", the invalid-placeholder
message, PutEvents accepting an event for a bus that does not exist, the transformer's
missing values and predefined variables), the EventBridge user guide otherwise. Deliveries go
to SQS; every check drains the server first (POST /_lambdalite/drain)."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, start_server, stop_server

VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
NOT_JSON = [
    (
        "this is valid json but not a dict",
        f"Unrecognized token 'this': was expecting {VALUE}\n"
        ' at [Source: (String)"this is valid json but not a dict"; line: 1, column: 5]',
    ),
    (
        "{'bad': 'quotation'}",
        "Unexpected character (''' (code 39)): was expecting double-quote to start field name\n"
        " at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
    ),
    (
        '{"not": closed mark"',
        f"Unrecognized token 'closed': was expecting {VALUE}\n"
        ' at [Source: (String)"{"not": closed mark""; line: 1, column: 15]',
    ),
    (
        '["not", "a", "dict", "but valid json"]',
        "Filter is not an object\n"
        ' at [Source: (String)"["not", "a", "dict", "but valid json"]"; line: 1, column: 2]',
    ),
]
EVENT = {
    "id": "1",
    "account": "123456789012",
    "source": "test-source",
    "time": "2022-07-13T13:48:01Z",
    "region": "us-east-2",
    "resources": [],
    "detail-type": "test-detail-type",
    "detail": {"state": {"status": "running"}, "items": [{"sku": "a"}, {"sku": "b"}]},
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(
        tmp_path_factory.mktemp("events-corners"), "--no-example", "--clock", "virtual"
    )
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def events(server: Server) -> Any:
    return server.client("events")


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def _error(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = excinfo.value.response
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return response["Error"]["Code"], response["Error"]["Message"], status


def aws(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", server.endpoint, "--output", "json", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def cli_error(server: Server, operation: str, *args: str) -> str:
    """The aws CLI's error line for a call that must fail."""
    done = aws(server, *args)
    assert done.returncode != 0, done.stdout
    prefix = "An error occurred ("
    assert prefix in done.stderr, done.stderr
    return done.stderr[done.stderr.index(prefix) :].strip()


_names = iter(range(1_000_000))


def queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"corner-{next(_names)}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def bodies(server: Server, sqs: Any, url: str) -> list[str]:
    """Every message body in the queue once the server has drained (received and deleted)."""
    response = httpx.post(f"{server.endpoint}/_lambdalite/drain", timeout=90)
    assert response.status_code == 200, response.text
    got: list[str] = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            got.append(message["Body"])
    return got


# --- patterns ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "reason"), NOT_JSON)
def test_a_pattern_that_is_not_json_gets_the_parsers_reason(
    events: Any, text: str, reason: str
) -> None:
    expected = (
        "InvalidEventPatternException",
        f"Event pattern is not valid. Reason: {reason}",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name="not-json", EventPattern=text)
    assert _error(exc) == expected
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern=text, Event=json.dumps(EVENT))
    assert _error(exc) == expected


def test_a_pattern_that_is_not_json_through_the_cli(server: Server) -> None:
    text, reason = NOT_JSON[1]
    line = cli_error(
        server, "PutRule", "events", "put-rule", "--name", "x", "--event-pattern", text
    )
    assert line == (
        "An error occurred (InvalidEventPatternException) when calling the PutRule operation: "
        f"Event pattern is not valid. Reason: {reason}"
    )
    assert aws(server, "events", "list-rules").returncode == 0  # still serving


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"state": {"status": ["running"]}}}, True),
        ({"detail": {"state.status": ["running"]}}, True),  # dot-joined path (AWS-recorded)
        ({"detail.state.status": ["running"]}, True),
        ({"detail": {"state.status": {"status": ["running"]}}}, False),
        ({"detail": {"items": {"sku": ["b"]}}}, True),  # any element of an array
        ({"detail": {"items.sku": ["c"]}}, False),
        ({"source": ["test-source"], "detail": {"state": {"status": [{"prefix": "run"}]}}}, True),
    ],
)
def test_test_event_pattern_on_nested_fields(events: Any, pattern: Any, expected: bool) -> None:
    got = events.test_event_pattern(EventPattern=json.dumps(pattern), Event=json.dumps(EVENT))
    assert got["Result"] is expected


def test_test_event_pattern_on_a_dotted_event_key_through_the_cli(server: Server) -> None:
    event = {**EVENT, "detail": {"state.status": "running"}}
    pattern = {"detail": {"state": {"status": ["running"]}}}
    done = aws(
        server, "events", "test-event-pattern",
        "--event-pattern", json.dumps(pattern), "--event", json.dumps(event),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"Result": True}


@pytest.mark.parametrize(
    "missing", ["id", "account", "source", "time", "region", "resources", "detail-type"]
)
def test_test_event_pattern_requires_the_documented_fields(events: Any, missing: str) -> None:
    event = {k: v for k, v in EVENT.items() if k != missing}
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"source": ["x"]}', Event=json.dumps(event))
    assert _error(exc) == ("ValidationException", "Parameter Event is not valid.", 400)


def test_test_event_pattern_needs_no_detail_and_refuses_a_plain_string(
    events: Any, server: Server
) -> None:
    event = {k: v for k, v in EVENT.items() if k != "detail"}
    got = events.test_event_pattern(
        EventPattern='{"source": ["test-source"]}', Event=json.dumps(event)
    )
    assert got["Result"] is True
    line = cli_error(
        server, "TestEventPattern", "events", "test-event-pattern",
        "--event-pattern", '{"source": ["x"]}', "--event", "plain string",
    )  # fmt: skip
    assert line == (
        "An error occurred (ValidationException) when calling the TestEventPattern operation: "
        "Parameter Event is not valid."
    )


# --- PutEvents to a bus that does not exist -----------------------------------------------


def test_put_events_to_a_bus_that_does_not_exist_is_accepted_and_dropped(
    events: Any, sqs: Any, server: Server
) -> None:
    url, arn = queue(sqs)
    events.put_rule(Name="catch-all", EventPattern='{"source": ["ghost"]}')
    events.put_targets(Rule="catch-all", Targets=[{"Id": "q", "Arn": arn}])
    entry = {"Source": "ghost", "DetailType": "t", "Detail": "{}"}
    missing_arn = "arn:aws:events:us-east-1:000000000000:event-bus/no-such-bus"
    result = events.put_events(
        Entries=[
            {**entry, "EventBusName": "no-such-bus"},
            {**entry, "EventBusName": missing_arn},
        ]
    )
    assert result["FailedEntryCount"] == 0
    assert [set(e) for e in result["Entries"]] == [{"EventId"}, {"EventId"}]
    assert bodies(server, sqs, url) == []  # nothing reaches the default bus's rule
    done = aws(
        server, "events", "put-events", "--entries",
        json.dumps([{**entry, "EventBusName": "no-such-bus"}]),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["FailedEntryCount"] == 0 and "EventId" in out["Entries"][0]
    events.remove_targets(Rule="catch-all", Ids=["q"])
    events.delete_rule(Name="catch-all")


# --- input transformers -------------------------------------------------------------------


def test_a_placeholder_no_path_defines_is_refused(events: Any, server: Server) -> None:
    events.put_rule(Name="tx-check", EventPattern='{"source": ["x"]}')
    arn = "arn:aws:sqs:us-east-1:000000000000:somewhere"
    transformer = {
        "InputPathsMap": {"detail-type": "$.detail-type"},
        "InputTemplate": '"Event of <detail-type> type, with not defined key <notdefinedkey>"',
    }
    with pytest.raises(ClientError) as exc:
        events.put_targets(
            Rule="tx-check", Targets=[{"Id": "t1", "Arn": arn, "InputTransformer": transformer}]
        )
    assert _error(exc) == (
        "ValidationException",
        "InputTemplate for target t1 contains invalid placeholder notdefinedkey.",
        400,
    )
    target = {"Id": "t2", "Arn": arn, "InputTransformer": {"InputTemplate": '{"r": <rule>}'}}
    line = cli_error(
        server, "PutTargets", "events", "put-targets", "--rule", "tx-check",
        "--targets", json.dumps([target]),
    )  # fmt: skip
    assert line == (
        "An error occurred (ValidationException) when calling the PutTargets operation: "
        "InputTemplate for target t2 contains invalid placeholder rule."
    )
    predefined = {
        "InputTemplate": '"<aws.events.rule-arn> <aws.events.rule-name> '
        '<aws.events.event.ingestion-time>"',
    }
    events.put_targets(  # predefined variables need no path
        Rule="tx-check", Targets=[{"Id": "t3", "Arn": arn, "InputTransformer": predefined}]
    )
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="tx-check")["Targets"]] == ["t3"]
    events.remove_targets(Rule="tx-check", Ids=["t3"])
    events.delete_rule(Name="tx-check")


def test_input_transformer_values(events: Any, sqs: Any, server: Server) -> None:
    events.create_event_bus(Name="tx-bus")
    url, arn = queue(sqs)
    paths = {
        "detail-type": "$.detail-type",
        "command": "$.detail.command",
        "missing": "$.detail.notinmessage",
        "payload": "$.detail.payload",
        "tags": "$.detail.tags",
        "count": "$.detail.count",
    }
    templates = {
        # AWS-recorded: a missing path is "" in a JSON template, nothing inside a string
        "json": '{"detailType": <detail-type>, "command": <command>, "missing": <missing>}',
        "string": '"Event of <detail-type> type, info <command>, missing <missing>"',
        # objects, arrays and numbers outside and inside strings
        "objects": '{"payload": <payload>, "tags": <tags>, "count": <count>, '
        '"text": "p=<payload> t=<tags> n=<count>"}',
        # predefined variables (AWS-recorded shapes)
        "predefined": '{"originalEvent": <aws.events.event>, '
        '"originalEventJson": <aws.events.event.json>, "arn": <aws.events.rule-arn>, '
        '"text": "<aws.events.rule-name> at <aws.events.event.ingestion-time>"}',
    }
    targets = [
        {"Id": name, "Arn": arn, "InputTransformer": {"InputPathsMap": paths, "InputTemplate": t}}
        for name, t in templates.items()
    ]
    rule_arn = events.put_rule(
        Name="tx", EventBusName="tx-bus", EventPattern='{"source": ["tx.app"]}'
    )["RuleArn"]
    events.put_targets(Rule="tx", EventBusName="tx-bus", Targets=targets)
    detail = {
        "command": "update-account",
        "payload": {"acc_id": "0a787ecb", "nested": {"k": "v"}},
        "tags": ["a", "b"],
        "count": 3,
    }
    result = events.put_events(
        Entries=[
            {
                "EventBusName": "tx-bus",
                "Source": "tx.app",
                "DetailType": "core.update",
                "Detail": json.dumps(detail),
            }
        ]
    )
    event_id = result["Entries"][0]["EventId"]
    got = bodies(server, sqs, url)
    assert len(got) == 4
    by_kind = {
        "json": next(b for b in got if b.startswith('{"detailType"')),
        "string": next(b for b in got if b.startswith('"Event of')),
        "objects": next(b for b in got if b.startswith('{"payload"')),
        "predefined": next(b for b in got if b.startswith('{"originalEvent"')),
    }
    assert json.loads(by_kind["json"]) == {
        "detailType": "core.update",
        "command": "update-account",
        "missing": "",
    }
    assert by_kind["string"] == '"Event of core.update type, info update-account, missing "'
    objects = json.loads(by_kind["objects"])
    assert (objects["payload"], objects["tags"], objects["count"]) == (
        detail["payload"],
        ["a", "b"],
        3,
    )
    assert objects["text"] == "p={acc_id:0a787ecb,nested:{k:v}} t=[a,b] n=3"
    predefined = json.loads(by_kind["predefined"])
    original = predefined["originalEvent"]
    assert list(original) == [
        "id", "account", "detailType", "time", "source", "region", "resources", "version",
    ]  # fmt: skip
    assert (original["id"], original["detailType"], original["source"]) == (
        event_id,
        "core.update",
        "tx.app",
    )
    full = predefined["originalEventJson"]
    assert (full["id"], full["detail-type"], full["detail"]) == (event_id, "core.update", detail)
    assert predefined["arn"] == rule_arn and rule_arn.endswith(":rule/tx-bus/tx")
    assert predefined["text"] == f"tx at {full['time']}"
    events.remove_targets(Rule="tx", EventBusName="tx-bus", Ids=list(templates))
    events.delete_rule(Name="tx", EventBusName="tx-bus")


def test_nested_pattern_rule_routes_dotted_and_nested_events(
    events: Any, sqs: Any, server: Server
) -> None:
    url, arn = queue(sqs)
    pattern = {"source": ["nest"], "detail": {"order.status": ["paid"]}}
    events.put_rule(Name="nested", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="nested", Targets=[{"Id": "q", "Arn": arn, "InputPath": "$.detail"}])
    details = [
        {"order": {"status": "paid"}, "n": 1},
        {"order.status": "paid", "n": 2},
        {"order": {"status": "open"}, "n": 3},
        {"orders": [{"status": "paid"}], "n": 4},
    ]
    entries = [{"Source": "nest", "DetailType": "t", "Detail": json.dumps(d)} for d in details]
    assert events.put_events(Entries=entries)["FailedEntryCount"] == 0
    assert sorted(json.loads(body)["n"] for body in bodies(server, sqs, url)) == [1, 2]
    events.remove_targets(Rule="nested", Ids=["q"])
    events.delete_rule(Name="nested")
