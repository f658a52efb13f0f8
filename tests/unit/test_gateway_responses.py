"""Response mapping (spec 6.2.2, 6.2.3, 6.3) and route matching as API Gateway does it."""

from __future__ import annotations

import base64
import json

import pytest

from lambdalite.gateway.model import Route
from lambdalite.gateway.responses import (
    MalformedResponse,
    alb_response,
    v1_response,
    v2_response,
)
from lambdalite.gateway.routes import RouteTable


def _j(doc: object) -> bytes:
    return json.dumps(doc).encode()


def test_v1_spec_example() -> None:
    response = v1_response(
        _j(
            {
                "statusCode": 200,
                "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {"X-Custom-Header": ["My value", "My other value"]},
                "body": '{"ok": true}',
                "isBase64Encoded": False,
            }
        )
    )
    assert response.status == 200
    assert response.body == b'{"ok": true}'
    assert ("Content-Type", "application/json") in response.headers
    assert [v for k, v in response.headers if k == "X-Custom-Header"] == [
        "My value",
        "My other value",
    ]


def test_v1_multi_value_headers_win_over_single_ones_of_the_same_name() -> None:
    response = v1_response(
        _j({"statusCode": 201, "headers": {"X-A": "single", "X-B": "b"},
            "multiValueHeaders": {"x-a": ["m1", "m2"]}})
    )  # fmt: skip
    values = [(k.lower(), v) for k, v in response.headers]
    assert ("x-a", "single") not in values
    assert [v for k, v in values if k == "x-a"] == ["m1", "m2"]
    assert ("x-b", "b") in values
    assert response.status == 201


def test_v1_base64_body_is_decoded() -> None:
    data = bytes(range(10))
    doc = {"statusCode": 200, "body": base64.b64encode(data).decode(), "isBase64Encoded": True}
    assert v1_response(_j(doc)).body == data


@pytest.mark.parametrize(
    "answer",
    [
        {"body": "no status"},
        {"statusCode": 200, "body": {"not": "a string"}},
        {"statusCode": "abc"},
        {"statusCode": 200, "headers": {"X": {"nested": 1}}},
        {"statusCode": 200, "body": "%%%", "isBase64Encoded": True},
        "just a string",
        None,
    ],
)
def test_v1_malformed_answers(answer: object) -> None:
    with pytest.raises(MalformedResponse):
        v1_response(_j(answer))


def test_v1_not_json_is_malformed() -> None:
    with pytest.raises(MalformedResponse):
        v1_response(b"not json")


def test_v2_full_object_with_cookies() -> None:
    response = v2_response(
        _j({"statusCode": 302, "headers": {"location": "/x"}, "cookies": ["a=1", "b=2"],
            "body": "moved"})
    )  # fmt: skip
    assert response.status == 302
    assert response.body == b"moved"
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1", "b=2"]
    assert ("location", "/x") in response.headers


@pytest.mark.parametrize("answer", [{"message": "hi"}, ["a", 1], "text", 42, None])
def test_v2_any_json_without_status_is_a_200_json_body(answer: object) -> None:
    response = v2_response(_j(answer))
    assert response.status == 200
    assert ("content-type", "application/json") in response.headers
    assert json.loads(response.body) == answer


def test_v2_malformed_structured_answers() -> None:
    with pytest.raises(MalformedResponse):
        v2_response(_j({"statusCode": 200, "body": {"x": 1}}))
    with pytest.raises(MalformedResponse):
        v2_response(_j({"statusCode": 200, "cookies": "a=1"}))


def test_alb_spec_example_and_multi_value_mode() -> None:
    doc = {"statusCode": 200, "statusDescription": "200 OK", "isBase64Encoded": False,
           "headers": {"Content-Type": "text/html"}, "body": "<h1>Hello</h1>"}  # fmt: skip
    response = alb_response(_j(doc), multi_value=False)
    assert (response.status, response.body) == (200, b"<h1>Hello</h1>")
    assert response.headers == [("Content-Type", "text/html")]
    multi = {"statusCode": 200, "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]}}
    response = alb_response(_j(multi), multi_value=True)
    assert response.headers == [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")]


def _table(*routes: tuple[str, str]) -> RouteTable:
    return RouteTable([Route(method, path, f"fn:{method} {path}") for method, path in routes])


def test_exact_before_parameter_before_greedy() -> None:
    table = _table(("ANY", "/{proxy+}"), ("GET", "/items/{id}"), ("GET", "/items/special"))
    match = table.match("GET", "/items/special")
    assert match is not None and match.route.path == "/items/special"
    match = table.match("GET", "/items/42")
    assert match is not None and match.route.path == "/items/{id}"
    assert match.path_parameters == {"id": "42"}
    match = table.match("GET", "/items/42/parts")
    assert match is not None and match.route.path == "/{proxy+}"
    assert match.path_parameters == {"proxy": "items/42/parts"}


def test_named_method_before_any_and_greedy_needs_a_segment() -> None:
    table = _table(("ANY", "/items"), ("POST", "/items"), ("ANY", "/{proxy+}"))
    match = table.match("POST", "/items")
    assert match is not None and match.route.method == "POST"
    match = table.match("GET", "/items")
    assert match is not None and match.route.method == "ANY"
    assert table.match("GET", "/") is None  # {proxy+} takes at least one segment


def test_default_route_catches_the_rest_and_parameters_are_decoded() -> None:
    table = _table(("GET", "/users/{name}"), ("ANY", "$default"))
    match = table.match("GET", "/users/a%20b")
    assert match is not None and match.path_parameters == {"name": "a b"}
    match = table.match("DELETE", "/anything/else")
    assert match is not None and match.route.path == "$default"
    assert _table(("GET", "/a")).match("POST", "/a") is None


def test_an_answer_is_read_as_pythons_json_reads_it() -> None:
    """NaN and integers past 64 bits, which a Python handler's answer may hold."""
    answer = b'{"statusCode": 200, "headers": {"x-nan": NaN, "x-big": 123456789012345678901}}'
    headers = dict(v2_response(answer).headers)
    assert headers["x-nan"] == "nan" and headers["x-big"] == "123456789012345678901"
    with pytest.raises(MalformedResponse):
        v1_response(b'{"statusCode": 200,')


def test_a_request_header_is_its_last_value_whatever_the_case() -> None:
    from lambdalite.gateway.request import GatewayRequest

    req = GatewayRequest("GET", "/", "", [("X-A", "1"), ("x-a", "2"), ("B", "3")], b"")
    assert req.header("x-A") == "2" and req.header("b") == "3" and req.header("c") is None
