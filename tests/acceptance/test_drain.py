"""POST /_lambdalite/drain answers once what is due by now is settled (the test hook), on
the system clock (the session's server) and on a virtual one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lambdalite.testing import advance, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

# Each attempt takes a while, so a drain that did not wait for it would answer first.
SLOW = "import time\ndef handler(event, context):\n    time.sleep(0.3)\n"
FAILS = SLOW + "    raise RuntimeError('planned')\n"
DOUBLES = SLOW + "    return event['n'] * 2\n"


@pytest.fixture(scope="module")
def vserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("drain"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


def journey(server: Server, request_id: str) -> dict[str, Any]:
    r = httpx.get(f"{server.endpoint}/_lambdalite/async-events", params={"request-id": request_id})
    r.raise_for_status()
    return dict(r.json())


def event(lam: Any, name: str, payload: bytes = b"{}") -> str:
    r = lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
    assert r["StatusCode"] == 202
    return str(r["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"])


def attempts(doc: dict[str, Any]) -> list[str]:
    return [j["outcome"] for j in doc["journal"] if j["kind"] == "attempt"]


def test_an_event_has_run_and_its_outcome_is_recorded_when_drain_answers(
    server: Server, lam: Any
) -> None:
    name = create(lam, DOUBLES)
    rids = [event(lam, name, json.dumps({"n": n}).encode()) for n in range(20)]
    drain(server.endpoint)  # the system clock: nothing here waits for time to pass
    for rid in rids:
        doc = journey(server, rid)
        assert (doc["state"], doc["condition"], attempts(doc)) == ("done", "Success", ["Success"])


def test_a_failed_events_retry_runs_when_the_clock_reaches_it_and_drain_answers(
    vserver: Server,
) -> None:
    lam = vserver.client("lambda")
    name = create(lam, FAILS)
    rid = event(lam, name)
    drain(vserver.endpoint)
    doc = journey(vserver, rid)
    assert (doc["state"], attempts(doc)) == ("queued", ["FunctionError"])
    advance(vserver.endpoint, 59)
    drain(vserver.endpoint)
    assert attempts(journey(vserver, rid)) == ["FunctionError"]  # not due for another second
    advance(vserver.endpoint, 1)
    drain(vserver.endpoint)
    assert attempts(journey(vserver, rid)) == ["FunctionError"] * 2
    advance(vserver.endpoint, 120)
    drain(vserver.endpoint)
    doc = journey(vserver, rid)
    assert (doc["state"], attempts(doc)) == ("done", ["FunctionError"] * 3)


def test_a_schedule_fires_once_per_slot_the_clock_passes(vserver: Server) -> None:
    sqs, events = vserver.client("sqs"), vserver.client("events")
    url = sqs.create_queue(QueueName="ticks")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    events.put_rule(Name="tick", ScheduleExpression="rate(1 minute)")
    events.put_targets(Rule="tick", Targets=[{"Id": "q", "Arn": arn}])
    drain(vserver.endpoint)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []  # no slot passed yet
    advance(vserver.endpoint, 60)
    drain(vserver.endpoint)
    # The target's delivery follows the firing (the outbox, once drained too, makes this
    # immediate); on a virtual clock this long poll returns when the message arrives.
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20, MaxNumberOfMessages=10)
    [message] = got["Messages"]
    assert json.loads(message["Body"])["detail-type"] == "Scheduled Event"
    drain(vserver.endpoint)
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_a_published_message_is_in_its_queue_when_drain_answers(server: Server) -> None:
    sns = server.client("sns")
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName="drained")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    topic = sns.create_topic(Name="drained")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    for n in range(20):
        sns.publish(TopicArn=topic, Message=f"m{n}")
    drain(server.endpoint)
    attributes = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == "20"


def test_a_bad_drain_body_is_refused_and_the_server_keeps_serving(server: Server) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/drain", content=b'{"timeout": "x"}')
    assert response.status_code == 400
    assert "Cannot drain" in response.text
    drain(server.endpoint)
