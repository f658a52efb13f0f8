"""SQS queue operations through boto3 against a real server (virtual clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.acceptance.conftest import Server, start_server, stop_server
from tests.acceptance.test_sqs_support import advance, error_code, new_queue


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("sqs-queues"), "--no-example", "--clock", "virtual")
    yield srv
    stop_server(srv)


@pytest.fixture(scope="module")
def sqs(server: Server) -> Any:
    return server.client("sqs")


def test_create_is_idempotent_only_with_the_same_attributes(sqs: Any, server: Server) -> None:
    url = sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    assert url == f"{server.endpoint}/000000000000/same"
    again = sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "60"})
    assert again["QueueUrl"] == url
    assert sqs.create_queue(QueueName="same")["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueNameExists) as caught:
        sqs.create_queue(QueueName="same", Attributes={"VisibilityTimeout": "61"})
    assert error_code(caught) == "QueueAlreadyExists"


def test_queue_names_are_checked(sqs: Any) -> None:
    for name, attrs in [
        ("bad name", {}),
        ("x" * 81, {}),
        ("nofifo", {"FifoQueue": "true"}),
        ("standard.fifo", {}),
    ]:
        with pytest.raises(sqs.exceptions.ClientError) as caught:
            sqs.create_queue(QueueName=name, Attributes=attrs)
        assert error_code(caught) == "InvalidParameterValue", name
    url = sqs.create_queue(QueueName="ok-fifo.fifo", Attributes={"FifoQueue": "true"})
    attrs = sqs.get_queue_attributes(QueueUrl=url["QueueUrl"], AttributeNames=["All"])
    assert attrs["Attributes"]["FifoQueue"] == "true"
    assert attrs["Attributes"]["ContentBasedDeduplication"] == "false"


def test_get_queue_url_and_missing_queues(sqs: Any) -> None:
    url = new_queue(sqs)
    assert sqs.get_queue_url(QueueName=url.rsplit("/", 1)[1])["QueueUrl"] == url
    with pytest.raises(sqs.exceptions.QueueDoesNotExist) as caught:
        sqs.get_queue_url(QueueName="never-created")
    assert error_code(caught) == "AWS.SimpleQueueService.NonExistentQueue"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url + "-nope", MessageBody="x")


def test_list_queues_with_prefix_and_pages(sqs: Any) -> None:
    urls = [sqs.create_queue(QueueName=f"page-{i:02d}")["QueueUrl"] for i in range(5)]
    assert sqs.list_queues(QueueNamePrefix="page-")["QueueUrls"] == urls
    assert "NextToken" not in sqs.list_queues(QueueNamePrefix="page-")
    seen: list[str] = []
    kwargs: dict[str, Any] = {"QueueNamePrefix": "page-", "MaxResults": 2}
    while True:
        page = sqs.list_queues(**kwargs)
        seen += page["QueueUrls"]
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == urls
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="no-such-prefix")
    paginated = sqs.get_paginator("list_queues").paginate(
        QueueNamePrefix="page-", PaginationConfig={"PageSize": 3}
    )
    assert [u for p in paginated for u in p["QueueUrls"]] == urls


def test_attributes_round_trip_and_timestamps(sqs: Any) -> None:
    url = new_queue(sqs, {"DelaySeconds": "5", "MessageRetentionPeriod": "120"})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["DelaySeconds"] == "5"
    assert attrs["MessageRetentionPeriod"] == "120"
    assert attrs["VisibilityTimeout"] == "30"
    assert attrs["MaximumMessageSize"] == "1048576"
    assert attrs["ReceiveMessageWaitTimeSeconds"] == "0"
    assert attrs["QueueArn"] == "arn:aws:sqs:us-east-1:000000000000:" + url.rsplit("/", 1)[1]
    assert attrs["ApproximateNumberOfMessages"] == "0"
    assert "FifoQueue" not in attrs
    created = int(attrs["CreatedTimestamp"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    later = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "LastModifiedTimestamp"]
    )["Attributes"]
    assert later == {
        "VisibilityTimeout": "45",
        "LastModifiedTimestamp": later["LastModifiedTimestamp"],
    }
    assert int(later["LastModifiedTimestamp"]) >= created
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url)


@pytest.mark.parametrize(
    ("attributes", "code"),
    [
        ({"VisibilityTimeout": "43201"}, "InvalidAttributeValue"),
        ({"DelaySeconds": "-1"}, "InvalidAttributeValue"),
        ({"MaximumMessageSize": "1023"}, "InvalidAttributeValue"),
        ({"MessageRetentionPeriod": "59"}, "InvalidAttributeValue"),
        ({"ReceiveMessageWaitTimeSeconds": "21"}, "InvalidAttributeValue"),
        ({"VisibilityTimeout": "soon"}, "InvalidAttributeValue"),
        ({"Bogus": "1"}, "InvalidAttributeName"),  # AWS: "Unknown Attribute Bogus."
        ({"QueueArn": "arn:aws:sqs:us-east-1:000000000000:x"}, "InvalidAttributeName"),
        ({"ContentBasedDeduplication": "true"}, "InvalidAttributeName"),
        ({"RedrivePolicy": "not json"}, "InvalidParameterValue"),
    ],
)
def test_invalid_attributes(sqs: Any, attributes: dict[str, str], code: Any) -> None:
    codes = code if isinstance(code, tuple) else (code,)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.create_queue(QueueName="invalid-attrs", Attributes=attributes)
    assert error_code(caught) in codes
    url = new_queue(sqs)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
    assert error_code(caught) in codes
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Bogus"])
    assert error_code(caught) == "InvalidAttributeName"  # "Unknown Attribute Bogus."


def test_redrive_policy_is_checked_and_normalised(sqs: Any) -> None:
    dlq = new_queue(sqs)
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = new_queue(sqs)
    for policy in [
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 0},
        {"deadLetterTargetArn": dlq_arn + "-missing", "maxReceiveCount": 3},
        {"maxReceiveCount": 3},
    ]:
        with pytest.raises(sqs.exceptions.ClientError) as caught:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": json.dumps(policy)})
        assert error_code(caught) == "InvalidParameterValue", policy
    policy = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": "3"})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": policy})
    stored = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
    assert json.loads(stored["Attributes"]["RedrivePolicy"]) == {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": 3,
    }
    assert sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"] == [url]
    sqs.set_queue_attributes(
        QueueUrl=dlq,
        Attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})},
    )
    other = new_queue(sqs)
    with pytest.raises(sqs.exceptions.ClientError) as caught:
        sqs.set_queue_attributes(QueueUrl=other, Attributes={"RedrivePolicy": policy})
    assert error_code(caught) == "InvalidParameterValue"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["RedrivePolicy"]
    )


def test_purge_delete_and_tags(sqs: Any, server: Server) -> None:
    url = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody="a")
    sqs.purge_queue(QueueUrl=url)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(sqs.exceptions.PurgeQueueInProgress) as caught:
        sqs.purge_queue(QueueUrl=url)
    assert error_code(caught) == "AWS.SimpleQueueService.PurgeQueueInProgress"
    advance(server, 61)
    sqs.purge_queue(QueueUrl=url)
    sqs.tag_queue(QueueUrl=url, Tags={"team": "a", "env": "dev"})
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.delete_queue(QueueUrl=url)
