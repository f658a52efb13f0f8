"""awsJson 1.0/1.1: botocore-serialized requests parse back; our responses and error documents
parse in botocore into the values and codes users see."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from lambdalite.api import json_protocol
from lambdalite.api.json_protocol import (
    error_response,
    parse_request,
    serialize_response,
    wire_error,
)
from lambdalite.api.query_protocol import query_model
from lambdalite.api.service_model import load_service
from lambdalite.errors import AwsError


def _roundtrip_request(service: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    op = load_service(service).operation_model(operation)
    request = create_serializer("json").serialize_to_request(params, op)
    target = request["headers"]["X-Amz-Target"]
    assert target == f"{op.service_model.metadata['targetPrefix']}.{operation}"
    return parse_request(op, request["body"])


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        (
            "sqs",
            "SendMessage",
            {
                "QueueUrl": "http://localhost/000000000000/q",
                "MessageBody": "hi",
                "DelaySeconds": 3,
                "MessageAttributes": {
                    "a": {"DataType": "Binary", "BinaryValue": b"\x00\xff"},
                    "b": {"DataType": "String", "StringValue": "x"},
                },
            },
        ),
        (
            "sqs",
            "ReceiveMessage",
            {"QueueUrl": "u", "MaxNumberOfMessages": 10, "MessageAttributeNames": ["All"]},
        ),
        (
            "events",
            "PutEvents",
            {
                "Entries": [
                    {
                        "Source": "s",
                        "DetailType": "d",
                        "Detail": "{}",
                        "Time": datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
                    }
                ]
            },
        ),
        ("kinesis", "PutRecord", {"StreamName": "s", "Data": b"\x01\x02", "PartitionKey": "k"}),
        (
            "logs",
            "FilterLogEvents",
            {"logGroupName": "/aws/lambda/f", "startTime": 1, "limit": 5, "logStreamNames": ["a"]},
        ),
    ],
)
def test_botocore_requests_parse_back(service: str, operation: str, params: dict[str, Any]) -> None:
    assert _roundtrip_request(service, operation, params) == params


def test_unknown_members_are_ignored_and_nulls_are_absent() -> None:
    op = load_service("logs").operation_model("FilterLogEvents")
    body = b'{"logGroupName": "g", "brandNewMember": 1, "limit": null}'
    assert parse_request(op, body) == {"logGroupName": "g"}


def _parsed(service: str, operation: str, response: tuple[int, Any, bytes]) -> dict[str, Any]:
    status, headers, body = response
    op = load_service(service).operation_model(operation)
    raw = {
        "status_code": status,
        "body": body,
        "headers": {k.decode(): v.decode() for k, v in headers},
    }
    return dict(create_parser("json").parse(raw, op.output_shape))


def test_responses_parse_in_botocore_with_the_right_content_type() -> None:
    output = {
        "Records": [
            {
                "Data": b"\x00payload",
                "PartitionKey": "k",
                "SequenceNumber": "1",
                "ApproximateArrivalTimestamp": datetime(2024, 5, 6, tzinfo=UTC),
            }
        ],
        "NextShardIterator": "it",
        "MillisBehindLatest": 0,
    }
    op = load_service("kinesis").operation_model("GetRecords")
    response = serialize_response(op, output)
    assert (b"content-type", b"application/x-amz-json-1.1") in response[1]
    parsed = _parsed("kinesis", "GetRecords", response)
    parsed.pop("ResponseMetadata")
    assert parsed == output
    sqs = serialize_response(load_service("sqs").operation_model("GetQueueUrl"), {"QueueUrl": "u"})
    assert (b"content-type", b"application/x-amz-json-1.0") in sqs[1]


def _error(service: str, exc: AwsError, query: bool = False) -> tuple[int, dict[str, str], Any]:
    model = load_service(service)
    status, headers, body = error_response(
        model, exc, "rid-1", query_model(service) if query else None
    )
    header_map = {k.decode(): v.decode() for k, v in headers}
    raw = {"status_code": status, "body": body, "headers": header_map}
    op = next(iter(model.operation_names))
    parsed = create_parser("json").parse(raw, model.operation_model(op).output_shape)
    return status, header_map, parsed["Error"]


def test_a_plain_json_error_is_read_by_its_shape_name() -> None:
    exc = wire_error("ResourceNotFoundException")("The specified log group does not exist.")
    status, headers, error = _error("logs", exc)
    assert status == 400
    assert error == {
        "Code": "ResourceNotFoundException",
        "Message": "The specified log group does not exist.",
    }
    assert "x-amzn-query-error" not in headers


def test_sqs_errors_carry_the_query_code_users_catch() -> None:
    exc = wire_error("QueueDoesNotExist")("The specified queue does not exist.")
    status, headers, error = _error("sqs", exc, query=True)
    assert status == 400
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert error["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert error["QueryErrorCode"] == "QueueDoesNotExist"  # botocore raises this class
    assert error["Type"] == "Sender"


def test_sqs_model_statuses_and_unknown_codes() -> None:
    status, headers, error = _error("sqs", wire_error("OverLimit")("too many"), query=True)
    assert (status, headers["x-amzn-query-error"]) == (403, "OverLimit;Sender")
    status, headers, error = _error("sqs", wire_error("InternalFailure", 500)("boom"), query=True)
    assert (status, headers["x-amzn-query-error"], error["Type"]) == (
        500,
        "InternalFailure;Receiver",
        "Receiver",
    )


@pytest.mark.parametrize(
    ("service", "operation", "body", "code"),
    [
        ("sqs", "GetQueueUrl", b"{}", "MissingParameter"),
        ("events", "PutRule", b"{}", "ValidationException"),
        ("kinesis", "DescribeStream", b'{"Limit": 0}', "ValidationException"),
        (
            "logs",
            "GetLogEvents",
            b'{"logStreamName": "s", "limit": 0}',
            "InvalidParameterException",
        ),
        ("kinesis", "DescribeStream", b'{"StreamName": 5}', "SerializationException"),
        ("logs", "FilterLogEvents", b"{not json", "SerializationException"),
    ],
)
def test_input_errors_per_service(service: str, operation: str, body: bytes, code: str) -> None:
    op = load_service(service).operation_model(operation)
    with pytest.raises(AwsError) as caught:
        parse_request(op, body)
    assert caught.value.wire_code == code


def test_messages_follow_each_services_style() -> None:
    sqs = load_service("sqs").operation_model("GetQueueUrl")
    with pytest.raises(AwsError, match=r"^The request must contain the parameter QueueName\.$"):
        parse_request(sqs, b"{}")
    kinesis = load_service("kinesis").operation_model("DescribeStream")
    with pytest.raises(AwsError, match=r"^1 validation error detected: Value '0' at 'limit'"):
        parse_request(kinesis, b'{"Limit": 0}')


def test_the_json_body_of_an_error_names_the_type_with_the_sqs_namespace() -> None:
    model = load_service("sqs")
    exc = wire_error("QueueDoesNotExist")("nope")
    _, _, body = json_protocol.error_response(model, exc, "r", query_model("sqs"))
    assert json.loads(body) == {"__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "nope"}
    _, _, body = json_protocol.error_response(load_service("logs"), exc, "r")
    assert json.loads(body)["__type"] == "QueueDoesNotExist"
