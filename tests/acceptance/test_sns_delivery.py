"""SNS delivery to SQS queues and Lambda functions, retries on the virtual clock, and
durability of acknowledged publications across kill -9.

Deliveries run in the background (the outbox runner); every check first drains the server
(POST /_lambdalite/drain: it answers once everything due by the clock's present is
settled), so what has arrived by then is all that will arrive without the clock moving."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from botocore.exceptions import ClientError

from tests.acceptance.conftest import Server, create, start_server, stop_server

_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("sns-d"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


def _sqs_or_skip(server: Server) -> Any:
    sqs = server.client("sqs")
    try:
        sqs.list_queues()
    except ClientError as exc:
        pytest.skip(f"SQS is not served yet: {exc}")
    return sqs


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return _sqs_or_skip(srv)


@pytest.fixture(scope="module")
def sns(srv: Server) -> Any:
    return srv.client("sns")


def new_queue(sqs: Any, name: str | None = None) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name or f"q-{next(_names)}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, arn["QueueArn"]


def subscribed_queue(sns: Any, sqs: Any, **attributes: str) -> tuple[str, str, str]:
    """A new topic with one new queue subscribed; returns (topic, queue url, sub arn)."""
    arn = sns.create_topic(Name=f"t-{next(_names)}")["TopicArn"]
    url, queue_arn = new_queue(sqs)
    sub = sns.subscribe(TopicArn=arn, Protocol="sqs", Endpoint=queue_arn, Attributes=attributes)
    return arn, url, sub["SubscriptionArn"]


def settled(server: Server) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/drain", timeout=90)
    assert response.status_code == 200, response.text


def receive(server: Server, sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message in the queue once the server has drained."""
    settled(server)
    messages: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]
        ).get("Messages", [])
        if not got:
            return messages
        messages += got


def nothing_arrives(server: Server, sqs: Any, url: str) -> bool:
    return receive(server, sqs, url) == []


def advance(server: Server, seconds: float) -> None:
    response = httpx.post(f"{server.endpoint}/_lambdalite/clock", json={"advance": seconds})
    assert response.status_code == 200


def test_sqs_gets_the_json_envelope(srv: Server, sns: Any, sqs: Any) -> None:
    topic, url, sub = subscribed_queue(sns, sqs)
    attributes = {
        "color": {"DataType": "String", "StringValue": "blue"},
        "size": {"DataType": "Number", "StringValue": "3"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
    }
    message_id = sns.publish(
        TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes=attributes
    )["MessageId"]
    [message] = receive(srv, sqs, url)
    doc = json.loads(message["Body"])
    assert doc["Type"] == "Notification"
    assert (doc["MessageId"], doc["TopicArn"]) == (message_id, topic)
    assert (doc["Subject"], doc["Message"]) == ("greeting", "hello")
    assert doc["Timestamp"].endswith("Z") and doc["SignatureVersion"] == "1"
    assert doc["Signature"] and doc["SigningCertURL"]
    assert sub in doc["UnsubscribeURL"]
    assert doc["MessageAttributes"] == {
        "color": {"Type": "String", "Value": "blue"},
        "size": {"Type": "Number", "Value": "3"},
        "blob": {"Type": "Binary", "Value": base64.b64encode(b"\x00\xff").decode()},
    }
    assert "MessageAttributes" not in message  # they travel inside the envelope


def test_envelope_without_subject_or_attributes(srv: Server, sns: Any, sqs: Any) -> None:
    topic, url, _ = subscribed_queue(sns, sqs)
    sns.publish(TopicArn=topic, Message="plain")
    doc = json.loads(receive(srv, sqs, url)[0]["Body"])
    assert "Subject" not in doc and "MessageAttributes" not in doc


def test_raw_delivery_sends_the_message_and_sqs_attributes(srv: Server, sns: Any, sqs: Any) -> None:
    topic, url, _ = subscribed_queue(sns, sqs, RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic,
        Message='{"raw": true}',
        MessageAttributes={
            "kind": {"DataType": "String", "StringValue": "k"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x01\x02"},
        },
    )
    [message] = receive(srv, sqs, url)
    assert message["Body"] == '{"raw": true}'
    assert message["MessageAttributes"]["kind"] == {"DataType": "String", "StringValue": "k"}
    assert message["MessageAttributes"]["bin"]["BinaryValue"] == b"\x01\x02"


def test_message_structure_json_picks_the_sqs_message(srv: Server, sns: Any, sqs: Any) -> None:
    topic, url, _ = subscribed_queue(sns, sqs)
    sns.publish(
        TopicArn=topic,
        MessageStructure="json",
        Message=json.dumps({"default": "for everyone", "sqs": "for queues"}),
    )
    assert json.loads(receive(srv, sqs, url)[0]["Body"])["Message"] == "for queues"


def test_filter_policy_on_attributes(srv: Server, sns: Any, sqs: Any) -> None:
    policy = json.dumps({"color": ["blue"], "size": [{"numeric": [">", 2]}]})
    topic, url, _ = subscribed_queue(sns, sqs, FilterPolicy=policy)

    def publish(color: str, size: str) -> None:
        attributes = {
            "color": {"DataType": "String", "StringValue": color},
            "size": {"DataType": "Number", "StringValue": size},
        }
        sns.publish(TopicArn=topic, Message=f"{color}-{size}", MessageAttributes=attributes)

    publish("red", "5")
    publish("blue", "1")
    sns.publish(TopicArn=topic, Message="no attributes")
    assert nothing_arrives(srv, sqs, url)
    publish("blue", "5")
    [message] = receive(srv, sqs, url)
    assert json.loads(message["Body"])["Message"] == "blue-5"


def test_filter_policy_on_the_body(srv: Server, sns: Any, sqs: Any) -> None:
    policy = json.dumps({"order": {"status": ["paid"]}})
    topic, url, _ = subscribed_queue(
        sns, sqs, FilterPolicy=policy, FilterPolicyScope="MessageBody", RawMessageDelivery="true"
    )
    sns.publish(TopicArn=topic, Message=json.dumps({"order": {"status": "open"}}))
    sns.publish(TopicArn=topic, Message="not json at all")
    assert nothing_arrives(srv, sqs, url)
    paid = json.dumps({"order": {"status": "paid", "id": 7}})
    sns.publish(TopicArn=topic, Message=paid)
    assert [m["Body"] for m in receive(srv, sqs, url)] == [paid]


def test_publish_batch_delivers_every_entry(srv: Server, sns: Any, sqs: Any) -> None:
    topic, url, _ = subscribed_queue(sns, sqs, RawMessageDelivery="true")
    entries = [{"Id": f"e{i}", "Message": f"m{i}"} for i in range(10)]
    result = sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)
    assert len(result["Successful"]) == 10
    assert sorted(m["Body"] for m in receive(srv, sqs, url)) == sorted(f"m{i}" for i in range(10))


def test_delivery_is_retried_until_the_queue_exists(srv: Server, sns: Any, sqs: Any) -> None:
    topic = sns.create_topic(Name=f"t-{next(_names)}")["TopicArn"]
    name = f"later-{next(_names)}"
    queue_arn = f"arn:aws:sqs:us-east-1:000000000000:{name}"
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    sns.publish(TopicArn=topic, Message="patience")
    settled(srv)  # the first attempt and the immediate retries fail: no such queue yet
    url, _ = new_queue(sqs, name)
    assert nothing_arrives(srv, sqs, url)  # the next retry waits on the (virtual) clock
    advance(srv, 30)
    assert [m["Body"] for m in receive(srv, sqs, url)] == ["patience"]


def _async_invoke_or_skip(server: Server) -> Any:
    lam = server.client("lambda")
    name = create(lam, "def handler(event, context):\n    return None\n")
    try:
        status = lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    except ClientError as exc:
        pytest.skip(f"asynchronous invocation is not served yet: {exc}")
    if status["StatusCode"] != 202:
        pytest.skip(f"asynchronous invocation is not served yet ({status['StatusCode']})")
    return lam


def test_lambda_subscription_gets_the_sns_event(srv: Server, sns: Any, sqs: Any) -> None:
    lam = _async_invoke_or_skip(srv)
    url, queue_arn = new_queue(sqs)
    # The function reports the event it got into a queue, through the directory-free path
    # that any user function has: boto3 against the endpoint.
    source = (
        "import json, os, boto3\n"
        "def handler(event, context):\n"
        f"    boto3.client('sqs', endpoint_url={srv.endpoint!r}, region_name='us-east-1',\n"
        "        aws_access_key_id='x', aws_secret_access_key='x').send_message(\n"
        f"        QueueUrl={url!r}, MessageBody=json.dumps(event))\n"
    )
    name = create(lam, source)
    fn_arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    topic = sns.create_topic(Name=f"t-{next(_names)}")["TopicArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn)["SubscriptionArn"]
    attributes = {"k": {"DataType": "String", "StringValue": "v"}}
    message_id = sns.publish(
        TopicArn=topic, Message="to a function", Subject="s", MessageAttributes=attributes
    )["MessageId"]
    [message] = receive(srv, sqs, url)  # the drain covers the function's whole round
    [record] = json.loads(message["Body"])["Records"]
    assert (record["EventSource"], record["EventVersion"]) == ("aws:sns", "1.0")
    assert record["EventSubscriptionArn"] == sub
    event = record["Sns"]
    assert (event["Type"], event["MessageId"], event["TopicArn"]) == (
        "Notification",
        message_id,
        topic,
    )
    assert (event["Message"], event["Subject"]) == ("to a function", "s")
    assert event["MessageAttributes"] == {"k": {"Type": "String", "Value": "v"}}
    assert "SigningCertUrl" in event and "UnsubscribeUrl" in event


def test_acknowledged_publications_survive_kill_9(tmp_path: Any) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        sqs = _sqs_or_skip(server)
        sns = server.client("sns")
        topic = sns.create_topic(Name="durable")["TopicArn"]
        queue_arn = "arn:aws:sqs:us-east-1:000000000000:created-after-restart"
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn,
            Attributes={"RawMessageDelivery": "true"},
        )
        sent = {f"m{i}" for i in range(20)}
        for body in sorted(sent):
            sns.publish(TopicArn=topic, Message=body)
        server.process.kill()  # SIGKILL: no shutdown, nothing flushed on the way out
        server.process.wait()
    finally:
        stop_server(server)
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        sqs = server.client("sqs")
        url, _ = new_queue(sqs, "created-after-restart")
        advance(server, 60)
        got = {m["Body"] for m in receive(server, sqs, url)}
        assert got == sent
    finally:
        stop_server(server)
