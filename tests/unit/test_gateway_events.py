"""The gateway's proxy events, field by field against spec 6.2.2 (1.0), 6.2.3 (2.0) and
6.3 (ALB): the request each spec example describes, built into an event, compared with
the example's fields (request ids and times, which the gateway makes, aside)."""

from __future__ import annotations

import base64
import json
from typing import Any

from lambdalite.gateway.events import EventContext, alb_event, encode, http_event, rest_event
from lambdalite.gateway.request import GatewayRequest

TIME_MS = 1589522469693  # the 1.0 example's requestTimeEpoch


def _rest_request() -> GatewayRequest:
    return GatewayRequest(
        method="POST",
        raw_path="/hello/world",
        query_string="name=me",
        headers=[
            ("Accept", "*/*"),
            ("Content-Type", "application/json"),
            ("Host", "gy415nuibc.execute-api.us-east-1.amazonaws.com"),
            ("User-Agent", "PostmanRuntime/2.4.5"),
            ("X-Forwarded-For", "54.240.196.186, 54.182.214.83"),
        ],
        body=b'{\r\n\t"a": 1\r\n}',
        source_ip="192.168.196.186",
        time_ms=TIME_MS,
    )


def _rest_context(**overrides: Any) -> EventContext:
    values: dict[str, Any] = dict(
        account_id="123456789012",
        api_id="gy415nuibc",
        stage="testStage",
        domain_name="gy415nuibc.execute-api.us-east-1.amazonaws.com",
        request_id="deef4878-7910-11e6-8f14-25afc3e9ae33",
        stage_variables={"stageVariableName": "stageVariableValue"},
        resource="/{proxy+}",
        path_parameters={"proxy": "hello/world"},
    )
    values.update(overrides)
    return EventContext(**values)


def test_rest_event_has_every_field_of_the_spec_example() -> None:
    event = rest_event(_rest_request(), _rest_context())
    assert list(event) == [
        "resource", "path", "httpMethod", "headers", "multiValueHeaders",
        "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
        "stageVariables", "requestContext", "body", "isBase64Encoded",
    ]  # fmt: skip
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/hello/world"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["Accept"] == "*/*"
    assert event["headers"]["Content-Type"] == "application/json"
    assert event["headers"]["X-Forwarded-For"] == "54.240.196.186, 54.182.214.83"
    assert event["multiValueHeaders"]["Accept"] == ["*/*"]
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    assert event["queryStringParameters"] == {"name": "me"}
    assert event["multiValueQueryStringParameters"] == {"name": ["me"]}
    assert event["pathParameters"] == {"proxy": "hello/world"}
    assert event["stageVariables"] == {"stageVariableName": "stageVariableValue"}
    assert event["body"] == '{\r\n\t"a": 1\r\n}'
    assert event["isBase64Encoded"] is False


def test_rest_request_context_matches_the_spec_example() -> None:
    ctx = rest_event(_rest_request(), _rest_context())["requestContext"]
    assert ctx["accountId"] == "123456789012"
    assert ctx["stage"] == "testStage"
    assert ctx["domainName"] == "gy415nuibc.execute-api.us-east-1.amazonaws.com"
    assert ctx["domainPrefix"] == "gy415nuibc"
    assert ctx["requestId"] == "deef4878-7910-11e6-8f14-25afc3e9ae33"
    assert ctx["resourcePath"] == "/{proxy+}"
    assert ctx["httpMethod"] == "POST"
    assert ctx["requestTime"] == "15/May/2020:06:01:09 +0000"
    assert ctx["requestTimeEpoch"] == TIME_MS
    assert ctx["path"] == "/testStage/hello/world"
    assert ctx["protocol"] == "HTTP/1.1"
    assert ctx["apiId"] == "gy415nuibc"
    assert len(ctx["resourceId"]) == 6
    assert ctx["identity"] == {
        "cognitoIdentityPoolId": None, "accountId": None, "cognitoIdentityId": None,
        "caller": None, "apiKey": None, "apiKeyId": None, "accessKey": None,
        "sourceIp": "192.168.196.186", "cognitoAuthenticationType": None,
        "cognitoAuthenticationProvider": None, "userArn": None,
        "userAgent": "PostmanRuntime/2.4.5", "user": None,
    }  # fmt: skip


def test_rest_absent_collections_are_null_not_empty() -> None:
    request = GatewayRequest("GET", "/", "", [], b"", time_ms=TIME_MS)
    event = rest_event(request, _rest_context(stage_variables=None, path_parameters=None))
    for field in (
        "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
        "stageVariables", "body",
    ):  # fmt: skip
        assert event[field] is None, field


def test_rest_repeated_headers_and_query_values() -> None:
    request = GatewayRequest(
        "GET", "/", "a=1&a=2&b=", [("X-Tag", "one"), ("X-Tag", "two")], b"", time_ms=TIME_MS
    )
    event = rest_event(request, _rest_context())
    assert event["headers"]["X-Tag"] == "two"  # the last value
    assert event["multiValueHeaders"]["X-Tag"] == ["one", "two"]
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}


def test_rest_binary_body_is_base64() -> None:
    data = bytes(range(256))
    request = GatewayRequest("POST", "/", "", [], data, time_ms=TIME_MS)
    event = rest_event(request, _rest_context(binary=True))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == data
    # Not UTF-8 is base64 too, whatever the media types say (a str cannot hold it).
    event = rest_event(request, _rest_context(binary=False))
    assert event["isBase64Encoded"] is True


def _http_request() -> GatewayRequest:
    return GatewayRequest(
        method="POST",
        raw_path="/my/path",
        query_string="parameter1=value1&parameter1=value2&parameter2=value",
        headers=[
            ("Header1", "value1"),
            ("Header2", "value1"),
            ("Header2", "value2"),
            ("Cookie", "cookie1; cookie2"),
            ("User-Agent", "agent"),
        ],
        body=b"Hello from Lambda",
        source_ip="192.0.2.1",
        time_ms=1583348638390,
    )


def _http_context(**overrides: Any) -> EventContext:
    values: dict[str, Any] = dict(
        account_id="123456789012",
        api_id="api-id",
        stage="$default",
        domain_name="id.execute-api.us-east-1.amazonaws.com",
        request_id="id",
        stage_variables={"stageVariable1": "value1"},
        route_key="$default",
        path_parameters={"proxy": "hello/world"},
    )
    values.update(overrides)
    return EventContext(**values)


def test_http_event_matches_the_spec_example() -> None:
    event = http_event(_http_request(), _http_context())
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/my/path"
    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["cookies"] == ["cookie1", "cookie2"]
    assert event["headers"] == {
        "header1": "value1",
        "header2": "value1,value2",
        "user-agent": "agent",
    }
    assert event["queryStringParameters"] == {"parameter1": "value1,value2", "parameter2": "value"}
    assert event["pathParameters"] == {"proxy": "hello/world"}
    assert event["stageVariables"] == {"stageVariable1": "value1"}
    assert event["body"] == "Hello from Lambda"
    assert event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["accountId"] == "123456789012"
    assert ctx["apiId"] == "api-id"
    assert ctx["domainName"] == "id.execute-api.us-east-1.amazonaws.com"
    assert ctx["domainPrefix"] == "id"
    assert ctx["http"] == {
        "method": "POST", "path": "/my/path", "protocol": "HTTP/1.1",
        "sourceIp": "192.0.2.1", "userAgent": "agent",
    }  # fmt: skip
    assert ctx["requestId"] == "id"
    assert ctx["routeKey"] == "$default"
    assert ctx["stage"] == "$default"
    assert ctx["time"] == "04/Mar/2020:19:03:58 +0000"
    assert ctx["timeEpoch"] == 1583348638390


def test_http_absent_fields_are_left_out() -> None:
    request = GatewayRequest("GET", "/", "", [], b"", time_ms=1)
    event = http_event(request, _http_context(stage_variables=None, path_parameters=None))
    for field in ("cookies", "queryStringParameters", "pathParameters", "stageVariables", "body"):
        assert field not in event, field
    assert "multiValueHeaders" not in event
    assert event["isBase64Encoded"] is False


def test_http_named_stage_is_part_of_the_raw_path() -> None:
    request = GatewayRequest("GET", "/items/1", "", [], b"", time_ms=1)
    event = http_event(request, _http_context(stage="dev", route_key="GET /items/{id}"))
    assert event["rawPath"] == "/dev/items/1"
    assert event["requestContext"]["http"]["path"] == "/dev/items/1"
    assert event["routeKey"] == event["requestContext"]["routeKey"] == "GET /items/{id}"


def test_http_binary_body_is_base64() -> None:
    request = GatewayRequest(
        "POST", "/", "", [("content-type", "image/png")], b"\x89PNG", time_ms=1
    )
    event = http_event(request, _http_context(binary=True))
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x89PNG"


def test_alb_event_matches_the_spec_example() -> None:
    arn = (
        "arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/"
        "lambda-279XGJDqGZ5rsrHC2Fjr/49e9d65c45c6791a"
    )
    request = GatewayRequest(
        "GET",
        "/lambda",
        "query=1234ABCD",
        [
            ("Accept", "text/html"),
            ("Host", "lambda-alb-123578498.us-east-2.elb.amazonaws.com"),
            ("X-Amzn-Trace-Id", "Root=1-5c536348-3d683b8b04734faae651f476"),
            ("X-Forwarded-For", "72.12.164.125"),
            ("X-Forwarded-Port", "80"),
            ("X-Forwarded-Proto", "http"),
        ],
        b"",
    )
    event = alb_event(request, arn, multi_value=False, binary=False)
    assert event == {
        "requestContext": {"elb": {"targetGroupArn": arn}},
        "httpMethod": "GET",
        "path": "/lambda",
        "queryStringParameters": {"query": "1234ABCD"},
        "headers": {
            "accept": "text/html",
            "host": "lambda-alb-123578498.us-east-2.elb.amazonaws.com",
            "x-amzn-trace-id": "Root=1-5c536348-3d683b8b04734faae651f476",
            "x-forwarded-for": "72.12.164.125",
            "x-forwarded-port": "80",
            "x-forwarded-proto": "http",
        },
        "body": "",
        "isBase64Encoded": False,
    }


def test_alb_multi_value_maps_replace_the_single_ones() -> None:
    request = GatewayRequest("GET", "/", "a=1&a=%20", [("X-T", "1"), ("x-t", "2")], b"")
    event = alb_event(request, "arn", multi_value=True, binary=False)
    assert "headers" not in event and "queryStringParameters" not in event
    assert event["multiValueHeaders"] == {"x-t": ["1", "2"]}
    # ALB passes query values as sent, still percent-encoded.
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "%20"]}


def test_an_event_is_encoded_as_json_whatever_its_text() -> None:
    event = {"body": "caf\u00e9 \U0001f600", "n": 1, "none": None, "ok": True, "odd": "\ud800"}
    assert json.loads(encode(event)) == event  # a lone surrogate too (json's escapes)
    assert json.loads(encode({"body": "caf\u00e9"})) == {"body": "caf\u00e9"}
