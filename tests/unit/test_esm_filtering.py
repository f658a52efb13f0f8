"""esm/filtering.py against the spec's tables (5.2-5.5)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from lambdalite.esm.filtering import RecordFilter


def sqs(body: str, **extra: Any) -> dict[str, Any]:
    return {
        "messageId": "m1",
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1"},
        **extra,
    }


def kin(data: bytes, key: str = "pk") -> dict[str, Any]:
    return {
        "kinesis": {"partitionKey": key, "data": base64.b64encode(data).decode()},
        "eventSource": "aws:kinesis",
    }


def test_no_patterns_match_everything() -> None:
    for f in (RecordFilter(None), RecordFilter([])):
        assert not f.active
        assert f.matches_sqs(sqs("anything"))
        assert f.matches_kinesis(kin(b"\xff\xfe"))


JSON_BODY = json.dumps({"status": "ERROR", "n": 5})


@pytest.mark.parametrize(
    ("body", "pattern", "expected"),
    [
        # plain string body, plain (value-list) pattern: matched on the string
        ("hello", {"body": ["hello"]}, True),
        ("hello", {"body": ["bye"]}, False),
        ("hello", {"body": [{"prefix": "he"}]}, True),
        # plain string body, JSON pattern: dropped
        ("hello", {"body": {"status": ["ERROR"]}}, False),
        ("{not json", {"body": {"status": [{"exists": False}]}}, False),
        # valid JSON body, plain pattern: dropped
        (JSON_BODY, {"body": [JSON_BODY]}, False),
        # valid JSON body, JSON pattern: matched on the parsed body
        (JSON_BODY, {"body": {"status": ["ERROR"]}}, True),
        (JSON_BODY, {"body": {"status": ["OK"]}}, False),
        (JSON_BODY, {"body": {"n": [{"numeric": [">", 3]}]}}, True),
        # no pattern for body: metadata only, whatever the body
        ("hello", {"messageId": ["m1"]}, True),
        (JSON_BODY, {"messageId": ["m1"]}, True),
        (JSON_BODY, {"attributes": {"ApproximateReceiveCount": ["2"]}}, False),
    ],
)
def test_sqs_format_table(body: str, pattern: dict[str, Any], expected: bool) -> None:
    assert RecordFilter([json.dumps(pattern)]).matches_sqs(sqs(body)) is expected


def test_patterns_are_ored_fields_anded() -> None:
    f = RecordFilter(
        [
            json.dumps({"body": {"status": ["OK"]}}),
            json.dumps({"body": {"status": ["ERROR"], "n": [5]}}),
        ]
    )
    assert f.matches_sqs(sqs(JSON_BODY))
    assert not f.matches_sqs(sqs(json.dumps({"status": "ERROR", "n": 6})))
    assert not f.matches_sqs(sqs("plain"))


def test_numbers_compare_by_representation_not_as_strings() -> None:
    f = RecordFilter([json.dumps({"body": {"n": [5]}})])
    assert f.matches_sqs(sqs('{"n": 5}'))
    assert not f.matches_sqs(sqs('{"n": "5"}'))


def test_record_array_matches_any_element() -> None:
    f = RecordFilter([json.dumps({"body": {"tags": ["b"]}})])
    assert f.matches_sqs(sqs('{"tags": ["a", "b"]}'))
    assert not f.matches_sqs(sqs('{"tags": ["a"]}'))


@pytest.mark.parametrize(
    ("data", "pattern", "expected"),
    [
        (b'{"t": 30}', {"data": {"t": [{"numeric": [">", 20]}]}}, True),
        (b'{"t": 10}', {"data": {"t": [{"numeric": [">", 20]}]}}, False),
        (b"not json", {"data": {"t": [{"exists": False}]}}, False),  # non-JSON data: dropped
        (b"\xff\xfe", {"data": {"t": [1]}}, False),  # not even text: dropped
        (b"not json", {"partitionKey": ["pk"]}, True),  # metadata only
        (b"\xff\xfe", {"partitionKey": ["pk"]}, True),
        (b'{"t": 1}', {"partitionKey": ["other"]}, False),
        (b'{"t": 1}', {"eventSource": ["aws:kinesis"]}, True),
    ],
)
def test_kinesis_format_table(data: bytes, pattern: dict[str, Any], expected: bool) -> None:
    assert RecordFilter([json.dumps(pattern)]).matches_kinesis(kin(data)) is expected


def test_kinesis_accepts_the_inner_record() -> None:
    f = RecordFilter([json.dumps({"data": {"t": [1]}})])
    assert f.matches_kinesis(kin(b'{"t": 1}')["kinesis"])


def test_or_across_fields_sees_decoded_data() -> None:
    f = RecordFilter([json.dumps({"$or": [{"body": {"a": [1]}}, {"messageId": ["zz"]}]})])
    assert f.matches_sqs(sqs('{"a": 1}'))
    assert not f.matches_sqs(sqs('{"a": 2}'))
