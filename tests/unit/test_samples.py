"""The sample-event catalogue: every event parses, is consistent and has its documented fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdalite.samples.catalog import (
    CatalogError,
    decode_awslogs,
    generate,
    kind_of,
    services,
)

REGION, ACCOUNT = "eu-west-3", "123456789012"
EVERY = [(s.name, k) for s in services().values() for k in s.kinds]
# Spec 6.1: who waits for the answer.
SYNC = {"alb", "apigateway", "cloudfront", "cognito-user-pool", "lex", "alexa-skills-kit",
        "alexa-smart-home", "firehose", "sqs", "kinesis", "dynamodb"}  # fmt: skip
ASYNC = {"s3", "sns", "ses", "cloudformation", "codecommit", "config", "cloudwatch", "eventbridge"}


def event(service: str, kind: str, **params: str) -> Any:
    return generate(kind_of(service, kind), {"region": REGION, "account": ACCOUNT, **params})


def test_the_catalogue_covers_the_services_of_the_issue() -> None:
    assert set(services()) == SYNC | ASYNC
    for name, service in services().items():
        expected = "RequestResponse" if name in SYNC else "Event"
        assert service.invocation_type == expected, name


@pytest.mark.parametrize(("service", "kind"), EVERY)
def test_every_event_is_filled_and_consistent(service: str, kind: str) -> None:
    text = json.dumps(event(service, kind))
    assert "${" not in text
    # Every ARN of the event is in the event's region and account (or regionless/global).
    for arn in {t for t in text.replace('"', " ").split() if t.startswith("arn:aws:")}:
        parts = arn.split(":")
        assert parts[3] in ("", REGION), arn
        assert parts[4] in ("", ACCOUNT, "aws"), arn


REQUIRED: dict[tuple[str, str], list[str]] = {
    # spec 6.2.2, 6.2.3, 6.3
    ("apigateway", "aws-proxy"): [
        "resource",
        "path",
        "httpMethod",
        "headers",
        "multiValueHeaders",
        "queryStringParameters",
        "pathParameters",
        "stageVariables",
        "requestContext",
        "body",
        "isBase64Encoded",
    ],  # fmt: skip
    ("apigateway", "http-api-proxy"): [
        "version",
        "routeKey",
        "rawPath",
        "rawQueryString",
        "headers",
        "requestContext",
        "body",
        "isBase64Encoded",
    ],  # fmt: skip
    ("apigateway", "authorizer"): ["type", "authorizationToken", "methodArn"],
    ("alb", "request"): [
        "requestContext",
        "httpMethod",
        "path",
        "queryStringParameters",
        "headers",
        "body",
        "isBase64Encoded",
    ],  # fmt: skip
    ("cloudwatch", "scheduled-event"): [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ],  # fmt: skip
    ("eventbridge", "event"): [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ],  # fmt: skip
    ("cloudformation", "create-request"): [
        "RequestType",
        "ResponseURL",
        "StackId",
        "RequestId",
        "ResourceType",
        "LogicalResourceId",
        "ResourceProperties",
    ],  # fmt: skip
    ("firehose", "kinesis-firehose"): ["invocationId", "deliveryStreamArn", "region", "records"],
    ("config", "item-change-notification"): [
        "invokingEvent",
        "ruleParameters",
        "resultToken",
        "eventLeftScope",
        "executionRoleArn",
        "configRuleArn",
        "configRuleName",
        "accountId",
    ],  # fmt: skip
    ("lex", "recognize-intent"): [
        "messageVersion",
        "invocationSource",
        "inputMode",
        "sessionId",
        "inputTranscript",
        "bot",
        "interpretations",
        "sessionState",
    ],  # fmt: skip
}


@pytest.mark.parametrize(("service", "kind"), list(REQUIRED))
def test_documented_top_level_fields(service: str, kind: str) -> None:
    assert set(REQUIRED[(service, kind)]) <= set(event(service, kind))


def test_s3_records_as_spec_6_4() -> None:
    record = event("s3", "put", bucket="photos", key="my holiday.jpg")["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["awsRegion"] == REGION
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"] == {"name": "photos", "ownerIdentity": {"principalId": "EXAMPLE"},
                                      "arn": "arn:aws:s3:::photos"}  # fmt: skip
    assert record["s3"]["object"]["key"] == "my+holiday.jpg"  # URL-encoded, spaces as '+'
    assert event("s3", "delete")["Records"][0]["eventName"] == "ObjectRemoved:Delete"


def test_sns_sqs_kinesis_dynamodb_records() -> None:
    sns = event("sns", "notification", topic="news", message='say "hi"')["Records"][0]
    assert sns["EventSource"] == "aws:sns"
    assert sns["Sns"]["TopicArn"] == f"arn:aws:sns:{REGION}:{ACCOUNT}:news"
    assert sns["Sns"]["Message"] == 'say "hi"'  # substituted inside JSON strings: escaped right
    assert {"SigningCertUrl", "UnsubscribeUrl"} <= set(sns["Sns"])  # Lambda's spelling (6.5)
    sqs = event("sqs", "receive-message", queue="jobs", body="x")["Records"][0]
    assert sqs["eventSourceARN"] == f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    assert sqs["md5OfBody"] == "9dd4e461268c8034f5c8564e155c67a6"
    kinesis = event("kinesis", "get-records", data="hello")["Records"][0]
    assert kinesis["kinesis"]["data"] == "aGVsbG8="
    ddb = event("dynamodb", "update")["Records"]
    assert [r["eventName"] for r in ddb] == ["INSERT", "MODIFY", "REMOVE"]


def test_the_awslogs_payload_round_trips() -> None:
    delivered = event("cloudwatch", "logs", message="boom", **{"log-group": "/aws/lambda/f"})
    assert set(delivered) == {"awslogs"}
    doc = decode_awslogs(delivered["awslogs"]["data"])
    assert doc["messageType"] == "DATA_MESSAGE"
    assert doc["owner"] == ACCOUNT and doc["logGroup"] == "/aws/lambda/f"
    assert doc["logEvents"][0]["message"] == "boom"
    assert {"id", "timestamp", "message"} == set(doc["logEvents"][0])


def test_config_invoking_event_is_json_text() -> None:
    doc = event("config", "item-change-notification", **{"resource-id": 'i-"quoted"'})
    item = json.loads(doc["invokingEvent"])["configurationItem"]
    assert item["resourceId"] == 'i-"quoted"' and item["awsAccountId"] == ACCOUNT


def test_defaults_may_name_region_and_account() -> None:
    url = event("cloudformation", "create-request")["ResponseURL"]
    assert f"cloudformation-custom-resource-response-{REGION}" in url


def test_unknown_service_kind_or_parameter() -> None:
    with pytest.raises(CatalogError, match="unknown service"):
        kind_of("nope", "x")
    with pytest.raises(CatalogError, match="unknown kind"):
        kind_of("s3", "nope")
    with pytest.raises(CatalogError, match="takes no colour"):
        event("s3", "put", colour="red")
