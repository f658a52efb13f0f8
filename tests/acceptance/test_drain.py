"""POST /_lambdalite/drain answers once what is due by now is settled (the test hook)."""

from __future__ import annotations

import httpx

from lambdalite.testing import drain
from tests.acceptance.conftest import Server


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
