"""SQS message digests, validation and attribute selection, without a server."""

from __future__ import annotations

import hashlib
import struct

import pytest

from lambdalite.services.sqs import messages
from lambdalite.services.sqs.errors import (
    InvalidMessageContents,
    InvalidParameterValue,
    MissingParameter,
)
from lambdalite.services.sqs.receipts import decode_receipt, encode_receipt


@pytest.mark.parametrize(
    ("name", "value", "digest"),
    [  # vectors that moto's and LocalStack's suites pin as AWS's answers
        ("timestamp", "1493147359900", "235c5c510d26fb653d073faed50ae77c"),
        ("timestamp", "1493147359901", "994258b45346a2cc3f9cbb611aa7af30"),
    ],
)
def test_attribute_digest_matches_aws(name: str, value: str, digest: str) -> None:
    attrs = {name: {"DataType": "Number", "StringValue": value}}
    assert messages.md5_of_attributes(attrs) == digest


def test_binary_attributes_use_transport_byte_two_and_names_sort() -> None:
    attrs = {
        "b": {"DataType": "Binary", "BinaryValue": b"hi"},
        "a": {"DataType": "String", "StringValue": "x"},
    }

    def part(text: bytes) -> bytes:
        return struct.pack(">I", len(text)) + text

    expected = (
        part(b"a")
        + part(b"String")
        + b"\x01"
        + part(b"x")
        + part(b"b")
        + part(b"Binary")
        + b"\x02"
        + part(b"hi")
    )
    assert messages.md5_of_attributes(attrs) == hashlib.md5(expected).hexdigest()
    assert messages.md5_of_attributes({}) is None


def test_body_characters() -> None:
    assert messages.check_body("tab\tnewline\n€ 😀") == "tab\tnewline\n€ 😀"
    with pytest.raises(InvalidMessageContents):
        messages.check_body("nul\x00")
    with pytest.raises(InvalidMessageContents):
        messages.check_body("\ufffe")
    with pytest.raises(MissingParameter):
        messages.check_body("")


@pytest.mark.parametrize(
    "attrs",
    [
        {"AWS.thing": {"DataType": "String", "StringValue": "x"}},
        {".lead": {"DataType": "String", "StringValue": "x"}},
        {"a..b": {"DataType": "String", "StringValue": "x"}},
        {"a": {"DataType": "Text", "StringValue": "x"}},
        {"a": {"DataType": "String", "StringValue": ""}},
        {"a": {"DataType": "Number", "StringValue": "ten"}},
        {f"a{i}": {"DataType": "String", "StringValue": "x"} for i in range(11)},
    ],
)
def test_invalid_message_attributes(attrs: dict[str, dict[str, str]]) -> None:
    with pytest.raises(InvalidParameterValue):
        messages.check_attributes(attrs)


def test_size_counts_body_and_attributes() -> None:
    attrs = {"ab": {"DataType": "String", "StringValue": "xyz"}}
    assert messages.size_of("€", attrs) == 3 + 2 + 6 + 3


def test_attribute_selection() -> None:
    attrs = {"a.1": 1, "a.2": 2, "b": 3}
    assert messages.select_attributes(attrs, ["All"]) == attrs
    assert messages.select_attributes(attrs, [".*"]) == attrs
    assert messages.select_attributes(attrs, ["a.*"]) == {"a.1": 1, "a.2": 2}
    assert messages.select_attributes(attrs, ["b", "zzz"]) == {"b": 3}
    assert messages.select_attributes(attrs, None) == {}


def test_receipt_handles_round_trip_and_reject_garbage() -> None:
    handle = encode_receipt("q", 42, "nonce")
    assert decode_receipt(handle) == ("q", 42, "nonce")
    assert decode_receipt("garbage") is None
    assert decode_receipt("") is None
