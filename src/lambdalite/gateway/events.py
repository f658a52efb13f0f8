"""The proxy events of spec 6.2.2 (payload format 1.0), 6.2.3 (2.0, also function URLs)
and 6.3 (ALB), built from a GatewayRequest field by field."""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import orjson

from lambdalite.gateway.request import GatewayRequest, body_field, request_time

_IDENTITY_NULLS = (
    "cognitoIdentityPoolId",
    "accountId",
    "cognitoIdentityId",
    "caller",
    "apiKey",
    "apiKeyId",
    "accessKey",
    "cognitoAuthenticationType",
    "cognitoAuthenticationProvider",
    "userArn",
    "user",
)


@dataclass(frozen=True, slots=True)
class EventContext:
    """What the event says about where the request arrived."""

    account_id: str
    api_id: str  # the API's id, or the function URL's id
    stage: str
    domain_name: str
    request_id: str
    stage_variables: dict[str, str] | None = None
    resource: str = ""  # the matched route's path ("/{proxy+}"), 1.0 only
    route_key: str = "$default"  # "GET /items/{id}" or "$default", 2.0 only
    path_parameters: dict[str, str] | None = None
    binary: bool = False  # the body goes base64 whatever its bytes
    authorizer: dict[str, Any] | None = None  # function URLs with AWS_IAM auth

    @property
    def domain_prefix(self) -> str:
        return self.domain_name.split(".")[0]


@functools.lru_cache(maxsize=1024)
def resource_id(path: str) -> str:
    """A stable 6-character id per resource, as API Gateway's resource ids look."""
    return hashlib.sha1(path.encode()).hexdigest()[:6]


def rest_event(req: GatewayRequest, ctx: EventContext, *, http_api: bool = False) -> dict[str, Any]:
    """Payload format 1.0 (REST APIs, and HTTP API routes that ask for 1.0)."""
    headers: dict[str, str] = {}
    multi_headers: dict[str, list[str]] = {}
    for name, value in req.headers:
        headers[name] = value
        multi_headers.setdefault(name, []).append(value)
    query: dict[str, str] = {}
    multi_query: dict[str, list[str]] = {}
    for name, value in req.query():
        query[name] = value
        multi_query.setdefault(name, []).append(value)
    body, encoded = body_field(req.body, ctx.binary) if req.body else (None, False)
    identity: dict[str, Any] = dict.fromkeys(_IDENTITY_NULLS)
    identity["sourceIp"] = req.source_ip
    identity["userAgent"] = req.header("user-agent")
    stage_path = req.path if http_api and ctx.stage == "$default" else f"/{ctx.stage}{req.path}"
    request_context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "resourceId": resource_id(ctx.resource),
        "stage": ctx.stage,
        "domainName": ctx.domain_name,
        "domainPrefix": ctx.domain_prefix,
        "requestId": ctx.request_id,
        "extendedRequestId": ctx.request_id,
        "identity": identity,
        "resourcePath": ctx.resource,
        "httpMethod": req.method,
        "requestTime": request_time(req.time_ms),
        "requestTimeEpoch": req.time_ms,
        "path": stage_path,
        "protocol": req.protocol,
        "apiId": ctx.api_id,
    }
    event: dict[str, Any] = {"version": "1.0"} if http_api else {}
    event.update(
        resource=ctx.resource,
        path=req.path,
        httpMethod=req.method,
        headers=headers,
        multiValueHeaders=multi_headers,
        queryStringParameters=query or None,
        multiValueQueryStringParameters=multi_query or None,
        pathParameters=ctx.path_parameters or None,
        stageVariables=ctx.stage_variables or None,
        requestContext=request_context,
        body=body,
        isBase64Encoded=encoded,
    )
    return event


def http_event(req: GatewayRequest, ctx: EventContext) -> dict[str, Any]:
    """Payload format 2.0 (HTTP APIs and function URLs): lowercase names, repeated values
    joined with commas, cookies split out, absent fields left out."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in req.headers:
        key = name.lower()
        if key == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
            continue
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    query: dict[str, str] = {}
    for name, value in req.query():
        query[name] = f"{query[name]},{value}" if name in query else value
    # A named stage is part of the path the function sees (rawPath keeps it on AWS too).
    stage_prefix = "" if ctx.stage == "$default" else f"/{ctx.stage}"
    request_context: dict[str, Any] = {
        "accountId": ctx.account_id,
        "apiId": ctx.api_id,
        "domainName": ctx.domain_name,
        "domainPrefix": ctx.domain_prefix,
        "http": {
            "method": req.method,
            "path": stage_prefix + req.path,
            "protocol": req.protocol,
            "sourceIp": req.source_ip,
            "userAgent": req.header("user-agent") or "",
        },
        "requestId": ctx.request_id,
        "routeKey": ctx.route_key,
        "stage": ctx.stage,
        "time": request_time(req.time_ms),
        "timeEpoch": req.time_ms,
    }
    if ctx.authorizer is not None:
        request_context["authorizer"] = ctx.authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": ctx.route_key,
        "rawPath": stage_prefix + req.raw_path,
        "rawQueryString": req.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    if ctx.path_parameters:
        event["pathParameters"] = ctx.path_parameters
    if ctx.stage_variables:
        event["stageVariables"] = ctx.stage_variables
    event["requestContext"] = request_context
    if req.body:
        event["body"], event["isBase64Encoded"] = body_field(req.body, ctx.binary)
    else:
        event["isBase64Encoded"] = False
    return event


def alb_event(
    req: GatewayRequest, target_group_arn: str, *, multi_value: bool, binary: bool
) -> dict[str, Any]:
    """Spec 6.3. ALB passes query strings as sent (still percent-encoded) and lowercases
    header names; with multi-value headers on, the multi-value maps replace the others."""
    pairs = [
        (name, value)
        for name, _, value in (p.partition("=") for p in req.query_string.split("&") if p)
    ]
    event: dict[str, Any] = {
        "requestContext": {"elb": {"targetGroupArn": target_group_arn}},
        "httpMethod": req.method,
        "path": req.path,
    }
    if multi_value:
        multi_query: dict[str, list[str]] = {}
        for name, value in pairs:
            multi_query.setdefault(name, []).append(value)
        multi_headers: dict[str, list[str]] = {}
        for name, value in req.headers:
            multi_headers.setdefault(name.lower(), []).append(value)
        event["multiValueQueryStringParameters"] = multi_query
        event["multiValueHeaders"] = multi_headers
    else:
        event["queryStringParameters"] = dict(pairs)
        event["headers"] = {name.lower(): value for name, value in req.headers}
    event["body"], event["isBase64Encoded"] = body_field(req.body, binary)
    return event


def encode(event: dict[str, Any]) -> bytes:
    """The event as the function receives it: compact JSON, text as UTF-8 (orjson, about
    ten times json's speed on a warm request's event)."""
    try:
        return orjson.dumps(event)
    except orjson.JSONEncodeError:  # a lone surrogate or an integer past 64 bits
        return json.dumps(event).encode()
