"""From a function's answer to the HTTP response the client gets (spec 6.2.2, 6.2.3, 6.3).

An answer that breaks the format's rules raises MalformedResponse, which the gateway
answers with its 502 (API Gateway) or 502 Bad Gateway (ALB)."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any

import orjson


class MalformedResponse(Exception):
    """The function's answer is not a valid proxy response."""


@dataclass(slots=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def _status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedResponse("statusCode must be an integer")
    try:
        status = int(value)
    except ValueError:
        raise MalformedResponse("statusCode must be an integer") from None
    if not 100 <= status <= 599:
        raise MalformedResponse("statusCode out of range")
    return status


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise MalformedResponse("header values must be strings")


def _body(doc: dict[str, Any]) -> bytes:
    body = doc.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise MalformedResponse("body must be a string")
    if doc.get("isBase64Encoded") is True:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResponse("body is not valid base64") from None
    return body.encode()


def _headers(doc: dict[str, Any]) -> list[tuple[str, str]]:
    """headers and multiValueHeaders merged: a name in multiValueHeaders takes its values
    from there, a name only in headers keeps its single value."""
    single = doc.get("headers") or {}
    multi = doc.get("multiValueHeaders") or {}
    if not isinstance(single, dict) or not isinstance(multi, dict):
        raise MalformedResponse("headers must be objects")
    out: list[tuple[str, str]] = []
    multi_names = {name.lower() for name in multi}
    for name, values in multi.items():
        if not isinstance(values, list):
            raise MalformedResponse("multiValueHeaders values must be lists")
        out += [(name, _scalar(v)) for v in values]
    out += [(k, _scalar(v)) for k, v in single.items() if k.lower() not in multi_names]
    return out


def _parse(payload: bytes) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError:
        pass  # json's reading is the rule: it also takes NaN, big integers, lone surrogates
    try:
        return json.loads(payload)
    except ValueError:
        raise MalformedResponse("the answer is not JSON") from None


def _has(headers: list[tuple[str, str]], name: str) -> bool:
    return any(k.lower() == name for k, _ in headers)


def v1_response(payload: bytes) -> HttpResponse:
    """Payload format 1.0: an object with statusCode; body a string."""
    doc = _parse(payload)
    if not isinstance(doc, dict) or "statusCode" not in doc:
        raise MalformedResponse("statusCode is required")
    headers = _headers(doc)
    if not _has(headers, "content-type"):
        headers.append(("Content-Type", "application/json"))
    return HttpResponse(_status(doc["statusCode"]), headers, _body(doc))


def v2_response(payload: bytes) -> HttpResponse:
    """Payload format 2.0: the full object, or any JSON value taken as a 200 JSON body."""
    doc = _parse(payload)
    if not isinstance(doc, dict) or "statusCode" not in doc:
        body = payload.strip()
        return HttpResponse(200, [("content-type", "application/json")], body)
    single = doc.get("headers") or {}
    if not isinstance(single, dict):
        raise MalformedResponse("headers must be an object")
    headers = [(k, _scalar(v)) for k, v in single.items()]
    cookies = doc.get("cookies") or []
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise MalformedResponse("cookies must be a list of strings")
    headers += [("set-cookie", cookie) for cookie in cookies]
    if not _has(headers, "content-type"):
        headers.append(("content-type", "application/json"))
    return HttpResponse(_status(doc["statusCode"]), headers, _body(doc))


def alb_response(payload: bytes, *, multi_value: bool) -> HttpResponse:
    """Spec 6.3: statusCode, statusDescription, headers or multiValueHeaders, body."""
    doc = _parse(payload)
    if not isinstance(doc, dict) or "statusCode" not in doc:
        raise MalformedResponse("statusCode is required")
    if multi_value:
        headers = _headers({"multiValueHeaders": doc.get("multiValueHeaders")})
    else:
        headers = _headers({"headers": doc.get("headers")})
    return HttpResponse(_status(doc["statusCode"]), headers, _body(doc))
