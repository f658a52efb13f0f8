"""EventBridge rules with an SNS topic target: the matched event is published to the topic
and reaches the topic's subscribers (here an SQS queue with raw delivery)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from lambdalite import testing
from tests.acceptance.conftest import Server, start_server, stop_server


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("to-sns"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def test_rule_target_publishes_the_event_to_the_topic(srv: Server) -> None:
    events, sns, sqs = srv.client("events"), srv.client("sns"), srv.client("sqs")
    topic = sns.create_topic(Name="orders")["TopicArn"]
    url = sqs.create_queue(QueueName="order-copies")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    events.put_rule(Name="orders-to-sns", EventPattern=json.dumps({"source": ["shop"]}))
    events.put_targets(Rule="orders-to-sns", Targets=[{"Id": "topic", "Arn": topic}])

    put = events.put_events(
        Entries=[
            {"Source": "shop", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": 7})},
            {"Source": "elsewhere", "DetailType": "OrderPlaced", "Detail": json.dumps({"id": 8})},
        ]
    )
    assert put["FailedEntryCount"] == 0
    testing.drain(srv.endpoint)  # the target's delivery and the subscription's, both settled
    batch = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    for message in batch:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    [event] = [json.loads(message["Body"]) for message in batch]
    assert event["id"] == put["Entries"][0]["EventId"]
    assert event["source"] == "shop" and event["detail-type"] == "OrderPlaced"
    assert event["detail"] == {"id": 7}
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages") is None
