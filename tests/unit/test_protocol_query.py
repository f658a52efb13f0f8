"""The query protocol: botocore's QuerySerializer output parses back into the same params, and
our XML parses in botocore's QueryParser; SQS against its legacy (2012-11-05 query) model."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from botocore.model import OperationModel, ServiceModel
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from lambdalite.api.json_protocol import wire_error
from lambdalite.api.query_protocol import (
    error_response,
    parse_request,
    query_model,
    serialize_response,
)
from lambdalite.api.service_model import load_service
from lambdalite.errors import AwsError

TOPIC = "arn:aws:sns:us-east-1:000000000000:t"


def _wire(op: OperationModel, params: dict[str, Any]) -> dict[str, str]:
    body = create_serializer("query").serialize_to_request(params, op)["body"]
    return dict(parse_qsl(urlencode(body), keep_blank_values=True))  # as it crosses the wire


def _parse_xml(op: OperationModel, response: tuple[int, Any, bytes]) -> dict[str, Any]:
    status, headers, body = response
    raw = {
        "status_code": status,
        "body": body,
        "headers": {k.decode(): v.decode() for k, v in headers},
    }
    return dict(create_parser("query").parse(raw, op.output_shape))


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "CreateTopic",
            {"Name": "t", "Attributes": {"DisplayName": "d"}, "Tags": [{"Key": "k", "Value": "v"}]},
        ),
        (
            "Subscribe",
            {
                "TopicArn": TOPIC,
                "Protocol": "sqs",
                "Endpoint": "arn:q",
                "Attributes": {"RawMessageDelivery": "true", "FilterPolicy": "{}"},
                "ReturnSubscriptionArn": True,
            },
        ),
        (
            "Publish",
            {
                "TopicArn": TOPIC,
                "Message": "m & <x>",
                "Subject": "s",
                "MessageAttributes": {
                    "n": {"DataType": "Number", "StringValue": "1"},
                    "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
                },
            },
        ),
        (
            "PublishBatch",
            {
                "TopicArn": TOPIC,
                "PublishBatchRequestEntries": [
                    {
                        "Id": "1",
                        "Message": "a",
                        "MessageAttributes": {"x": {"DataType": "String", "StringValue": "y"}},
                    },
                    {"Id": "2", "Message": "b", "MessageGroupId": "g"},
                ],
            },
        ),
        (
            "SetSubscriptionAttributes",
            {"SubscriptionArn": TOPIC + ":s", "AttributeName": "A", "AttributeValue": "v"},
        ),
        ("ListSubscriptionsByTopic", {"TopicArn": TOPIC, "NextToken": "n"}),
        ("RemovePermission", {"TopicArn": TOPIC, "Label": "l"}),
        (
            "AddPermission",
            {
                "TopicArn": TOPIC,
                "Label": "l",
                "AWSAccountId": ["1", "2"],
                "ActionName": ["Publish"],
            },
        ),
    ],
)
def test_sns_requests_parse_back(operation: str, params: dict[str, Any]) -> None:
    op = load_service("sns").operation_model(operation)
    form = _wire(op, params)
    assert form["Action"] == operation
    assert parse_request(op, form) == params


def test_an_empty_list_is_sent_and_read_as_empty() -> None:
    op = load_service("sns").operation_model("AddPermission")
    params = {"TopicArn": TOPIC, "Label": "l", "AWSAccountId": [], "ActionName": ["Publish"]}
    assert parse_request(op, _wire(op, params)) == params


@pytest.mark.parametrize(
    ("operation", "output"),
    [
        ("CreateTopic", {"TopicArn": TOPIC}),
        (
            "ListSubscriptionsByTopic",
            {
                "NextToken": "n",
                "Subscriptions": [
                    {
                        "SubscriptionArn": "s1",
                        "Owner": "o",
                        "Protocol": "sqs",
                        "Endpoint": "e",
                        "TopicArn": TOPIC,
                    },
                    {"SubscriptionArn": "s2"},
                ],
            },
        ),
        ("GetSubscriptionAttributes", {"Attributes": {"A": "1", "B": "<&>"}}),
        (
            "PublishBatch",
            {
                "Successful": [{"Id": "1", "MessageId": "m"}],
                "Failed": [
                    {"Id": "2", "Code": "InvalidParameter", "Message": "bad", "SenderFault": True}
                ],
            },
        ),
        ("ListTopics", {"Topics": []}),
    ],
)
def test_sns_responses_parse_in_botocore(operation: str, output: dict[str, Any]) -> None:
    op = load_service("sns").operation_model(operation)
    response = serialize_response(op, output, "req-1")
    assert b'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"' in response[2]
    parsed = _parse_xml(op, response)
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == output


def test_an_operation_without_output_still_answers_with_metadata() -> None:
    op = load_service("sns").operation_model("SetSubscriptionAttributes")
    parsed = _parse_xml(op, serialize_response(op, {}, "r"))
    assert list(parsed) == ["ResponseMetadata"]
    assert parsed["ResponseMetadata"]["RequestId"] == "r"


def _error(model: ServiceModel, exc: AwsError) -> tuple[int, dict[str, Any]]:
    status, headers, body = error_response(model, exc, "req-9")
    op = model.operation_model(next(iter(model.operation_names)))
    raw = {
        "status_code": status,
        "body": body,
        "headers": {k.decode(): v.decode() for k, v in headers},
    }
    return status, create_parser("query").parse(raw, op.output_shape)


def test_sns_errors_use_the_models_query_code_and_status() -> None:
    status, parsed = _error(load_service("sns"), wire_error("NotFoundException")("no topic"))
    assert status == 404
    assert parsed["Error"] == {"Type": "Sender", "Code": "NotFound", "Message": "no topic"}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-9"


def test_sns_validation_and_bad_values() -> None:
    op = load_service("sns").operation_model("Subscribe")
    with pytest.raises(AwsError) as caught:
        parse_request(op, {"Action": "Subscribe", "TopicArn": TOPIC})
    assert caught.value.wire_code == "ValidationError"
    assert "Value null at 'protocol' failed to satisfy constraint" in caught.value.message
    with pytest.raises(AwsError, match="ReturnSubscriptionArn"):
        parse_request(op, {"TopicArn": TOPIC, "Protocol": "sqs", "ReturnSubscriptionArn": "yes"})


# --------------------------------------------------------------------------- SQS over query

# Botocore's last SQS query model (2012-11-05, before SQS moved to json), trimmed to the shapes
# of four operations and stripped of docs: the reference the rebuilt query model must match.
_S = {"shape": "String"}
LEGACY_SQS: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2012-11-05",
        "endpointPrefix": "sqs",
        "protocol": "query",
        "serviceId": "SQS",
        "signatureVersion": "v4",
        "uid": "sqs-2012-11-05",
        "xmlNamespace": "http://queue.amazonaws.com/doc/2012-11-05/",
    },
    "operations": {
        name: {
            "name": name,
            "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": f"{name}Request"},
            "output": {"shape": f"{name}Result", "resultWrapper": f"{name}Result"},
        }
        for name in ("CreateQueue", "GetQueueAttributes", "SendMessage", "ReceiveMessage")
    },
    "shapes": {
        "String": {"type": "string"},
        "Integer": {"type": "integer"},
        "Binary": {"type": "blob"},
        "AttributeNameList": {
            "type": "list",
            "flattened": True,
            "member": {"shape": "String", "locationName": "AttributeName"},
        },
        "MessageAttributeNameList": {
            "type": "list",
            "flattened": True,
            "member": {"shape": "String", "locationName": "MessageAttributeName"},
        },
        "StringList": {
            "type": "list",
            "member": {"shape": "String", "locationName": "StringListValue"},
        },
        "QueueAttributeMap": {
            "type": "map",
            "flattened": True,
            "locationName": "Attribute",
            "key": {"shape": "String", "locationName": "Name"},
            "value": {"shape": "String", "locationName": "Value"},
        },
        "MessageSystemAttributeMap": {
            "type": "map",
            "flattened": True,
            "locationName": "Attribute",
            "key": {"shape": "String", "locationName": "Name"},
            "value": {"shape": "String", "locationName": "Value"},
        },
        "MessageBodyAttributeMap": {
            "type": "map",
            "flattened": True,
            "key": {"shape": "String", "locationName": "Name"},
            "value": {"shape": "MessageAttributeValue", "locationName": "Value"},
        },
        "MessageAttributeValue": {
            "type": "structure",
            "required": ["DataType"],
            "members": {
                "StringValue": _S,
                "BinaryValue": {"shape": "Binary"},
                "DataType": _S,
                "StringListValues": {
                    "shape": "StringList",
                    "flattened": True,
                    "locationName": "StringListValue",
                },
            },
        },
        "CreateQueueRequest": {
            "type": "structure",
            "required": ["QueueName"],
            "members": {
                "QueueName": _S,
                "Attributes": {"shape": "QueueAttributeMap", "locationName": "Attribute"},
            },
        },
        "CreateQueueResult": {"type": "structure", "members": {"QueueUrl": _S}},
        "GetQueueAttributesRequest": {
            "type": "structure",
            "required": ["QueueUrl"],
            "members": {"QueueUrl": _S, "AttributeNames": {"shape": "AttributeNameList"}},
        },
        "GetQueueAttributesResult": {
            "type": "structure",
            "members": {"Attributes": {"shape": "QueueAttributeMap", "locationName": "Attribute"}},
        },
        "SendMessageRequest": {
            "type": "structure",
            "required": ["QueueUrl", "MessageBody"],
            "members": {
                "QueueUrl": _S,
                "MessageBody": _S,
                "DelaySeconds": {"shape": "Integer"},
                "MessageAttributes": {
                    "shape": "MessageBodyAttributeMap",
                    "locationName": "MessageAttribute",
                },
                "MessageGroupId": _S,
            },
        },
        "SendMessageResult": {
            "type": "structure",
            "members": {"MD5OfMessageBody": _S, "MD5OfMessageAttributes": _S, "MessageId": _S},
        },
        "ReceiveMessageRequest": {
            "type": "structure",
            "required": ["QueueUrl"],
            "members": {
                "QueueUrl": _S,
                "AttributeNames": {"shape": "AttributeNameList"},
                "MessageAttributeNames": {"shape": "MessageAttributeNameList"},
                "MaxNumberOfMessages": {"shape": "Integer"},
                "WaitTimeSeconds": {"shape": "Integer"},
            },
        },
        "ReceiveMessageResult": {
            "type": "structure",
            "members": {"Messages": {"shape": "MessageList"}},
        },
        "MessageList": {
            "type": "list",
            "flattened": True,
            "member": {"shape": "Message", "locationName": "Message"},
        },
        "Message": {
            "type": "structure",
            "members": {
                "MessageId": _S,
                "ReceiptHandle": _S,
                "MD5OfBody": _S,
                "Body": _S,
                "Attributes": {"shape": "MessageSystemAttributeMap", "locationName": "Attribute"},
                "MessageAttributes": {
                    "shape": "MessageBodyAttributeMap",
                    "locationName": "MessageAttribute",
                },
            },
        },
        "QueueDoesNotExist": {
            "type": "structure",
            "members": {},
            "exception": True,
            "error": {
                "code": "AWS.SimpleQueueService.NonExistentQueue",
                "httpStatusCode": 400,
                "senderFault": True,
            },
        },
    },
}
LEGACY = ServiceModel(LEGACY_SQS, service_name="sqs")
ATTRS = {
    "a": {"DataType": "String", "StringValue": "x"},
    "b": {"DataType": "Binary", "BinaryValue": b"\x00\xfe"},
    "c": {"DataType": "String.list", "StringListValues": ["p", "q"]},
}

SQS_REQUESTS: list[tuple[str, dict[str, Any]]] = [
    (
        "CreateQueue",
        {"QueueName": "q", "Attributes": {"VisibilityTimeout": "5", "DelaySeconds": "0"}},
    ),
    (
        "GetQueueAttributes",
        {"QueueUrl": "http://h/000000000000/q", "AttributeNames": ["All", "QueueArn"]},
    ),
    (
        "SendMessage",
        {"QueueUrl": "u", "MessageBody": "b", "DelaySeconds": 2, "MessageAttributes": ATTRS},
    ),
    (
        "ReceiveMessage",
        {
            "QueueUrl": "u",
            "AttributeNames": ["All"],
            "MaxNumberOfMessages": 10,
            "MessageAttributeNames": ["a", "b"],
            "WaitTimeSeconds": 0,
        },
    ),
]


@pytest.mark.parametrize(("operation", "params"), SQS_REQUESTS)
def test_legacy_sqs_query_requests_parse_with_the_rebuilt_model(
    operation: str, params: dict[str, Any]
) -> None:
    form = _wire(LEGACY.operation_model(operation), params)
    assert parse_request(query_model("sqs").operation_model(operation), form) == params


def test_the_wire_names_are_sqs_own() -> None:
    form = _wire(query_model("sqs").operation_model("SendMessage"), SQS_REQUESTS[2][1])
    assert form["MessageAttribute.1.Name"] == "a"
    assert form["MessageAttribute.3.Value.StringListValue.2"] == "q"
    form = _wire(query_model("sqs").operation_model("CreateQueue"), SQS_REQUESTS[0][1])
    assert form["Attribute.1.Name"] == "VisibilityTimeout"


SQS_RESPONSES: list[tuple[str, dict[str, Any]]] = [
    ("CreateQueue", {"QueueUrl": "http://h/000000000000/q"}),
    ("GetQueueAttributes", {"Attributes": {"QueueArn": "arn", "VisibilityTimeout": "30"}}),
    ("SendMessage", {"MD5OfMessageBody": "m", "MessageId": "id"}),
    (
        "ReceiveMessage",
        {
            "Messages": [
                {
                    "MessageId": "1",
                    "ReceiptHandle": "r",
                    "MD5OfBody": "m",
                    "Body": "<b>&",
                    "Attributes": {"SentTimestamp": "1"},
                    "MessageAttributes": ATTRS,
                },
                {"MessageId": "2", "Body": "x"},
            ]
        },
    ),
    ("ReceiveMessage", {"Messages": [{"MessageId": "only", "Body": "one"}]}),
]


@pytest.mark.parametrize(("operation", "output"), SQS_RESPONSES)
def test_sqs_query_responses_parse_with_the_legacy_model(
    operation: str, output: dict[str, Any]
) -> None:
    response = serialize_response(query_model("sqs").operation_model(operation), output, "r")
    assert b'xmlns="http://queue.amazonaws.com/doc/2012-11-05/"' in response[2]
    parsed = _parse_xml(LEGACY.operation_model(operation), response)
    parsed.pop("ResponseMetadata")
    assert parsed == output


def test_flattened_sqs_xml_looks_like_sqs() -> None:
    op = query_model("sqs").operation_model("ReceiveMessage")
    body = serialize_response(op, SQS_RESPONSES[3][1], "r")[2].decode()
    assert "<ReceiveMessageResult><Message><MessageId>1</MessageId>" in body
    assert "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>" in body


def test_sqs_query_errors_use_the_legacy_codes() -> None:
    exc = wire_error("QueueDoesNotExist")("The specified queue does not exist.")
    status, parsed = _error(query_model("sqs"), exc)
    assert status == 400
    assert parsed["Error"]["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert parsed["Error"]["Type"] == "Sender"


def test_sqs_query_missing_parameter_names_the_wire_parameter() -> None:
    op = query_model("sqs").operation_model("SendMessage")
    with pytest.raises(AwsError, match=r"^The request must contain the parameter MessageBody\.$"):
        parse_request(op, {"QueueUrl": "u"})
