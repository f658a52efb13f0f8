"""Pattern validation: AWS-recorded invalid inputs (spec 5.3) and AWS-style reasons."""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.patterns import InvalidEventPattern, compile_pattern

INVALID: list[tuple[Any, str]] = [
    # spec 5.3 [aws-rec] examples for FilterCriteria.
    ('{"eventSource": "aws:sqs"}', '"eventSource" must be an object or an array'),
    ('{"eventSource": []}', "Empty arrays are not allowed"),
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


# Text that is not a JSON object: the ESM/SNS reasons (spec 5.3 [aws-rec]), and EventBridge's,
# which are its JSON parser's words plus the location (the first four AWS-recorded).
_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
TEXT_ERRORS: list[tuple[str, str, str]] = [
    (
        "this is valid json but not a dict",
        "Filter is not valid JSON",
        f"Unrecognized token 'this': was expecting {_VALUE}\n"
        ' at [Source: (String)"this is valid json but not a dict"; line: 1, column: 5]',
    ),
    (
        "{'bad': 'quotation'}",
        "Filter is not valid JSON",
        "Unexpected character (''' (code 39)): was expecting double-quote to start field name\n"
        " at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
    ),
    (
        '{"not": closed mark"',
        "Filter is not valid JSON",
        f"Unrecognized token 'closed': was expecting {_VALUE}\n"
        ' at [Source: (String)"{"not": closed mark""; line: 1, column: 15]',
    ),
    (
        '["not", "a", "dict", "but valid json"]',
        "Filter is not an object",
        "Filter is not an object\n"
        ' at [Source: (String)"["not", "a", "dict", "but valid json"]"; line: 1, column: 2]',
    ),
    (
        "null",
        "Filter is not an object",
        'Filter is not an object\n at [Source: (String)"null"; line: 1, column: 5]',
    ),
    (
        '"simple string"',
        "Filter is not an object",
        'Filter is not an object\n at [Source: (String)""simple string""; line: 1, column: 2]',
    ),
    (
        '[{"eventName": ["INSERT"=123}]',
        "Filter is not valid JSON",
        "Unexpected character ('=' (code 61)): was expecting comma to separate Array entries\n"
        ' at [Source: (String)"[{"eventName": ["INSERT"=123}]"; line: 1, column: 25]',
    ),
    (
        '{"a": [NaN]}',
        "Filter is not valid JSON",
        "Non-standard token 'NaN': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS to allow\n"
        ' at [Source: (String)"{"a": [NaN]}"; line: 1, column: 11]',
    ),
    (
        '{\n  "a": [1]',
        "Filter is not valid JSON",
        "Unexpected end-of-input: expected close marker for Object (start marker at [Source: "
        '(String)"{\n  "a": [1]"; line: 1, column: 1])\n'
        ' at [Source: (String)"{\n  "a": [1]"; line: 2, column: 11]',
    ),
]


@pytest.mark.parametrize(("text", "generic", "eventbridge"), TEXT_ERRORS)
def test_text_that_is_not_a_json_object(text: str, generic: str, eventbridge: str) -> None:
    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern(text)
    assert str(info.value) == f"Event pattern is not valid. Reason: {eventbridge}"
    for dialect in ("esm", "sns"):
        with pytest.raises(InvalidEventPattern) as info:
            compile_pattern(text, dialect=dialect)  # type: ignore[arg-type]
        assert info.value.reason == generic


def test_eventbridge_reads_the_first_value_only() -> None:
    # Jackson stops after the first complete value, as EventBridge's parser does.
    assert compile_pattern('{"a": ["x"]} trailing').matches({"a": "x"})


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
