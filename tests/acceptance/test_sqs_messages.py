"""SQS messages through boto3 against a real server on a virtual clock: send/receive,
batches, visibility, delays, retention, long polling, redrive and the legacy query protocol."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.test_sqs_support import advance, bodies, error_code, new_queue, receive


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("sqs-msgs"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def test_send_and_receive_with_attributes_and_digests(sqs: Any) -> None:
    url = new_queue(sqs)
    attributes = {"timestamp": {"DataType": "Number", "StringValue": "1493147359900"}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="héllo", MessageAttributes=attributes)
    assert sent["MD5OfMessageBody"] == hashlib.md5("héllo".encode()).hexdigest()
    # The digest moto, LocalStack and AWS agree on for this attribute.
    assert sent["MD5OfMessageAttributes"] == "235c5c510d26fb653d073faed50ae77c"
    [message] = receive(
        sqs, url, MessageAttributeNames=["All"], MessageSystemAttributeNames=["All"]
    )
    assert message["MessageId"] == sent["MessageId"]
    assert message["Body"] == "héllo"
    assert message["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert message["MessageAttributes"] == attributes
    assert message["MD5OfMessageAttributes"] == "235c5c510d26fb653d073faed50ae77c"
    attrs = message["Attributes"]
    assert attrs["ApproximateReceiveCount"] == "1"
    assert attrs["SenderId"] == "000000000000"
    assert int(attrs["ApproximateFirstReceiveTimestamp"]) >= int(attrs["SentTimestamp"])


def test_attribute_selection_and_binary_values(sqs: Any) -> None:
    url = new_queue(sqs)
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x",
        MessageAttributes={
            "a.one": {"DataType": "String", "StringValue": "1"},
            "a.two": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
            "b": {"DataType": "String.custom", "StringValue": "keep"},
        },
    )
    [message] = receive(
        sqs, url, MessageAttributeNames=["a.*"], MessageSystemAttributeNames=["SentTimestamp"]
    )
    assert set(message["MessageAttributes"]) == {"a.one", "a.two"}
    assert message["MessageAttributes"]["a.two"]["BinaryValue"] == b"\x00\xff"
    assert list(message["Attributes"]) == ["SentTimestamp"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
    )
    [again] = receive(sqs, url)
    assert "MessageAttributes" not in again and "Attributes" not in again


def test_message_validation(sqs: Any) -> None:
    url = new_queue(sqs, {"MaximumMessageSize": "1024"})
    with pytest.raises(sqs.exceptions.InvalidMessageContents):
        sqs.send_message(QueueUrl=url, MessageBody="bad \x01 char")
    for kwargs in [
        {"MessageBody": "x" * 1025},
        {"MessageBody": "x", "DelaySeconds": 901},
        {
            "MessageBody": "x",
            "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "a"}},
        },
        {
            "MessageBody": "x",
            "MessageAttributes": {"AWS.x": {"DataType": "String", "StringValue": "a"}},
        },
        {"MessageBody": "x", "MessageDeduplicationId": "d"},
    ]:
        with pytest.raises(sqs.exceptions.ClientError) as caught:
            sqs.send_message(QueueUrl=url, **kwargs)
        assert error_code(caught) == "InvalidParameterValue", kwargs
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="")
    assert error_code(caught) == "MissingParameter"
    for kwargs in [{"MaxNumberOfMessages": 11}, {"WaitTimeSeconds": 21}, {"VisibilityTimeout": -1}]:
        with pytest.raises(sqs.exceptions.ClientError) as caught:
            sqs.receive_message(QueueUrl=url, **kwargs)
        assert error_code(caught) == "InvalidParameterValue", kwargs


def test_batches_succeed_and_fail_per_entry(sqs: Any) -> None:
    url = new_queue(sqs)
    result = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok1", "MessageBody": "one"},
            {"Id": "bad", "MessageBody": "x", "DelaySeconds": 1000},
            {"Id": "ok2", "MessageBody": "two"},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["ok1", "ok2"]
    assert result["Successful"][0]["MD5OfMessageBody"] == hashlib.md5(b"one").hexdigest()
    assert result["Failed"][0]["Id"] == "bad"
    assert result["Failed"][0]["SenderFault"] is True
    assert result["Failed"][0]["Code"] == "InvalidParameterValue"
    messages = receive(sqs, url)
    assert sorted(bodies(messages)) == ["one", "two"]
    handles = [{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)]
    handles.append({"Id": "junk", "ReceiptHandle": "not-a-handle"})
    deleted = sqs.delete_message_batch(QueueUrl=url, Entries=handles)
    assert sorted(e["Id"] for e in deleted["Successful"]) == ["d0", "d1"]
    assert deleted["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"][
            "ApproximateNumberOfMessagesNotVisible"
        ]
        == "0"
    )


@pytest.mark.parametrize(
    ("entries", "code"),
    [
        ([], "AWS.SimpleQueueService.EmptyBatchRequest"),
        (
            [{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)],
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        ),
        (
            [{"Id": "same", "MessageBody": "x"}] * 2,
            "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        ),
        ([{"Id": "bad id!", "MessageBody": "x"}], "AWS.SimpleQueueService.InvalidBatchEntryId"),
        (
            [{"Id": f"e{i}", "MessageBody": "x" * 300_000} for i in range(4)],
            "AWS.SimpleQueueService.BatchRequestTooLong",
        ),
    ],
)
def test_batch_request_errors(sqs: Any, entries: list[dict[str, Any]], code: str) -> None:
    url = new_queue(sqs)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_code(caught) == code
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_visibility_timeout_and_receipt_handles(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"VisibilityTimeout": "30"})
    sqs.send_message(QueueUrl=url, MessageBody="m")
    [first] = receive(sqs, url)
    assert receive(sqs, url) == []
    advance(server, 31)
    [second] = receive(sqs, url, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
        )
    assert error_code(caught) == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ReceiptHandleIsInvalid):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=second["ReceiptHandle"], VisibilityTimeout=100
    )
    advance(server, 60)
    assert receive(sqs, url) == []
    advance(server, 41)
    [third] = receive(sqs, url, VisibilityTimeout=5)
    advance(server, 6)
    # Its timeout over and not received again: the change still applies (AWS answers 200).
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=third["ReceiptHandle"], VisibilityTimeout=10
    )
    assert receive(sqs, url) == []
    advance(server, 11)
    [fourth] = receive(sqs, url)
    result = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "a", "ReceiptHandle": fourth["ReceiptHandle"], "VisibilityTimeout": 0},
            {"Id": "b", "ReceiptHandle": third["ReceiptHandle"], "VisibilityTimeout": 0},
        ],
    )
    assert [e["Id"] for e in result["Successful"]] == ["a"]
    assert result["Failed"][0]["Code"] == "InvalidParameterValue"
    [fifth] = receive(sqs, url)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=fifth["ReceiptHandle"])
    sqs.delete_message(QueueUrl=url, ReceiptHandle=fifth["ReceiptHandle"])  # idempotent
    advance(server, 31)
    assert receive(sqs, url) == []


def test_deprecated_attribute_names_take_message_attribute_names(sqs: Any) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url, AttributeNames=["ApproximateReceiveCount"])
    assert message["Attributes"] == {"ApproximateReceiveCount": "1"}


def test_queue_and_message_delays(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"DelaySeconds": "10"})
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="no-delay", DelaySeconds=0)
    sqs.send_message(QueueUrl=url, MessageBody="long-delay", DelaySeconds=100)
    assert bodies(receive(sqs, url, VisibilityTimeout=1000)) == ["no-delay"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "2"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"
    advance(server, 11)
    assert bodies(receive(sqs, url, VisibilityTimeout=1000)) == ["queue-delay"]
    advance(server, 90)
    assert bodies(receive(sqs, url)) == ["long-delay"]


def test_retention_drops_old_messages(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=url, MessageBody="old")
    advance(server, 30)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    advance(server, 31)
    assert bodies(receive(sqs, url)) == ["new"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"


def test_a_drain_past_retention_reaps_the_messages(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=url, MessageBody="old")
    advance(server, 61)
    drain(server.endpoint)
    # A longer retention would bring back a message that was only hidden, not deleted.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "345600"})
    assert receive(sqs, url) == []


def _receive_in_thread(sqs: Any, url: str, out: list[Any], **extra: Any) -> threading.Thread:
    def run() -> None:
        started = time.monotonic()
        out.append(receive(sqs, url, **extra))
        out.append(time.monotonic() - started)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_long_poll_wakes_on_send_and_times_out_on_the_clock(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    got: list[Any] = []
    thread = _receive_in_thread(sqs, url, got, WaitTimeSeconds=20)
    time.sleep(0.3)
    assert thread.is_alive()
    server.client("sqs").send_message(QueueUrl=url, MessageBody="wake")
    thread.join(timeout=5)
    assert bodies(got[0]) == ["wake"] and got[1] < 3
    empty: list[Any] = []
    thread = _receive_in_thread(sqs, url, empty, WaitTimeSeconds=20)
    time.sleep(0.3)
    assert thread.is_alive()
    while thread.is_alive():  # advance until the poll's deadline (set at its start) passes
        advance(server, 20)
        thread.join(timeout=0.2)
    assert empty[0] == []


def test_long_poll_wakes_when_a_delayed_message_becomes_visible(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"ReceiveMessageWaitTimeSeconds": "20"})
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=5)
    got: list[Any] = []
    thread = _receive_in_thread(sqs, url, got)
    time.sleep(0.3)
    advance(server, 6)
    thread.join(timeout=5)
    assert bodies(got[0]) == ["later"]


def test_redrive_moves_to_the_dead_letter_queue(sqs: Any, server: Server) -> None:
    dlq = new_queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url = new_queue(sqs, {"RedrivePolicy": policy, "VisibilityTimeout": "10"})
    sent = sqs.send_message(QueueUrl=url, MessageBody="poison")
    for _ in range(2):
        assert bodies(receive(sqs, url)) == ["poison"]
        advance(server, 11)
    assert receive(sqs, url) == []  # the third receive moves it instead
    [moved] = receive(sqs, dlq, AttributeNames=["All"])
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Attributes"]["DeadLetterQueueSourceArn"].endswith(url.rsplit("/", 1)[1])


def test_fifo_order_group_blocking_and_dedup(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"VisibilityTimeout": "10"}, fifo=True)
    seqs = []
    for group, body in [("g1", "a1"), ("g2", "b1"), ("g1", "a2"), ("g2", "b2"), ("g1", "a3")]:
        r = sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
        )
        seqs.append(int(r["SequenceNumber"]))
    assert seqs == sorted(seqs)
    dup = sqs.send_message(
        QueueUrl=url, MessageBody="a1", MessageGroupId="g1", MessageDeduplicationId="a1"
    )
    assert int(dup["SequenceNumber"]) == seqs[0]
    first = receive(sqs, url, 1, AttributeNames=["All"])
    assert bodies(first) == ["a1"]
    assert first[0]["Attributes"]["MessageGroupId"] == "g1"
    assert first[0]["Attributes"]["MessageDeduplicationId"] == "a1"
    assert bodies(receive(sqs, url, 1)) == ["b1"]
    assert receive(sqs, url) == []  # both groups blocked while a message is in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    rest = receive(sqs, url, 10)
    assert bodies(rest) == ["a2", "a3"]
    for m in rest:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    advance(server, 11)  # b1 was never deleted: it comes back first, then b2
    assert bodies(receive(sqs, url, 10)) == ["b1", "b2"]
    advance(server, 301)
    again = sqs.send_message(
        QueueUrl=url, MessageBody="a1", MessageGroupId="g1", MessageDeduplicationId="a1"
    )
    assert int(again["SequenceNumber"]) > seqs[-1]


def test_fifo_requirements_and_content_dedup(sqs: Any) -> None:
    url = new_queue(sqs, fifo=True)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_code(caught) == "MissingParameter"
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_code(caught) == "InvalidParameterValue"
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="d",
            DelaySeconds=5,
        )
    assert error_code(caught) == "InvalidParameterValue"
    cbd = new_queue(sqs, {"ContentBasedDeduplication": "true"}, fifo=True)
    one = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    two = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    assert one["MessageId"] == two["MessageId"]
    [message] = receive(sqs, cbd, MessageSystemAttributeNames=["MessageDeduplicationId"])
    assert message["Attributes"]["MessageDeduplicationId"] == hashlib.sha256(b"same").hexdigest()


def test_legacy_query_protocol_round_trip(sqs: Any, server: Server) -> None:
    def post(path: str, **form: str) -> httpx.Response:
        return httpx.post(f"{server.endpoint}{path}", data={"Version": "2012-11-05", **form})

    created = post(
        "/",
        Action="CreateQueue",
        QueueName="legacy",
        **{"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "40"},
    )
    assert created.status_code == 200, created.text
    url = f"{server.endpoint}/000000000000/legacy"
    assert f"<QueueUrl>{url}</QueueUrl>" in created.text
    sent = post(
        "/000000000000/legacy",
        Action="SendMessage",
        QueueUrl=url,
        MessageBody="hi",
        **{
            "MessageAttribute.1.Name": "k",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "v",
        },
    )
    assert sent.status_code == 200, sent.text
    assert f"<MD5OfMessageBody>{hashlib.md5(b'hi').hexdigest()}</MD5OfMessageBody>" in sent.text
    received = post(
        "/000000000000/legacy",
        Action="ReceiveMessage",
        QueueUrl=url,
        **{"AttributeName.1": "All", "MessageAttributeName.1": "All"},
    )
    assert received.status_code == 200, received.text
    text = received.text
    assert "<ReceiveMessageResponse" in text and "<Body>hi</Body>" in text
    assert "<Name>ApproximateReceiveCount</Name><Value>1</Value>" in text
    assert "<MessageAttribute><Name>k</Name><Value><StringValue>v</StringValue>" in text
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])[
        "Attributes"
    ] == {"VisibilityTimeout": "40"}
    missing = post("/", Action="GetQueueUrl", QueueName="not-there")
    assert missing.status_code == 400
    assert "<Code>AWS.SimpleQueueService.NonExistentQueue</Code>" in missing.text
