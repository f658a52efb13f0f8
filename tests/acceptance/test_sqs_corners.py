"""SQS corners as AWS behaves (issue 15): FIFO delivery, receipt handles, FIFO batches,
the FifoQueue attribute, batch limits and the query protocol's own errors. Each error is
checked over json (boto3, the aws CLI) and the legacy query protocol (form posts), with
AWS's code, status and text; the texts are the ones AWS answers (recorded responses, the
SQS API reference and its common errors)."""

from __future__ import annotations

import json
import os
import subprocess
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.test_sqs_support import advance, bodies, new_queue, receive

VERSION = "2012-11-05"
NOT_AVAILABLE = "Message does not exist or is not available for visibility timeout change."


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("sqs-corners"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def json_error(caught: Any) -> tuple[int, str, str, str | None]:
    """(status, code, message, QueryErrorCode) of a boto3 ClientError."""
    response = caught.value.response
    error = response["Error"]
    status = response["ResponseMetadata"]["HTTPStatusCode"]
    return status, error["Code"], error["Message"], error.get("QueryErrorCode")


def query(server: Server, action: str, **form: str) -> httpx.Response:
    data = {"Action": action, "Version": VERSION, **form}
    return httpx.post(f"{server.endpoint}/", data=data)


def query_error(response: httpx.Response) -> tuple[int, str, str]:
    """(status, code, message) of a query-protocol ErrorResponse."""
    root = ET.fromstring(response.text)
    found = {el.tag.rsplit("}", 1)[-1]: el.text or "" for el in root.iter()}
    return response.status_code, found["Code"], found["Message"]


def query_texts(response: httpx.Response, tag: str) -> list[str]:
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.text)
    return [el.text or "" for el in root.iter() if el.tag.rsplit("}", 1)[-1] == tag]


def aws_cli(server: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", server.endpoint, "sqs", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def send_fifo(sqs: Any, url: str, *pairs: tuple[str, str]) -> None:
    for group, body in pairs:
        sqs.send_message(
            QueueUrl=url, MessageBody=body, MessageGroupId=group, MessageDeduplicationId=body
        )


# FIFO delivery --------------------------------------------------------------------------


def test_a_fifo_receive_returns_one_group_together_and_in_order(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, fifo=True)
    send_fifo(sqs, url, ("b", "b1"), ("a", "a1"), ("b", "b2"), ("c", "c1"), ("a", "a2"))
    got = receive(sqs, url, 3, MessageSystemAttributeNames=["MessageGroupId"])
    # As many of one group as possible (the oldest first), then the next group to fill up.
    assert bodies(got) == ["b1", "b2", "a1"]
    assert [m["Attributes"]["MessageGroupId"] for m in got] == ["b", "b", "a"]
    # Groups a and b have messages in flight; only c is free (over query too).
    received = query(server, "ReceiveMessage", QueueUrl=url, MaxNumberOfMessages="10")
    assert query_texts(received, "Body") == ["c1"]


def test_a_fifo_group_stays_blocked_while_any_message_is_in_flight(
    sqs: Any, server: Server
) -> None:
    url = new_queue(sqs, {"VisibilityTimeout": "30"}, fifo=True)
    send_fifo(sqs, url, ("g", "m1"), ("g", "m2"), ("g", "m3"))
    m1, m2, m3 = receive(sqs, url, 3)
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=m1["ReceiptHandle"], VisibilityTimeout=0
    )
    counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert counts["ApproximateNumberOfMessages"] == "1"
    assert receive(sqs, url) == []  # m1 is visible again, but m2 and m3 are in flight
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m2["ReceiptHandle"])
    assert receive(sqs, url) == []  # m3 still is
    advance(server, 31)
    again = receive(sqs, url, 10, MessageSystemAttributeNames=["ApproximateReceiveCount"])
    assert bodies(again) == ["m1", "m3"]
    assert [m["Attributes"]["ApproximateReceiveCount"] for m in again] == ["2", "2"]


def test_fifo_takes_the_queue_delay_but_refuses_a_message_delay(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, {"DelaySeconds": "10"}, fifo=True)
    text = (
        "Value 5 for parameter DelaySeconds is invalid. Reason: The request include parameter "
        "that is not valid for this queue type."
    )
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x",
            MessageGroupId="g",
            MessageDeduplicationId="x",
            DelaySeconds=5,
        )
    assert json_error(caught) == (
        400,
        "InvalidParameterValue",
        text,
        "InvalidParameterValueException",
    )
    form = {"MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "x"}
    refused = query(server, "SendMessage", QueueUrl=url, DelaySeconds="5", **form)
    assert query_error(refused) == (400, "InvalidParameterValue", text)
    batch = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "late", "MessageBody": "y", "MessageGroupId": "g",
             "MessageDeduplicationId": "y", "DelaySeconds": 5},
            {"Id": "ok", "MessageBody": "z", "MessageGroupId": "g",
             "MessageDeduplicationId": "z"},
        ],
    )  # fmt: skip
    assert [e["Id"] for e in batch["Successful"]] == ["ok"]
    assert batch["Failed"] == [
        {"Id": "late", "SenderFault": True, "Code": "InvalidParameterValue",
         "Message": text},
    ]  # fmt: skip
    # An explicit zero is allowed; the queue's delay still holds every message back.
    sqs.send_message(
        QueueUrl=url, MessageBody="w", MessageGroupId="h", MessageDeduplicationId="w",
        DelaySeconds=0,
    )  # fmt: skip
    assert receive(sqs, url) == []
    advance(server, 10)
    assert sorted(bodies(receive(sqs, url))) == ["w", "z"]


def test_purge_resets_the_fifo_deduplication_window(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, fifo=True)
    first = sqs.send_message(
        QueueUrl=url, MessageBody="one", MessageGroupId="g", MessageDeduplicationId="d"
    )
    sqs.purge_queue(QueueUrl=url)
    again = sqs.send_message(
        QueueUrl=url, MessageBody="two", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert again["MessageId"] != first["MessageId"]
    assert int(again["SequenceNumber"]) > int(first["SequenceNumber"])
    assert bodies(receive(sqs, url)) == ["two"]
    # Without a purge the window holds: the duplicate is accepted but not delivered.
    dup = sqs.send_message(
        QueueUrl=url, MessageBody="three", MessageGroupId="g", MessageDeduplicationId="d"
    )
    assert dup["MessageId"] == again["MessageId"]
    advance(server, 31)
    assert bodies(receive(sqs, url)) == ["two"]


# receipt handles ------------------------------------------------------------------------


def test_changing_the_visibility_of_a_deleted_message(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    [message] = receive(sqs, url)
    handle = message["ReceiptHandle"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    text = f"Value {handle} for parameter ReceiptHandle is invalid. Reason: {NOT_AVAILABLE}"
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=10)
    assert json_error(caught) == (
        400,
        "InvalidParameterValue",
        text,
        "InvalidParameterValueException",
    )
    changed = query(
        server,
        "ChangeMessageVisibility",
        QueueUrl=url,
        ReceiptHandle=handle,
        VisibilityTimeout="10",
    )
    assert query_error(changed) == (400, "InvalidParameterValue", text)
    batch = sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "gone", "ReceiptHandle": handle, "VisibilityTimeout": 10}]
    )
    assert batch["Failed"] == [
        {"Id": "gone", "SenderFault": True, "Code": "InvalidParameterValue", "Message": text}
    ]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)  # deleting again still succeeds


def test_an_older_receipt_handle_deletes_on_a_standard_queue(sqs: Any, server: Server) -> None:
    for protocol in ("json", "query"):
        url = new_queue(sqs, {"VisibilityTimeout": "10"})
        sqs.send_message(QueueUrl=url, MessageBody=protocol)
        [first] = receive(sqs, url)
        advance(server, 11)
        [second] = receive(sqs, url)
        assert second["ReceiptHandle"] != first["ReceiptHandle"]
        if protocol == "json":
            sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
        else:
            deleted = query(
                server, "DeleteMessage", QueueUrl=url, ReceiptHandle=first["ReceiptHandle"]
            )
            assert deleted.status_code == 200, deleted.text
        advance(server, 11)
        assert receive(sqs, url) == [], protocol
        counts = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        assert counts["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_a_fifo_receipt_handle_expires_with_its_visibility_timeout(
    sqs: Any, server: Server
) -> None:
    url = new_queue(sqs, {"VisibilityTimeout": "10"}, fifo=True)
    send_fifo(sqs, url, ("g", "m"))
    [first] = receive(sqs, url)
    advance(server, 11)
    handle = first["ReceiptHandle"]
    text = (
        f"Value {handle} for parameter ReceiptHandle is invalid. "
        "Reason: The receipt handle has expired."
    )
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert json_error(caught) == (
        400,
        "InvalidParameterValue",
        text,
        "InvalidParameterValueException",
    )
    [second] = receive(sqs, url)  # still there, received again
    deleted = query(server, "DeleteMessage", QueueUrl=url, ReceiptHandle=handle)
    assert query_error(deleted) == (400, "InvalidParameterValue", text)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    advance(server, 11)
    assert receive(sqs, url) == []


# FIFO batches ---------------------------------------------------------------------------


def test_a_fifo_batch_without_a_group_id_fails_as_a_whole(sqs: Any, server: Server) -> None:
    url = new_queue(sqs, fifo=True)
    group_text = "The request must contain the parameter MessageGroupId."
    entries = [
        {"Id": "ok", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "a"},
        {"Id": "lost", "MessageBody": "b", "MessageDeduplicationId": "b"},
    ]
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    expected = (400, "InvalidParameterValue", group_text, "InvalidParameterValueException")
    assert json_error(caught) == expected
    form = {
        "SendMessageBatchRequestEntry.1.Id": "ok",
        "SendMessageBatchRequestEntry.1.MessageBody": "a",
        "SendMessageBatchRequestEntry.1.MessageGroupId": "g",
        "SendMessageBatchRequestEntry.1.MessageDeduplicationId": "a",
        "SendMessageBatchRequestEntry.2.Id": "lost",
        "SendMessageBatchRequestEntry.2.MessageBody": "b",
        "SendMessageBatchRequestEntry.2.MessageDeduplicationId": "b",
    }
    refused = query(server, "SendMessageBatch", QueueUrl=url, **form)
    assert query_error(refused) == (400, "InvalidParameterValue", group_text)
    cli = aws_cli(
        server, "send-message-batch", "--queue-url", url, "--entries", json.dumps(entries)
    )
    assert cli.returncode != 0
    assert (
        "An error occurred (InvalidParameterValue) when calling the SendMessageBatch operation: "
        + group_text
    ) in cli.stderr
    dedup_text = (
        "The queue should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly"
    )
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "x", "MessageBody": "x", "MessageGroupId": "g"}]
        )
    assert json_error(caught) == (
        400,
        "InvalidParameterValue",
        dedup_text,
        "InvalidParameterValueException",
    )
    assert receive(sqs, url) == []  # nothing of either batch was sent
    # A lone SendMessage without a group id is a missing parameter instead.
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="x")
    missing = (400, "MissingParameter", group_text, "MissingRequiredParameterException")
    assert json_error(caught) == missing
    alone = query(server, "SendMessage", QueueUrl=url, MessageBody="x", MessageDeduplicationId="x")
    assert query_error(alone) == (400, "MissingParameter", group_text)


# the FifoQueue attribute ----------------------------------------------------------------


def test_the_fifo_queue_attribute_belongs_to_fifo_queues(sqs: Any, server: Server) -> None:
    unknown = "Unknown Attribute FifoQueue."
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.create_queue(QueueName="std-false", Attributes={"FifoQueue": "false"})
    assert json_error(caught) == (400, "InvalidAttributeName", unknown, "InvalidAttributeName")
    created = query(
        server,
        "CreateQueue",
        QueueName="std-query",
        **{"Attribute.1.Name": "FifoQueue", "Attribute.1.Value": "false"},
    )
    assert query_error(created) == (400, "InvalidAttributeName", unknown)
    standard = new_queue(sqs)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=standard, Attributes={"FifoQueue": "false"})
    assert json_error(caught) == (400, "InvalidAttributeName", unknown, "InvalidAttributeName")
    cli = aws_cli(
        server, "set-queue-attributes", "--queue-url", standard, "--attributes", "FifoQueue=true"
    )
    assert (
        "An error occurred (InvalidAttributeName) when calling the SetQueueAttributes "
        "operation: " + unknown
    ) in cli.stderr
    fifo = new_queue(sqs, fifo=True)
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})  # a no-op
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "false"})
    assert json_error(caught) == (
        400,
        "InvalidAttributeValue",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
        "InvalidAttributeValue",
    )
    attrs = sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["FifoQueue"])["Attributes"]
    assert attrs == {"FifoQueue": "true"}


# batch limits ---------------------------------------------------------------------------


def _entries(kind: str, n: int, handle: str = "h") -> list[dict[str, Any]]:
    if kind == "send":
        return [{"Id": f"e{i}", "MessageBody": "x"} for i in range(n)]
    if kind == "delete":
        return [{"Id": f"e{i}", "ReceiptHandle": handle} for i in range(n)]
    return [{"Id": f"e{i}", "ReceiptHandle": handle, "VisibilityTimeout": 1} for i in range(n)]


_BATCHES = {
    "send": ("send_message_batch", "SendMessageBatch", "SendMessageBatchRequestEntry"),
    "delete": ("delete_message_batch", "DeleteMessageBatch", "DeleteMessageBatchRequestEntry"),
    "change": (
        "change_message_visibility_batch",
        "ChangeMessageVisibilityBatch",
        "ChangeMessageVisibilityBatchRequestEntry",
    ),
}


@pytest.mark.parametrize("kind", sorted(_BATCHES))
def test_batch_limit_errors_word_as_aws(sqs: Any, server: Server, kind: str) -> None:
    method, action, entry = _BATCHES[kind]
    url = new_queue(sqs)
    cases = [
        (_entries(kind, 11), "TooManyEntriesInBatchRequest",
         "Maximum number of entries per request are 10. You have sent 11."),
        ([], "EmptyBatchRequest", f"There should be at least one {entry} in the request."),
        ([*_entries(kind, 1), *_entries(kind, 1)], "BatchEntryIdsNotDistinct", "Id e0 repeated."),
        ([{**_entries(kind, 1)[0], "Id": "no spaces"}], "InvalidBatchEntryId",
         "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
         "It can be at most 80 letters long."),
    ]  # fmt: skip
    for entries, name, text in cases:
        with pytest.raises(sqs.exceptions.ClientError) as caught:
            getattr(sqs, method)(QueueUrl=url, Entries=entries)
        code = "AWS.SimpleQueueService." + name
        assert json_error(caught) == (400, code, text, name)
        form: dict[str, str] = {}
        for i, item in enumerate(entries, 1):
            form.update({f"{entry}.{i}.{k}": str(v) for k, v in item.items()})
        if not entries:
            form["Entries"] = ""  # how botocore's query serializer sends an empty list
        assert query_error(query(server, action, QueueUrl=url, **form)) == (400, code, text)


def test_a_batch_too_long_is_refused_with_its_size(sqs: Any) -> None:
    url = new_queue(sqs)
    body = "x" * 300_000
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"e{i}", "MessageBody": body} for i in range(4)]
        )
    assert json_error(caught) == (
        400,
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.",
        "BatchRequestTooLong",
    )


# the query protocol's own errors --------------------------------------------------------


def test_query_protocol_action_and_version_errors(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    unknown = query(server, "Frobnicate", QueueUrl=url)
    assert query_error(unknown) == (
        400,
        "InvalidAction",
        "The action Frobnicate is not valid for this web service.",
    )
    malformed = query(server, "ListQueues", Version="banana")
    assert query_error(malformed) == (
        400,
        "MalformedVersion",
        "Version not well formed: banana. Must be in YYYY-MM-DD format.",
    )
    old = query(server, "ListQueues", Version="2008-01-01")
    assert query_error(old) == (
        400,
        "NoSuchVersion",
        "An incorrect version was specified in the request.",
    )
    missing = query(server, "GetQueueUrl", QueueName="not-there")
    assert query_error(missing) == (
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist for this wsdl version.",
    )
    # Over json the same queue is worded without the wsdl.
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="not-there")
    assert json_error(caught)[2] == "The specified queue does not exist."
    listed = query(server, "ListQueues")  # and the server keeps serving
    assert url in query_texts(listed, "QueueUrl")
