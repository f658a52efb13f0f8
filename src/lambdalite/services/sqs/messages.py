"""Message validation and the MD5 digests SQS returns (and SDKs check).

MD5OfMessageAttributes (and ...SystemAttributes) follows AWS's documented algorithm: the
attributes sorted by name, each encoded as
``len(name) name len(type) type transport len(value) value`` with 4-byte big-endian
lengths, the transport byte 1 for String/Number values and 2 for Binary ones.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable, Mapping
from typing import Any

from lambdalite.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
)

MAX_ATTRIBUTES = 10
# XML 1.0 characters, which SQS allows: #x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | ...
_INVALID_CHARS = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ATTRIBUTE_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,256}$")
_TOKEN = re.compile(r"^[!-~]{1,128}$")  # alphanumerics and punctuation, as the model says
_TYPES = ("String", "Number", "Binary")


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def md5_of_body(body: str) -> str:
    return md5_hex(body.encode("utf-8"))


def _value_bytes(value: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """(transport byte, value bytes) of one attribute value."""
    if value["DataType"].startswith("Binary"):
        raw = value.get("BinaryValue") or b""
        return b"\x02", raw.encode() if isinstance(raw, str) else bytes(raw)
    return b"\x01", str(value.get("StringValue", "")).encode("utf-8")


def md5_of_attributes(attributes: Mapping[str, Mapping[str, Any]]) -> str | None:
    if not attributes:
        return None
    parts: list[bytes] = []
    for name in sorted(attributes):
        value = attributes[name]
        transport, data = _value_bytes(value)
        for item in (name.encode("utf-8"), value["DataType"].encode("utf-8")):
            parts.append(struct.pack(">I", len(item)) + item)
        parts.append(transport + struct.pack(">I", len(data)) + data)
    return md5_hex(b"".join(parts))


def check_body(body: str | None) -> str:
    if not body:
        raise MissingParameter("The request must contain the parameter MessageBody.")
    if _INVALID_CHARS.search(body) is not None:
        raise InvalidMessageContents(
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | "
            "#x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF"
        )
    return body


def _check_attribute(name: str, value: Mapping[str, Any]) -> None:
    lowered = name.lower()
    if (
        not _ATTRIBUTE_NAME.match(name)
        or lowered.startswith(("aws.", "amazon."))
        or name.startswith(".")
        or name.endswith(".")
        or ".." in name
    ):
        raise InvalidParameterValue(f"Message attribute name '{name}' is invalid.")
    data_type = value.get("DataType")
    if not data_type or data_type.split(".", 1)[0] not in _TYPES:
        raise InvalidParameterValue(
            f"The message attribute '{name}' has an invalid message attribute type, the set of "
            "supported type prefixes is Binary, Number, and String."
        )
    key = "BinaryValue" if data_type.startswith("Binary") else "StringValue"
    if value.get(key) in (None, "", b""):
        raise InvalidParameterValue(
            f"The message attribute '{name}' must contain non-empty message attribute value "
            f"for message attribute type '{data_type.split('.', 1)[0]}'."
        )
    if data_type.startswith("Number") and not _is_number(str(value[key])):
        raise InvalidParameterValue(
            f"Can't cast the value of message (user) attribute '{name}' to a number."
        )
    if key == "StringValue":
        check_body(str(value[key]))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def check_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    if not attributes:
        return {}
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidParameterValue(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum "
            f"[{MAX_ATTRIBUTES}]."
        )
    out: dict[str, Any] = {}
    for name, value in attributes.items():
        _check_attribute(name, value)
        key = "BinaryValue" if value["DataType"].startswith("Binary") else "StringValue"
        out[name] = {"DataType": value["DataType"], key: value[key]}
    return out


def check_system_attributes(attributes: Mapping[str, Mapping[str, Any]] | None) -> dict[str, Any]:
    out = check_attributes(attributes)
    for name, value in out.items():
        if name != "AWSTraceHeader" or value["DataType"] != "String":
            raise InvalidParameterValue(f"Message system attribute name '{name}' is invalid.")
    return out


def size_of(body: str, attributes: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes counted against MaximumMessageSize: body plus attribute names, types, values."""
    size = len(body.encode("utf-8"))
    for name, value in attributes.items():
        size += len(name.encode("utf-8")) + len(value["DataType"].encode("utf-8"))
        size += len(_value_bytes(value)[1])
    return size


def check_token(name: str, value: str | None) -> str | None:
    if value is not None and not _TOKEN.match(value):
        raise InvalidParameterValue(
            f"Value {value} for parameter {name} is invalid. Reason: {name} can only include "
            "alphanumeric and punctuation characters. 1 to 128 in length."
        )
    return value


def select_attributes(
    attributes: Mapping[str, Any], wanted: Iterable[str] | None
) -> dict[str, Any]:
    """The message attributes a receive asked for: names, "All", ".*" or "prefix.*"."""
    names = list(wanted or [])
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names:
        return dict(attributes)
    prefixes = tuple(n[:-2] for n in names if n.endswith(".*"))
    exact = set(names)
    return {
        k: v for k, v in attributes.items() if k in exact or (prefixes and k.startswith(prefixes))
    }
