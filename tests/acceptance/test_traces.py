"""X-Amzn-Trace-Id is honoured and handed on (observability brief 3.2): into the function's
_X_AMZN_TRACE_ID, through async retries to the DLQ message, into SQS's AWSTraceHeader (from
the HTTP header of a call made inside a function too), and the REPORT line's XRAY suffix."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from lambdalite import testing
from lambdalite.observe.trace import parse, root_of
from tests.acceptance.conftest import Server, create, start_server, stop_server

GIVEN = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
ECHO_TRACE = (
    "import os\ndef handler(event, context):\n    return os.environ.get('_X_AMZN_TRACE_ID')\n"
)
PRINT_AND_FAIL = (
    "import os\n"
    "def handler(event, context):\n"
    "    print('TRACE ' + os.environ['_X_AMZN_TRACE_ID'])\n"
    "    raise ValueError('no')\n"
)
SEND_TO_QUEUE = (
    "import boto3, os\n"
    "def handler(event, context):\n"
    "    boto3.client('sqs').send_message(QueueUrl=event['queue'], MessageBody='hi')\n"
    "    return os.environ['_X_AMZN_TRACE_ID']\n"
)


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("traces"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def with_trace_header(client: Any, header: str) -> Any:
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-sign", add)
    return client


def invoke(lam: Any, name: str, payload: Any = None) -> Any:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(payload or {}))
    assert "FunctionError" not in response, response["Payload"].read()
    return json.loads(response["Payload"].read())


def test_the_callers_header_reaches_the_function_as_it_came(srv: Server) -> None:
    lam = with_trace_header(srv.client("lambda"), GIVEN)
    assert invoke(lam, create(lam, ECHO_TRACE)) == GIVEN


def test_without_a_header_each_invocation_gets_a_root_of_its_own(srv: Server) -> None:
    lam = srv.client("lambda")
    name = create(lam, ECHO_TRACE)
    first, second = invoke(lam, name), invoke(lam, name)
    assert root_of(first) and root_of(second) and root_of(first) != root_of(second)
    assert ("Sampled", "0") in parse(first)  # PassThrough: a key for logs, not sampled


def report_lines(srv: Server, name: str) -> list[str]:
    logs = srv.client("logs")
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return [e["message"] for e in events if e["message"].startswith("REPORT")]


def test_the_report_line_names_the_trace_only_under_active_tracing(srv: Server) -> None:
    lam = srv.client("lambda")
    active = create(lam, ECHO_TRACE, TracingConfig={"Mode": "Active"})
    passthrough = create(lam, ECHO_TRACE)
    header = invoke(lam, active)
    invoke(lam, passthrough)
    testing.drain(srv.endpoint)
    (report,) = report_lines(srv, active)
    segment = dict(parse(header))["Parent"]
    assert f"\nXRAY TraceId: {root_of(header)}\tSegmentId: {segment}\tSampled: true" in report
    (plain,) = report_lines(srv, passthrough)
    assert "XRAY" not in plain


def test_async_attempts_share_the_root_and_the_dlq_message_carries_it(srv: Server) -> None:
    lam = with_trace_header(srv.client("lambda"), GIVEN)
    sqs = srv.client("sqs")
    dlq = sqs.create_queue(QueueName="traced-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    name = create(lam, PRINT_AND_FAIL, DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    assert response["StatusCode"] == 202
    for _ in range(3):  # the first attempt, the retry a minute later, the DLQ delivery
        testing.drain(srv.endpoint)
        testing.advance(srv.endpoint, 180)
    testing.drain(srv.endpoint)

    logs = srv.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    seen = [e["message"].split(" ", 1)[1].strip() for e in logs if e["message"].startswith("TRACE")]
    assert len(seen) == 2, seen
    assert {root_of(h) for h in seen} == {root_of(GIVEN)}
    parents = {dict(parse(h))["Parent"] for h in seen}
    assert len(parents) == 2 and "53995c3f42cd8ad8" not in parents  # a new Parent per attempt

    messages = sqs.receive_message(
        QueueUrl=dlq, MessageSystemAttributeNames=["AWSTraceHeader"], WaitTimeSeconds=0
    )["Messages"]
    assert messages[0]["Attributes"]["AWSTraceHeader"] == GIVEN


def test_sqs_takes_the_http_header_unless_the_system_attribute_names_one(srv: Server) -> None:
    sqs = with_trace_header(srv.client("sqs"), GIVEN)
    url = sqs.create_queue(QueueName="traced")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="from the header")
    mine = "Root=1-5759e988-000000000000000000000001;Sampled=0"
    sqs.send_message(
        QueueUrl=url,
        MessageBody="explicit",
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": mine}},
    )
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "batched"}])
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
    )["Messages"]
    by_body = {m["Body"]: m["Attributes"]["AWSTraceHeader"] for m in got}
    assert by_body == {"from the header": GIVEN, "explicit": mine, "batched": GIVEN}


def test_a_call_from_inside_the_function_carries_its_trace(srv: Server) -> None:
    lam = srv.client("lambda")
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName="from-inside")["QueueUrl"]
    header = invoke(lam, create(lam, SEND_TO_QUEUE), {"queue": url})
    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["AWSTraceHeader"])[
        "Messages"
    ]
    # botocore adds X-Amzn-Trace-Id from _X_AMZN_TRACE_ID inside a Lambda function.
    assert message["Attributes"]["AWSTraceHeader"] == header


def test_the_json_report_record_carries_the_sampled_trace(srv: Server) -> None:
    lam = srv.client("lambda")
    name = create(
        lam, ECHO_TRACE, TracingConfig={"Mode": "Active"}, LoggingConfig={"LogFormat": "JSON"}
    )
    header = invoke(lam, name)
    testing.drain(srv.endpoint)
    logs = srv.client("logs").filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    records = [json.loads(e["message"]) for e in logs if e["message"].startswith("{")]
    (report,) = [r for r in records if r.get("type") == "platform.report"]
    assert report["record"]["tracing"] == {
        "spanId": dict(parse(header))["Parent"],
        "type": "X-Amzn-Trace-Id",
        "value": header,
    }
