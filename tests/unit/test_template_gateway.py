"""SAM's Api and HttpApi resources become the gateway's ApiDefinitions."""

from __future__ import annotations

from lambdalite.gateway.model import ApiKind, Route
from lambdalite.template.provision.gateway import api_definition

ARN = "arn:aws:lambda:us-east-1:000000000000:function:hello"
URI = f"arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/{ARN}/invocations"


def test_a_rest_api_body_becomes_routes() -> None:
    body = {
        "swagger": "2.0",
        "paths": {
            "/hello": {
                "get": {"x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": URI}}
            },
            "/{proxy+}": {
                "x-amazon-apigateway-any-method": {
                    "x-amazon-apigateway-integration": {"uri": URI, "timeoutInMillis": 5000}
                }
            },
            "/mock": {"get": {"x-amazon-apigateway-integration": {"type": "mock"}}},
        },
    }
    api = api_definition(ApiKind.REST, "abcdefghij", "shop", body, "stack")
    assert api.stage == "Prod" and api.owner == "stack"
    assert list(api.routes) == [
        Route("GET", "/hello", ARN, "1.0", 29_000),
        Route("ANY", "/{proxy+}", ARN, "1.0", 5000),
    ]


def test_an_http_api_defaults_to_payload_format_2() -> None:
    body = {
        "openapi": "3.0.1",
        "paths": {
            "/hi": {
                "post": {
                    "x-amazon-apigateway-integration": {"uri": URI, "payloadFormatVersion": "2.0"}
                }
            }
        },
    }
    api = api_definition(ApiKind.HTTP, "abcdefghij", "shop", body, "stack")
    assert api.stage == "$default"
    assert list(api.routes) == [Route("POST", "/hi", ARN, "2.0", 29_000)]
