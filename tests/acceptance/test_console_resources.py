"""The resources screen (queues, streams, topics, buses) and the coverage page from a real
server: JSON twins against what boto3 created, the Send/Put/Publish forms running the AWS
operations' own code (their errors are AWS's), escaping, and the coverage counts."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from itertools import count
from typing import Any

import httpx
import pytest

from lambdalite.testing import ROLE, Server, advance, drain, start_server, stop_server, zip_source

UI = "/_lambdalite/ui"
API = "/_lambdalite/api"
SCRIPT = "<script>alert('x')</script>"
_names = count()


@pytest.fixture(scope="module")
def virtual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("resources"), "--clock", "virtual", "--no-example")
    yield srv
    stop_server(srv)


def _name(prefix: str) -> str:
    return f"{prefix}-{next(_names)}"


def _get(server: Server, path: str) -> Any:
    response = httpx.get(f"{server.endpoint}{API}{path}")
    assert response.status_code == 200, response.text
    return response.json()


def _token(server: Server) -> str:
    match = re.search(r'data-csrf="([^"]+)"', httpx.get(f"{server.endpoint}{UI}/").text)
    assert match is not None
    return match.group(1)


def _act(server: Server, action: str, form: dict[str, str], twin: bool = True) -> httpx.Response:
    headers = {"origin": server.endpoint, "x-csrf-token": _token(server)}
    base = API if twin else UI
    return httpx.post(f"{server.endpoint}{base}/actions/{action}", data=form, headers=headers)


def _code(response: httpx.Response) -> str:
    return response.headers.get("x-amzn-errortype", "")


def _queue_arn(server: Server, url: str) -> str:
    attrs = server.client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attrs["Attributes"]["QueueArn"])


def test_queues_show_counts_redrive_and_messages_without_receiving_them(virtual: Server) -> None:
    sqs = virtual.client("sqs")
    dlq, name = _name("dlq"), _name("work")
    dlq_arn = _queue_arn(virtual, sqs.create_queue(QueueName=dlq)["QueueUrl"])
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    url = sqs.create_queue(QueueName=name, Attributes={"RedrivePolicy": redrive})["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="taken")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)  # in flight
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=30)  # delayed
    sqs.send_message(QueueUrl=url, MessageBody=SCRIPT)  # visible

    (row,) = [q for q in _get(virtual, "/resources")["queues"] if q["name"] == name]
    assert (row["visible"], row["inFlight"], row["delayed"]) == (1, 1, 1)
    assert row["redrive"]["deadLetterTargetArn"] == dlq_arn
    assert row["redrive"]["link"] == f"{UI}/resources/queues/{dlq}"

    detail = _get(virtual, f"/resources/queues/{name}")
    assert detail["redrivePolicy"]["deadLetterTargetArn"] == dlq_arn
    assert detail["attributes"]["VisibilityTimeout"] == "30"
    states = {m["body"]: m["state"] for m in detail["messages"]}
    assert states == {"taken": "in flight", "later": "delayed", SCRIPT: "visible"}
    again = _get(virtual, f"/resources/queues/{name}")["messages"]  # peeking receives nothing
    assert [m["receiveCount"] for m in again] == [m["receiveCount"] for m in detail["messages"]]
    dlq_doc = _get(virtual, f"/resources/queues/{dlq}")
    assert [s["name"] for s in dlq_doc["deadLetterSources"]] == [name]

    page = httpx.get(f"{virtual.endpoint}{UI}/resources/queues/{name}").text
    assert SCRIPT not in page and "&lt;script&gt;alert(" in page
    assert f'href="{UI}/resources/queues/{dlq}"' in page


def test_the_send_form_runs_send_message_with_its_errors(virtual: Server) -> None:
    sqs = virtual.client("sqs")
    fifo = _name("orders") + ".fifo"
    sqs.create_queue(QueueName=fifo, Attributes={"FifoQueue": "true"})
    form = {"queue": fifo, "body": "one", "attributes": "kind=test\ncolour=blue"}
    missing = _act(virtual, "send-message", form)
    assert missing.status_code == 400
    assert _code(missing) == "MissingParameter"
    page_error = _act(virtual, "send-message", form, twin=False)
    assert page_error.status_code == 400 and "MissingParameter" in page_error.text
    bad_line = _act(virtual, "send-message", {**form, "attributes": "no equals sign"})
    assert bad_line.status_code == 400

    sent = _act(virtual, "send-message", {**form, "group-id": "g", "deduplication-id": "d1"})
    assert sent.status_code == 200, sent.text
    message_id = sent.json()["MessageId"]
    got = sqs.receive_message(
        QueueUrl=sqs.get_queue_url(QueueName=fifo)["QueueUrl"],
        MessageAttributeNames=["All"],
        AttributeNames=["MessageGroupId"],
    )["Messages"]
    assert [m["MessageId"] for m in got] == [message_id]
    assert got[0]["MessageAttributes"]["colour"]["StringValue"] == "blue"
    assert got[0]["Attributes"]["MessageGroupId"] == "g"

    gone = _act(virtual, "send-message", {"queue": "no-such-queue", "body": "x"})
    assert gone.status_code == 400 and "QueueDoesNotExist" in _code(gone)
    assert _get(virtual, "/resources")["queues"]  # still serving


def test_streams_show_shards_and_recent_records_and_take_put_record(virtual: Server) -> None:
    kinesis = virtual.client("kinesis")
    name = _name("clicks")
    kinesis.create_stream(StreamName=name, ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    kinesis.put_record(StreamName=name, Data=b"\xff\xfe binary", PartitionKey="a")
    put = _act(virtual, "put-record", {"stream": name, "partition-key": "b", "data": SCRIPT})
    assert put.status_code == 200, put.text
    sequence = put.json()["SequenceNumber"]

    doc = _get(virtual, f"/resources/streams/{name}")
    assert [s["shardId"] for s in doc["shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert doc["shards"][0]["startingHashKey"] == "0"
    assert doc["shards"][1]["endingHashKey"] == str(2**128 - 1)
    assert sequence in {s["latestSequenceNumber"] for s in doc["shards"]}
    by_key = {r["partitionKey"]: r for r in doc["records"]}
    assert by_key["b"]["text"] == SCRIPT and by_key["b"]["sequenceNumber"] == sequence
    assert by_key["a"]["text"] is None
    assert base64.b64decode(by_key["a"]["base64"]) == b"\xff\xfe binary"
    page = httpx.get(f"{virtual.endpoint}{UI}/resources/streams/{name}").text
    assert SCRIPT not in page and "&lt;script&gt;" in page

    no_key = _act(virtual, "put-record", {"stream": name, "partition-key": "", "data": "x"})
    assert no_key.status_code == 400 and _code(no_key) == "ValidationException"


def test_topics_show_subscriptions_and_publish_delivers(virtual: Server) -> None:
    sns, sqs = virtual.client("sns"), virtual.client("sqs")
    topic = _name("news")
    topic_arn = sns.create_topic(Name=topic)["TopicArn"]
    inbox_url = sqs.create_queue(QueueName=_name("inbox"))["QueueUrl"]
    inbox_arn = _queue_arn(virtual, inbox_url)
    dead_arn = _queue_arn(virtual, sqs.create_queue(QueueName=_name("sns-dlq"))["QueueUrl"])
    policy = {"colour": ["blue"]}
    sns.subscribe(
        TopicArn=topic_arn,
        Protocol="sqs",
        Endpoint=inbox_arn,
        Attributes={
            "FilterPolicy": json.dumps(policy),
            "RedrivePolicy": json.dumps({"deadLetterTargetArn": dead_arn}),
            "RawMessageDelivery": "true",
        },
    )
    doc = _get(virtual, f"/resources/topics/{topic}")
    (sub,) = doc["subscriptions"]
    assert (sub["protocol"], sub["endpoint"], sub["pending"]) == ("sqs", inbox_arn, False)
    assert sub["filterPolicy"] == policy and sub["filterPolicyScope"] == "MessageAttributes"
    assert sub["redrivePolicy"] == {"deadLetterTargetArn": dead_arn}
    assert sub["endpointLink"].startswith(f"{UI}/resources/queues/inbox-")

    for colour in ("red", "blue"):
        form = {"topic": topic, "message": f"{colour} news", "attributes": f"colour={colour}"}
        assert _act(virtual, "publish", form).status_code == 200
    drain(virtual.endpoint)
    bodies = [
        m["Body"]
        for m in sqs.receive_message(QueueUrl=inbox_url, MaxNumberOfMessages=10)["Messages"]
    ]
    assert bodies == ["blue news"]  # the filter policy held
    missing = _act(virtual, "publish", {"topic": "no-such-topic", "message": "x"})
    assert missing.status_code == 404


def test_buses_show_rules_schedules_and_take_put_events(virtual: Server) -> None:
    events, sqs = virtual.client("events"), virtual.client("sqs")
    target_url = sqs.create_queue(QueueName=_name("matched"))["QueueUrl"]
    target_arn = _queue_arn(virtual, target_url)
    dlq_arn = _queue_arn(virtual, sqs.create_queue(QueueName=_name("ev-dlq"))["QueueUrl"])
    tick, match = _name("tick"), _name("match")
    events.put_rule(Name=tick, ScheduleExpression="rate(5 minutes)", State="DISABLED")
    source = _name("console.test")
    events.put_rule(Name=match, EventPattern=json.dumps({"source": [source]}))
    events.put_targets(
        Rule=match,
        Targets=[
            {
                "Id": "q",
                "Arn": target_arn,
                "RetryPolicy": {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 600},
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )
    events.enable_rule(Name=tick)

    doc = _get(virtual, "/resources/buses/default")
    rules = {r["name"]: r for r in doc["ruleList"]}
    assert rules[tick]["scheduleExpression"] == "rate(5 minutes)"
    assert rules[tick]["nextFireIn"] == pytest.approx(300, abs=1)
    assert rules[match]["nextFire"] is None
    assert rules[match]["eventPattern"] == {"source": [source]}
    (target,) = rules[match]["targets"]
    assert target["retryPolicy"] == {"MaximumRetryAttempts": 4, "MaximumEventAgeInSeconds": 600}
    assert target["deadLetterArn"] == dlq_arn and target["link"].startswith(UI)
    advance(virtual.endpoint, 200)
    later = {r["name"]: r for r in _get(virtual, "/resources/buses/default")["ruleList"]}
    assert later[tick]["nextFire"] == rules[tick]["nextFire"]  # on the platform clock
    assert later[tick]["nextFireIn"] == pytest.approx(100, abs=1)

    put = _act(virtual, "put-events", {"source": source, "detail-type": "t", "detail": '{"n": 1}'})
    assert put.status_code == 200 and put.json()["FailedEntryCount"] == 0
    drain(virtual.endpoint)
    (got,) = sqs.receive_message(QueueUrl=target_url)["Messages"]
    assert json.loads(got["Body"])["detail"] == {"n": 1}
    bad = _act(virtual, "put-events", {"source": source, "detail-type": "t", "detail": "{"})
    assert bad.status_code == 200 and bad.json()["Entries"][0]["ErrorCode"]  # as PutEvents
    page = httpx.get(f"{virtual.endpoint}{UI}/resources/buses/default").text
    assert "rate(5 minutes)" in page and tick in page


def test_the_function_page_links_its_trigger_and_dlq(virtual: Server) -> None:
    sqs, lam = virtual.client("sqs"), virtual.client("lambda")
    queue = _name("source")
    queue_arn = _queue_arn(virtual, sqs.create_queue(QueueName=queue)["QueueUrl"])
    name = _name("reader")
    lam.create_function(
        FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source("def handler(e, c):\n    return 1\n")},
        DeadLetterConfig={"TargetArn": queue_arn},
    )  # fmt: skip
    lam.create_event_source_mapping(FunctionName=name, EventSourceArn=queue_arn, Enabled=False)
    function_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    topic = _name("alerts")
    topic_arn = virtual.client("sns").create_topic(Name=topic)["TopicArn"]
    virtual.client("sns").subscribe(TopicArn=topic_arn, Protocol="lambda", Endpoint=function_arn)
    events = virtual.client("events")
    bus, rule = _name("bus"), _name("to-fn")
    events.create_event_bus(Name=bus)
    events.put_rule(Name=rule, EventBusName=bus, EventPattern='{"source": ["x"]}')
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "f", "Arn": function_arn}])

    page = httpx.get(f"{virtual.endpoint}{UI}/functions/{name}").text
    assert page.count(f'href="{UI}/resources/queues/{queue}"') == 2  # trigger and DLQ
    assert f'href="{UI}/resources/topics/{topic}"' in page
    assert f'href="{UI}/resources/buses/{bus}"' in page
    sources = {t["source"] for t in _get(virtual, f"/functions/{name}")["triggers"]}
    account = function_arn.split(":")[4]
    rule_arn = f"arn:aws:events:us-east-1:{account}:rule/{bus}/{rule}"
    assert sources == {queue_arn, topic_arn, rule_arn}


def test_unknown_resources_get_errors_and_the_server_keeps_serving(virtual: Server) -> None:
    missing = httpx.get(f"{virtual.endpoint}{API}/resources/streams/none-such")
    assert 400 <= missing.status_code < 500 and "ResourceNotFound" in _code(missing)
    kind = httpx.get(f"{virtual.endpoint}{API}/resources/tables/x")
    assert kind.status_code == 404
    bad = "<img src=x onerror=alert(1)>"
    page = httpx.get(f"{virtual.endpoint}{UI}/resources/queues/{bad}")
    assert page.status_code == 400 and "QueueDoesNotExist" in page.text and bad not in page.text
    deep = httpx.get(f"{virtual.endpoint}{API}/functions/a/b")
    assert deep.status_code >= 400
    assert httpx.get(f"{virtual.endpoint}{UI}/resources").status_code == 200


def test_the_coverage_page_shows_the_twins_counts(virtual: Server) -> None:
    doc = httpx.get(f"{virtual.endpoint}{API}/coverage").json()
    lam = next(s for s in doc["services"] if s["service"] == "lambda")
    page = httpx.get(f"{virtual.endpoint}{UI}/coverage").text
    row = re.search(r'<tr data-service="lambda">.*?</tr>', page, re.S)
    assert row is not None
    assert f'data-implemented="{lam["implemented"]}"' in row.group(0)
    assert f'data-total="{lam["total"]}"' in row.group(0)
    assert 'data-operation="CreateCodeSigningConfig" data-implemented="no"' in page
    assert f'href="{UI}/coverage"' in httpx.get(f"{virtual.endpoint}{UI}/").text
