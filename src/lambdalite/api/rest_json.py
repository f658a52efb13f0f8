"""The rest-json wire protocol, driven by botocore's service model.

``RestJsonRouter`` maps (method, raw path, query) to an operation; ``parse_request`` turns the
HTTP pieces into the operation's input params (PascalCase member names, as boto3 takes
them) and validates them; ``serialize_response`` turns output params into status, headers
and body. Nothing here knows Lambda: any rest-json service model works.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.model import OperationModel, Shape

from lambdalite.api.wire_json import (
    PAYLOAD_PREFIX,
    decode_body,
    encode_json_value,
    encode_timestamp,
    encode_value,
    parse_json_text,
)
from lambdalite.api.wire_router import RestJsonRouter, RouteMatch
from lambdalite.api.wire_validate import format_errors, member_path, validate
from lambdalite.errors import InvalidRequestContentException, ValidationException

__all__ = [
    "RestJsonRouter",
    "RouteMatch",
    "check_invoke_payload",
    "lambda_timestamp",
    "parse_request",
    "serialize_response",
    "validate",
]

Header = tuple[bytes, bytes]


# --------------------------------------------------------------------------- requests


def _bad_value(member: Shape, name: str, raw: str, constraint: str) -> ValidationException:
    # AWS's wording for an unparsable query/header scalar is unconfirmed; this keeps the
    # framework's validation format so callers see which member was wrong.
    error = f"Value '{raw}' at '{member_path('', name)}' failed to satisfy constraint: {constraint}"
    return ValidationException(format_errors([error]))


def _scalar(member: Shape, name: str, raw: str) -> Any:
    kind = member.type_name
    if kind == "string":
        if member.serialization.get("jsonvalue"):
            return _json_header(member, name, raw)
        return raw
    if kind in ("integer", "long"):
        try:
            return int(raw)
        except ValueError:
            raise _bad_value(member, name, raw, "Member must be a number") from None
    if kind == "boolean":
        lowered = raw.lower()
        if lowered not in ("true", "false"):
            raise _bad_value(member, name, raw, "Member must be a boolean")
        return lowered == "true"
    if kind in ("double", "float"):
        try:
            return float(raw)
        except ValueError:
            raise _bad_value(member, name, raw, "Member must be a number") from None
    if kind == "timestamp":
        return _timestamp(member, name, raw)
    return raw


def _json_header(member: Shape, name: str, raw: str) -> Any:
    try:
        return json.loads(base64.b64decode(raw, validate=True))
    except (binascii.Error, ValueError):
        raise _bad_value(member, name, raw, "Member must be base64-encoded JSON") from None


def _timestamp(member: Shape, name: str, raw: str) -> datetime:
    try:
        if raw.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(raw), tz=UTC)
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise _bad_value(member, name, raw, "Member must be a timestamp") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _from_query(member: Shape, name: str, wire: str, query: Mapping[str, list[str]]) -> Any:
    if member.type_name == "map":  # a map member takes every query parameter
        as_list = member.value.type_name == "list"
        return {k: v if as_list else v[0] for k, v in query.items() if v} or None
    values = query.get(wire)
    if not values:
        return None
    if member.type_name == "list":
        return [_scalar(member.member, name, v) for v in values]
    return _scalar(member, name, values[0])


def _from_headers(member: Shape, name: str, wire: str, headers: Mapping[str, str]) -> Any:
    if member.type_name == "map":  # prefixed headers, e.g. x-amz-meta-*
        prefix = wire.lower()
        found = {k[len(prefix) :]: v for k, v in headers.items() if k.startswith(prefix)}
        return found or None
    raw = headers.get(wire.lower())
    return None if raw is None else _scalar(member, name, raw)


def _located(
    shape: Shape,
    uri_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
) -> dict[str, Any]:
    """Members bound to the uri, the query string or headers."""
    out: dict[str, Any] = {}
    for name, member in shape.members.items():
        location = member.serialization.get("location")
        if location is None:
            continue
        wire = member.serialization.get("name", name)
        value: Any = None
        if location == "uri":
            raw = uri_params.get(wire)
            value = None if raw is None else _scalar(member, name, raw)
        elif location == "querystring":
            value = _from_query(member, name, wire, query)
        elif location == "header":
            value = _from_headers(member, name, wire, headers)
        if value is not None:
            out[name] = value
    return out


def parse_request(
    op: OperationModel,
    uri_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    body: bytes,
    *,
    validate_input: bool = True,
) -> dict[str, Any]:
    """Input params of ``op`` from the HTTP pieces; raises the AWS error for bad input.

    ``headers`` may use any case. A blob payload member (Invoke's ``Payload``) receives the
    raw body untouched and is left out when the body is empty.
    """
    shape = op.input_shape
    if shape is None:
        return {}
    lowered = {k.lower(): v for k, v in headers.items()}
    params = _located(shape, uri_params, query, lowered)
    payload = shape.serialization.get("payload")
    if payload is None:
        body_params = decode_body(shape, body)
        for name in body_params:
            if shape.members[name].serialization.get("location") is not None:
                raise InvalidRequestContentException(
                    f'Could not parse request body into json: Unrecognized field "{name}"'
                )
        params.update(body_params)
    else:
        member = shape.members[payload]
        if member.type_name in ("blob", "string"):
            if body:
                params[payload] = body if member.type_name == "blob" else body.decode()
        elif body.strip():
            params[payload] = decode_body(member, body)
    if validate_input:
        validate(shape, params)
    return params


def check_invoke_payload(body: bytes) -> Any:
    """Parse an Invoke payload the way Lambda checks it (any JSON value; empty is allowed
    and returns ``None``), raising ``InvalidRequestContentException`` with Lambda's
    ``...: Could not parse payload into json: <detail>`` message."""
    if not body.strip():
        return None
    return parse_json_text(body, PAYLOAD_PREFIX)


# --------------------------------------------------------------------------- responses


def _header_value(member: Shape, value: Any) -> str:
    kind = member.type_name
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp" and isinstance(value, datetime):
        fmt = member.serialization.get("timestampFormat", "rfc822")
        return str(encode_timestamp(value, fmt))
    if member.serialization.get("jsonvalue"):
        return encode_json_value(value)
    return str(value)


def serialize_response(
    op: OperationModel, output: Mapping[str, Any]
) -> tuple[int, list[Header], bytes]:
    """Status, headers (lower-case names) and body for ``output`` of ``op``."""
    status = int(op.http.get("responseCode", 200))
    headers: list[Header] = []
    shape = op.output_shape
    if shape is None:
        return status, headers, b""
    body_members: dict[str, Any] = {}
    for name, member in shape.members.items():
        value = output.get(name)
        if value is None:
            continue
        location = member.serialization.get("location")
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            wire = member.serialization.get("name", name).lower()
            if member.type_name == "map":
                headers.extend((f"{wire}{k}".encode(), str(v).encode()) for k, v in value.items())
            else:
                headers.append((wire.encode(), _header_value(member, value).encode()))
        elif location is None:
            body_members[name] = value
    payload = shape.serialization.get("payload")
    if payload is not None:
        return status, headers, _payload_body(shape.members[payload], output.get(payload), headers)
    if not body_members:
        return status, headers, b""
    doc = encode_value(shape, body_members)
    headers.append((b"content-type", b"application/json"))
    return status, headers, json.dumps(doc, separators=(",", ":")).encode()


def _payload_body(member: Shape, value: Any, headers: list[Header]) -> bytes:
    if value is None:
        return b""
    if member.type_name == "blob":
        return value if isinstance(value, bytes) else bytes(value)
    if member.type_name == "string":
        return str(value).encode()
    headers.append((b"content-type", b"application/json"))
    return json.dumps(encode_value(member, value), separators=(",", ":")).encode()


def lambda_timestamp(value: datetime) -> str:
    """Lambda's string timestamps (``LastModified``): ``2025-11-24T23:18:51.000+0000``."""
    value = value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}+0000"
