"""Smithy RPC v2 CBOR (``smithy-protocol: rpc-v2-cbor``), driven by botocore's model.

The protocol CloudWatch's model names first: newer SDKs built on Smithy speak it to
CloudWatch. A request is ``POST /service/<targetPrefix>/operation/<Operation>`` whose body
is the input structure in CBOR (RFC 8949): blobs as byte strings, timestamps as tag 1
(epoch seconds). The answer is the output structure the same way, ``application/cbor``,
with the ``smithy-protocol`` header; an error is ``{"__type", "message"}`` as in awsJson,
and a service marked ``awsQueryCompatible`` (CloudWatch) adds ``x-amzn-query-error``.

The members are those of the JSON protocol, so the input goes through the same decoder and
checks (json_protocol), its CBOR-only types first turned into their JSON forms.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import cbor2
from botocore.model import OperationModel, ServiceModel, Shape

from lambdalite.api import json_protocol
from lambdalite.api.http import Headers
from lambdalite.errors import AwsError

PROTOCOL = "smithy-rpc-v2-cbor"
HEADER = "smithy-protocol"
VALUE = "rpc-v2-cbor"
_PATH = re.compile(r"^/service/([^/]+)/operation/([^/]+)$")
_CONTENT_TYPE = b"application/cbor"


def target(path: str) -> tuple[str, str] | None:
    """(targetPrefix, operation) of an RPC v2 path, None if it is not one."""
    found = _PATH.match(path)
    return (found.group(1), found.group(2)) if found is not None else None


def parse_request(op: OperationModel, body: bytes) -> dict[str, Any]:
    """Validated input params of ``op`` from a CBOR body."""
    shape = op.input_shape
    if shape is None:
        return {}
    try:
        doc = cbor2.loads(body) if body else {}
    except (cbor2.CBORDecodeError, ValueError, TypeError) as exc:
        raise json_protocol.wire_error("SerializationException")(
            f"Cannot decode the CBOR body: {exc}"
        ) from None
    if not isinstance(doc, dict):
        raise json_protocol.wire_error("SerializationException")(
            "The CBOR body is not a map of the input's members."
        )
    return json_protocol.parse_document(op, _as_json(doc))


def serialize_response(op: OperationModel, output: Mapping[str, Any]) -> tuple[int, Headers, bytes]:
    shape = op.output_shape
    doc = _encode(shape, dict(output)) if shape is not None else {}
    return 200, _headers(), cbor2.dumps(doc)


def error_response(
    model: ServiceModel | None, exc: AwsError, request_id: str
) -> tuple[int, Headers, bytes]:
    """The error document for ``exc``; query codes as awsJson gives them (json_protocol)."""
    compatible = model is not None and "awsQueryCompatible" in model.metadata
    facts = json_protocol.error_facts(model, exc)
    extra = {k: v for k, v in exc.body().items() if k not in ("Type", "message", "Message")}
    doc = {"__type": exc.wire_code, "message": exc.message, **extra}
    headers = _headers()
    headers.append((b"x-amzn-requestid", request_id.encode()))
    if compatible:
        fault = "Sender" if facts.sender_fault else "Receiver"
        headers.append((b"x-amzn-query-error", f"{facts.code};{fault}".encode()))
    headers.extend((k.encode(), v.encode()) for k, v in exc.headers().items())
    return facts.status, headers, cbor2.dumps(doc)


def _headers() -> Headers:
    return [(b"content-type", _CONTENT_TYPE), (HEADER.encode(), VALUE.encode())]


def _as_json(value: Any) -> Any:
    """CBOR's own types in their awsJson forms: tag-1 times as epoch seconds, byte strings
    as base64 text."""
    if isinstance(value, dict):
        return {k: _as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_json(v) for v in value]
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode("ascii")
    return value


def _encode(shape: Shape, value: Any) -> Any:
    """An output value along its shape: timestamps as tag 1, blobs as byte strings."""
    kind = shape.type_name
    if kind == "structure":
        members = shape.members
        return {
            k: _encode(members[k], v) for k, v in value.items() if v is not None and k in members
        }
    if kind == "list":
        return [_encode(shape.member, v) for v in value]
    if kind == "map":
        return {k: _encode(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        return value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if kind == "timestamp":
        if isinstance(value, datetime):
            aware = value if value.tzinfo else value.replace(tzinfo=UTC)
            return cbor2.CBORTag(1, aware.timestamp())
        return cbor2.CBORTag(1, float(value))
    return value
