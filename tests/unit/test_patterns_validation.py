"""Pattern validation: AWS-recorded invalid inputs (spec 5.3) and AWS-style reasons."""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.patterns import InvalidEventPattern, compile_pattern

INVALID: list[tuple[Any, str]] = [
    # spec 5.3 [aws-rec] examples for FilterCriteria.
    ("null", "Filter is not an object"),
    ('"simple string"', "Filter is not an object"),
    ('{"eventSource": "aws:sqs"}', '"eventSource" must be an object or an array'),
    ('{"eventSource": []}', "Empty arrays are not allowed"),
    ('[{"eventName": ["INSERT"=123}]', "Filter is not valid JSON"),
    ('[{"eventName": ["INSERT"]}]', "Filter is not an object"),
    ('{"a": [NaN]}', "Filter is not valid JSON"),
    ({"a": [["nested"]]}, "Match value must be String, number, true, false, or null"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, "Only one key allowed in match expression"),
    ({"a": [{"contains": "x"}]}, "Unrecognized match type contains"),
    ({"a": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"a": [{"prefix": {"wildcard": "x"}}]}, "Unsupported prefix pattern: wildcard"),
    ({"a": [{"exists": "yes"}]}, "exists match pattern must be either true or false."),
    ({"a": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"a": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": ["!=", 5]}]}, "Unrecognized numeric range operator: !="),
    ({"a": [{"numeric": ["=", "5"]}]}, "Value of equals must be numeric"),
    ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "Too many elements in numeric expression"),
    ({"a": [{"numeric": [">", 5, ">", 1]}]}, "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 5, "<", 1]}]}, "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 0, "<", 1, "x"]}]}, "Too many terms in numeric range expression"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"a": [{"cidr": "300.0.0.0/8"}]}, "Nonstandard IP address: 300.0.0.0"),
    ({"a": [{"wildcard": "a**b"}]}, "Consecutive wildcard characters at pos 2"),
    ({"a": [{"wildcard": "a\\b"}]}, "Invalid escape character at pos 2"),
    (
        {"a": [{"anything-but": None}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    (
        {"a": [{"anything-but": ["x", 1]}]},
        "Inside anything but list, all values must be strings or all numbers.",
    ),
    ({"a": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    ({"a": [{"anything-but": {"numeric": [">", 1]}}]}, "Unsupported anything-but pattern: numeric"),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID)
def test_invalid_eventbridge(pattern: Any, reason: str) -> None:
    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern(pattern)
    assert info.value.reason == reason
    assert str(info.value) == f"Event pattern is not valid. Reason: {reason}"


def test_esm_message_is_generic_and_rejects_anything_but_suboperators() -> None:
    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern('{"a": [{"anything-but": {"prefix": "x"}}]}', dialect="esm")
    assert str(info.value) == "Invalid filter pattern definition."
    assert info.value.reason == "Unsupported anything-but pattern: prefix"


def test_or_with_operator_keys_is_a_plain_field() -> None:
    # event-ruler README: reserved keywords inside "$or" objects disable the operator, so
    # "$or" becomes a field whose values are (here invalid) match expressions.
    with pytest.raises(InvalidEventPattern):
        compile_pattern({"$or": [{"numeric": 123}, {"prefix": "abc"}]})


def test_compiled_patterns_are_cached_for_text() -> None:
    text = '{"a": ["x"]}'
    assert compile_pattern(text) is compile_pattern(text)
    assert compile_pattern(text, dialect="esm") is not compile_pattern(text)
