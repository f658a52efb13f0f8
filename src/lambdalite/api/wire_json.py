"""JSON bodies of rest-json requests and responses, shape-directed.

Decoding mirrors what Lambda's Java front end (Jackson) reports when a body does not fit
its shape; every failure is an ``InvalidRequestContentException`` whose message starts
with ``Could not parse request body into json: `` followed by a Jackson-style detail.
Only the invalid-JSON and invalid-UTF-8 details are AWS-recorded; the unknown-field and
wrong-type details follow Jackson's own wording (AWS's exact text unconfirmed).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from botocore.model import Shape

from lambdalite.errors import InvalidRequestContentException

__all__ = [
    "BODY_PREFIX",
    "PAYLOAD_PREFIX",
    "decode_body",
    "encode_json_value",
    "encode_timestamp",
    "encode_value",
    "parse_json_text",
]

BODY_PREFIX = "Could not parse request body into json: "
# Invoke adds this inner prefix for its (raw) payload; see check_invoke_payload in rest_json.
PAYLOAD_PREFIX = BODY_PREFIX + "Could not parse payload into json: "

_JAVA_TYPES = {
    "string": "java.lang.String",
    "integer": "java.lang.Integer",
    "long": "java.lang.Long",
    "boolean": "java.lang.Boolean",
    "double": "java.lang.Double",
    "float": "java.lang.Float",
    "blob": "java.nio.ByteBuffer",
    "timestamp": "java.util.Date",
    "list": "java.util.List",
    "map": "java.util.Map",
}


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Boolean"
    if isinstance(value, int):
        return "Integer"
    if isinstance(value, float):
        return "Floating-point"
    if isinstance(value, str):
        return "String"
    if isinstance(value, list):
        return "Array"
    return "Object"


def _source(text: str, line: int, column: int) -> str:
    snippet = text[:500]
    return f'\n at [Source: (byte[])"{snippet}"; line: {line}, column: {column}]'


def _utf8_detail(body: bytes, exc: UnicodeDecodeError) -> str:
    # Jackson names the byte that broke the sequence: a stray continuation/invalid lead
    # byte is a "start" byte, a bad byte after a valid lead byte a "middle" byte.
    lead = body[exc.start]
    if 0x80 <= lead <= 0xBF or lead >= 0xF8 or exc.start + 1 >= len(body):
        detail = f"Invalid UTF-8 start byte 0x{lead:02x}"
    else:
        detail = f"Invalid UTF-8 middle byte 0x{body[exc.start + 1]:02x}"
    text = body.decode("utf-8", "replace")
    return detail + _source(text, 1, exc.start + 1)


# Python 3.13 names a trailing comma at the comma; earlier versions (and Jackson) reject
# the closing bracket after it, with these messages.
_TRAILING_COMMA = {
    "Illegal trailing comma before end of object": (
        "Expecting property name enclosed in double quotes"
    ),
    "Illegal trailing comma before end of array": "Expecting value",
}


def _syntax_detail(text: str, exc: json.JSONDecodeError) -> str:
    if (msg := _TRAILING_COMMA.get(exc.msg)) is not None:
        closing = len(text) - len(text[exc.pos + 1 :].lstrip())
        exc = json.JSONDecodeError(msg, text, closing)
    pos = exc.pos
    if pos >= len(text.rstrip()):
        detail = "Unexpected end-of-input"
    else:
        ch = text[pos]
        if ch.isalpha():
            token = ""
            for c in text[pos:]:
                if not (c.isalnum() or c == "_"):
                    break
                token += c
            detail = f"Unrecognized token '{token}': was expecting ('true', 'false' or 'null')"
        else:
            detail = f"Unexpected character ('{ch}' (code {ord(ch)})): {exc.msg.lower()}"
    return detail + _source(text, exc.lineno, exc.colno)


def parse_json_text(body: bytes, prefix: str = BODY_PREFIX) -> Any:
    """Parse JSON bytes, turning failures into Lambda's ``InvalidRequestContentException``."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequestContentException(prefix + _utf8_detail(body, exc)) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidRequestContentException(prefix + _syntax_detail(text, exc)) from None
    except RecursionError:
        raise InvalidRequestContentException(prefix + "Maximum nesting depth exceeded") from None


class _Decoder:
    """Walks a JSON value along a shape, building the params dict (PascalCase keys)."""

    def __init__(self) -> None:
        self.chain: list[str] = []  # Jackson's "reference chain", for error messages

    def fail(self, detail: str) -> InvalidRequestContentException:
        chain = "->".join(self.chain)
        suffix = f" (through reference chain: {chain})" if chain else ""
        return InvalidRequestContentException(BODY_PREFIX + detail + suffix)

    def wrong_type(self, shape: Shape, value: Any) -> InvalidRequestContentException:
        java = _JAVA_TYPES.get(shape.type_name, shape.name)
        kind = _json_kind(value)
        return self.fail(f"Cannot deserialize value of type `{java}` from {kind} value")

    def structure(self, shape: Shape, value: Any) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.wrong_type(shape, value)
        members = shape.members
        out: dict[str, Any] = {}
        for key, item in value.items():
            member = members.get(key)
            if member is None:
                known = ", ".join(f'"{m}"' for m in members)
                raise self.fail(
                    f'Unrecognized field "{key}" (class {shape.name}), not marked as ignorable '
                    f"({len(members)} known properties: {known}])"
                )
            if item is None:
                continue  # JSON null reads as absent, as in Jackson-bound beans
            self.chain.append(f'{shape.name}["{key}"]')
            out[key] = self.value(member, item)
            self.chain.pop()
        return out

    def value(self, shape: Shape, value: Any) -> Any:  # noqa: C901 - one branch per type
        kind = shape.type_name
        if kind == "structure":
            if shape.metadata.get("document"):
                return value
            return self.structure(shape, value)
        if kind == "list":
            if not isinstance(value, list):
                raise self.wrong_type(shape, value)
            return [None if v is None else self.value(shape.member, v) for v in value]
        if kind == "map":
            if not isinstance(value, dict):
                raise self.wrong_type(shape, value)
            return {k: None if v is None else self.value(shape.value, v) for k, v in value.items()}
        if kind == "string" and isinstance(value, str):
            return value
        if kind in ("integer", "long") and isinstance(value, int) and not isinstance(value, bool):
            return value
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind in ("double", "float") and isinstance(value, (int, float)):
            if not isinstance(value, bool):
                return float(value)
        if kind == "blob" and isinstance(value, str):
            return self.blob(value)
        if kind == "timestamp" and isinstance(value, (int, float, str)):
            return self.timestamp(value)
        raise self.wrong_type(shape, value)

    def blob(self, value: str) -> bytes:
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise self.fail(
                f"Cannot deserialize value of type `java.nio.ByteBuffer` from String: "
                f"Failed to decode VALUE_STRING as base64 (MIME-NO-LINEFEEDS): {exc}"
            ) from None

    def timestamp(self, value: int | float | str) -> datetime:
        try:
            if isinstance(value, str):
                parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
                return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            return datetime.fromtimestamp(value, tz=UTC)
        except (ValueError, OverflowError, OSError):
            detail = f"Cannot deserialize value of type `java.util.Date` from {value!r}"
            raise self.fail(detail) from None


def decode_body(shape: Shape, body: bytes) -> dict[str, Any]:
    """Decode a JSON request body into the members of structure ``shape``."""
    if not body.strip():
        return {}
    return _Decoder().structure(shape, parse_json_text(body))


def encode_value(shape: Shape, value: Any) -> Any:
    """Turn an output value into its JSON form (blobs base64, timestamps epoch seconds)."""
    kind = shape.type_name
    if value is None:
        return None
    if kind == "structure":
        if shape.metadata.get("document"):
            return value
        members = shape.members
        return {
            k: encode_value(members[k], v)
            for k, v in value.items()
            if v is not None and k in members
        }
    if kind == "list":
        return [encode_value(shape.member, v) for v in value]
    if kind == "map":
        return {k: encode_value(shape.value, v) for k, v in value.items()}
    if kind == "blob":
        raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
        return base64.b64encode(raw).decode("ascii")
    if kind == "timestamp" and isinstance(value, datetime):
        return encode_timestamp(value, shape.serialization.get("timestampFormat", "unixTimestamp"))
    return value


def encode_timestamp(value: datetime, fmt: str) -> Any:
    """Timestamp in a botocore ``timestampFormat`` (rest-json body default: epoch seconds)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if fmt == "iso8601":
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if fmt == "rfc822":
        return format_datetime(value.astimezone(UTC), usegmt=True)
    return value.timestamp()


def encode_json_value(value: Any) -> str:
    """Compact JSON for ``jsonvalue`` headers (base64 of the JSON text)."""
    text = json.dumps(value, separators=(",", ":"))
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
