"""The HTTP gateway, end to end: APIs declared through /_lambdalite/gateway/apis, called
with httpx on the gateway port of a real server; function URLs created with boto3."""

from __future__ import annotations

import secrets
import string
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import start_server, stop_server
from tests.acceptance.conftest import Server, create

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"X-Single": "s"},
            "multiValueHeaders": {"X-Multi": ["a", "b"]}, "body": json.dumps(event)}
"""
ECHO_V2 = """
import json
def handler(event, context):
    return {"statusCode": 201, "cookies": ["c1=1", "c2=2"], "body": json.dumps(event)}
"""
BARE = "def handler(event, context):\n    return {'hello': event['rawPath']}\n"
FAIL = "def handler(event, context):\n    raise ValueError('boom')\n"
MALFORMED = "def handler(event, context):\n    return {'statusCode': 200, 'body': {'x': 1}}\n"
SLOW = """
import time
def handler(event, context):
    time.sleep(1.5)
    return {"statusCode": 200}
"""
ALB = """
import json
def handler(event, context):
    return {"statusCode": 200, "statusDescription": "200 OK", "isBase64Encoded": False,
            "headers": {"Content-Type": "text/plain"}, "body": json.dumps(event)}
"""


def _api_id() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(10))


def declare(server: Server, kind: str, routes: list[dict[str, Any]], **extra: Any) -> str:
    """Declare an API; returns its URL."""
    doc = {"apiId": _api_id(), "kind": kind, "name": "t", "routes": routes, **extra}
    response = httpx.put(f"{server.endpoint}/_lambdalite/gateway/apis", json=doc)
    assert response.status_code == 200, response.text
    return str(response.json()["url"])


@pytest.fixture(scope="module")
def fns(lam: Any) -> dict[str, str]:
    return {
        "echo": create(lam, ECHO),
        "echo2": create(lam, ECHO_V2),
        "bare": create(lam, BARE),
        "fail": create(lam, FAIL),
        "malformed": create(lam, MALFORMED),
        "slow": create(lam, SLOW, Timeout=5),
        "alb": create(lam, ALB),
    }


@pytest.fixture(scope="module")
def rest(server: Server, fns: dict[str, str]) -> str:
    return declare(
        server,
        "REST",
        [
            {"method": "ANY", "path": "/{proxy+}", "functionArn": fns["echo"]},
            {"method": "GET", "path": "/items/{id}", "functionArn": fns["echo"]},
            {"method": "GET", "path": "/fail", "functionArn": fns["fail"]},
            {"method": "GET", "path": "/malformed", "functionArn": fns["malformed"]},
            {"method": "GET", "path": "/slow", "functionArn": fns["slow"], "timeoutMs": 300},
        ],
        stage="Prod",
        stageVariables={"env": "test"},
    )


def test_rest_event_and_response_mapping(rest: str) -> None:
    response = httpx.post(
        f"{rest}/hello/world?name=me&name=you",
        content=b'{"a": 1}',
        headers={"Content-Type": "application/json", "X-Case-Kept": "v"},
    )
    assert response.status_code == 200
    assert response.headers.get_list("x-multi") == ["a", "b"]
    assert response.headers["x-single"] == "s"
    assert response.headers["x-amzn-requestid"]
    event = response.json()
    assert event["resource"] == "/{proxy+}"
    assert event["path"] == "/hello/world"
    assert event["httpMethod"] == "POST"
    assert event["headers"]["X-Case-Kept"] == "v"  # names as the client cased them
    assert event["multiValueHeaders"]["X-Case-Kept"] == ["v"]
    assert event["queryStringParameters"] == {"name": "you"}
    assert event["multiValueQueryStringParameters"] == {"name": ["me", "you"]}
    assert event["pathParameters"] == {"proxy": "hello/world"}
    assert event["stageVariables"] == {"env": "test"}
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["stage"] == "Prod"
    assert context["path"] == "/Prod/hello/world"
    assert context["resourcePath"] == "/{proxy+}"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["requestId"] == response.headers["x-amzn-requestid"]


def test_rest_parameter_route_before_greedy_and_host_form(server: Server, rest: str) -> None:
    api_id = rest.split("/restapis/")[1].split("/")[0]
    response = httpx.get(
        f"{server.gateway}/Prod/items/42", headers={"Host": f"{api_id}.execute-api.localhost"}
    )
    assert response.status_code == 200
    event = response.json()
    assert event["resource"] == "/items/{id}"
    assert event["pathParameters"] == {"id": "42"}
    assert event["queryStringParameters"] is None


def test_rest_unknown_route_is_missing_authentication_token(rest: str) -> None:
    response = httpx.get(f"{rest}/")  # {proxy+} needs a segment; no route for the root
    assert response.status_code == 403
    assert response.json() == {"message": "Missing Authentication Token"}


def test_function_error_and_malformed_answer_are_502(rest: str) -> None:
    for path in ("/fail", "/malformed"):
        response = httpx.get(f"{rest}{path}")
        assert response.status_code == 502
        assert response.json() == {"message": "Internal server error"}
    assert httpx.get(f"{rest}/items/1").status_code == 200  # still serving


def test_integration_timeout_is_504(rest: str) -> None:
    response = httpx.get(f"{rest}/slow", timeout=30)
    assert response.status_code == 504
    assert response.json() == {"message": "Endpoint request timed out"}
    assert httpx.get(f"{rest}/items/1").status_code == 200


def test_request_over_ten_megabytes_is_413_and_the_server_keeps_serving(rest: str) -> None:
    response = httpx.post(f"{rest}/big", content=b"x" * (10 * 1024 * 1024 + 1), timeout=60)
    assert response.status_code == 413
    assert response.json() == {"message": "Request Too Long"}
    assert httpx.get(f"{rest}/items/1").status_code == 200


def test_http_api_payload_2(server: Server, fns: dict[str, str]) -> None:
    url = declare(
        server,
        "HTTP",
        [
            {"method": "GET", "path": "/users/{name}", "functionArn": fns["echo2"]},
            {"method": "ANY", "path": "$default", "functionArn": fns["bare"]},
        ],
    )
    response = httpx.get(
        f"{url}/users/ada?x=1&x=2", headers={"Cookie": "k1=v1; k2=v2", "X-Rep": "a"}
    )
    assert response.status_code == 201
    assert response.headers.get_list("set-cookie") == ["c1=1", "c2=2"]
    assert response.headers["apigw-requestid"]
    event = response.json()
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /users/{name}"
    assert event["rawPath"] == "/users/ada"
    assert event["rawQueryString"] == "x=1&x=2"
    assert event["cookies"] == ["k1=v1", "k2=v2"]
    assert event["queryStringParameters"] == {"x": "1,2"}
    assert event["pathParameters"] == {"name": "ada"}
    assert event["headers"]["x-rep"] == "a" and "cookie" not in event["headers"]
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    assert "body" not in event and "stageVariables" not in event
    # $default catches the rest; a bare JSON answer is a 200 JSON body.
    response = httpx.delete(f"{url}/anything")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "/anything"}


def test_http_api_without_a_matching_route_is_404(server: Server, fns: dict[str, str]) -> None:
    url = declare(server, "HTTP", [{"method": "GET", "path": "/only", "functionArn": fns["bare"]}])
    response = httpx.get(f"{url}/other")
    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_alb_target(server: Server, fns: dict[str, str]) -> None:
    url = declare(
        server, "ALB", [{"method": "ANY", "path": "/{proxy+}", "functionArn": fns["alb"]}]
    )
    response = httpx.get(f"{url}/lambda?query=1234ABCD")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    event = response.json()
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/"
    )
    assert event["path"] == "/lambda"
    assert event["queryStringParameters"] == {"query": "1234ABCD"}
    assert event["headers"]["host"]
    assert event["isBase64Encoded"] is False


def test_bad_definitions_get_400_and_the_registry_keeps_serving(server: Server) -> None:
    for body in (b"not json", b'{"apiId": "BAD", "kind": "REST", "routes": []}'):
        response = httpx.put(f"{server.endpoint}/_lambdalite/gateway/apis", content=body)
        assert response.status_code == 400
        assert response.json()["Type"] == "User"
    listed = httpx.get(f"{server.endpoint}/_lambdalite/gateway/apis")
    assert listed.status_code == 200 and isinstance(listed.json()["apis"], list)


def test_function_url_operations_and_calls(server: Server, lam: Any, fns: dict[str, str]) -> None:
    name = create(lam, ECHO_V2)
    created = lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["FunctionArn"].endswith(f":function:{name}")
    assert created["InvokeMode"] == "BUFFERED"
    url = created["FunctionUrl"]
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")

    response = httpx.post(f"{url}a/b?q=1", content=b"hi", headers={"Content-Type": "text/plain"})
    assert response.status_code == 201
    event = response.json()
    url_id = event["requestContext"]["apiId"]
    assert event["rawPath"] == "/a/b"
    assert event["routeKey"] == "$default"
    assert event["body"] == "hi" and event["isBase64Encoded"] is False
    assert event["requestContext"]["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost"
    # The host form reaches the same function.
    hosted = httpx.get(
        f"{server.gateway}/x", headers={"Host": f"{url_id}.lambda-url.us-east-1.localhost"}
    )
    assert hosted.status_code == 201 and hosted.json()["rawPath"] == "/x"

    updated = lam.update_function_url_config(
        FunctionName=name, AuthType="AWS_IAM", Cors={"AllowOrigins": ["*"]}
    )
    assert updated["AuthType"] == "AWS_IAM" and updated["Cors"] == {"AllowOrigins": ["*"]}
    assert lam.get_function_url_config(FunctionName=name)["AuthType"] == "AWS_IAM"
    assert httpx.get(url).status_code == 403  # unsigned, with AWS_IAM auth
    signed = httpx.get(url, headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/x"})
    assert signed.json()["requestContext"]["authorizer"]["iam"]["accessKey"] == "AKID"
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [url]

    lam.delete_function_url_config(FunctionName=name)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function_url_config(FunctionName=name)
    assert httpx.get(url).status_code == 403


def test_function_url_errors(lam: Any, fns: dict[str, str]) -> None:
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_function_url_config(FunctionName="no-such-fn", AuthType="NONE")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.create_function_url_config(FunctionName=fns["fail"], Qualifier="nope", AuthType="NONE")
    url = lam.create_function_url_config(FunctionName=fns["fail"], AuthType="NONE")["FunctionUrl"]
    assert httpx.get(url).status_code == 502


def test_apis_and_urls_survive_a_restart(tmp_path: Path) -> None:
    server = start_server(tmp_path, "--no-example")
    try:
        lam = server.client()
        name = create(lam, BARE)
        api = declare(server, "HTTP", [{"method": "ANY", "path": "$default", "functionArn": name}])
        url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    finally:
        stop_server(server)
    env = {"LAMBDALITE_GATEWAY_PORT": server.gateway.rsplit(":", 1)[1]}
    again = start_server(tmp_path, "--no-example", env=env)
    try:
        assert httpx.get(f"{api}/p").json() == {"hello": "/p"}
        assert httpx.get(f"{url}q").json() == {"hello": "/q"}
        # With one API declared, its routes answer at the root too.
        assert httpx.get(f"{again.gateway}/root").json() == {"hello": "/root"}
    finally:
        stop_server(again)


def test_refused_invokes_are_500(server: Server, lam: Any) -> None:
    """Spec 6.2.1: an Invoke Lambda refuses (throttled; an event over the 6 MB quota)."""
    name = create(lam, BARE)
    url = declare(server, "HTTP", [{"method": "ANY", "path": "$default", "functionArn": name}])
    response = httpx.post(f"{url}/big", content=b"x" * (7 * 1024 * 1024), timeout=60)
    assert response.status_code == 500
    assert response.json() == {"message": "Internal server error"}
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    assert httpx.get(f"{url}/p").status_code == 500
    lam.delete_function_concurrency(FunctionName=name)
    assert httpx.get(f"{url}/p").json() == {"hello": "/p"}


def test_urls_go_with_their_function_or_alias(lam: Any) -> None:
    name = create(lam, BARE)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    live = lam.create_function_url_config(FunctionName=name, Qualifier="live", AuthType="NONE")
    assert live["FunctionArn"].endswith(f":function:{name}:live")
    assert httpx.get(f"{live['FunctionUrl']}v").json() == {"hello": "/v"}
    plain = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    lam.delete_alias(FunctionName=name, Name="live")
    assert httpx.get(live["FunctionUrl"]).status_code == 403
    assert httpx.get(f"{plain}x").json() == {"hello": "/x"}
    lam.delete_function(FunctionName=name)
    assert httpx.get(plain).status_code == 403


def test_function_url_cors(lam: Any) -> None:
    name = create(lam, ECHO_V2)
    cors = {"AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
            "AllowHeaders": ["x-custom"], "ExposeHeaders": ["x-out"], "MaxAge": 60}  # fmt: skip
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE", Cors=cors)[
        "FunctionUrl"
    ]
    preflight = httpx.options(
        url, headers={"Origin": "https://app.example", "Access-Control-Request-Method": "POST"}
    )
    assert preflight.status_code == 200 and preflight.content == b""  # the function never ran
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    assert preflight.headers["access-control-allow-methods"] == "GET,POST"
    assert preflight.headers["access-control-allow-headers"] == "x-custom"
    assert preflight.headers["access-control-max-age"] == "60"
    answer = httpx.get(url, headers={"Origin": "https://app.example"})
    assert answer.status_code == 201
    assert answer.headers["access-control-allow-origin"] == "https://app.example"
    assert answer.headers["access-control-expose-headers"] == "x-out"
    other = httpx.get(url, headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
