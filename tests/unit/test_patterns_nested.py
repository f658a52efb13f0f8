"""EventBridge patterns on nested fields: objects, arrays, and dot-joined keys.

EventBridge matches on field paths: a pattern key "a.b" names the nested field a -> b, and so
does an event key "a.b" (the AWS-recorded "dot_joining" cases: the pattern
{"detail": {"state.status": ["running"]}} matches {"detail": {"state": {"status":
"running"}}}, and nesting past the path does not)."""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.patterns import compile_pattern

NESTED = {"detail": {"state": {"status": "running"}}}
DOTTED_EVENT = {"detail": {"state.status": "running"}}
DEEPER_EVENT = {"detail": {"state.status": {"status": "running"}}}
WITH_N1 = {"detail": {**NESTED["detail"], "n": 1}}
WITH_N2 = {"detail": {**NESTED["detail"], "n": 2}}
ITEMS = {"detail": {"items": [{"sku": "a", "n": 1}, {"sku": "b", "n": 2}]}}
ORDER = {"detail": {"order": {"id": "o-1", "total": 150}}}

CASES: list[tuple[Any, dict[str, Any], bool]] = [
    # nested objects, at any depth
    ({"detail": {"state": {"status": ["running"]}}}, NESTED, True),
    ({"detail": {"state": {"status": ["stopped"]}}}, NESTED, False),
    ({"detail": {"state": ["running"]}}, NESTED, False),  # an object is not a leaf value
    ({"detail": {"state": {"status": {"x": ["running"]}}}}, NESTED, False),
    # dot-joined pattern keys are the nested path (AWS-recorded)
    ({"detail": {"state.status": ["running"]}}, NESTED, True),
    ({"detail.state.status": ["running"]}, NESTED, True),
    ({"detail": {"state.status": {"status": ["running"]}}}, NESTED, False),
    # dotted and nested keys of one pattern combine (AND)
    ({"detail.state.status": ["running"], "detail": {"n": [1]}}, WITH_N1, True),
    ({"detail.state.status": ["running"], "detail": {"n": [1]}}, WITH_N2, False),
    # dot-joined event keys are the nested path too (AWS-recorded)
    ({"detail": {"state": {"status": ["running"]}}}, DOTTED_EVENT, True),
    ({"detail": {"state.status": ["running"]}}, DOTTED_EVENT, True),
    ({"detail": {"state": {"status": ["running"]}}}, DEEPER_EVENT, False),
    # arrays in the event: any element matches, nested arrays included
    ({"detail": {"tags": ["b"]}}, {"detail": {"tags": ["a", "b"]}}, True),
    ({"detail": {"tags": ["c"]}}, {"detail": {"tags": ["a", ["b", "c"]]}}, True),
    ({"detail": {"tags": ["z"]}}, {"detail": {"tags": ["a", "b"]}}, False),
    # arrays of objects: one element must satisfy the whole sub-pattern
    ({"detail": {"items": {"sku": ["a"], "n": [2]}}}, ITEMS, False),
    ({"detail": {"items": {"sku": ["b"], "n": [2]}}}, ITEMS, True),
    ({"detail": {"items.sku": ["b"]}}, {"detail": {"items": [{"sku": "a"}, {"sku": "b"}]}}, True),
    # operators on nested fields
    ({"detail": {"order": {"total": [{"numeric": [">", 100]}]}}}, ORDER, True),
    ({"detail": {"order.id": [{"prefix": "o-"}]}}, ORDER, True),
    ({"detail": {"order": {"coupon": [{"exists": False}]}}}, {"detail": {}}, True),
]  # fmt: skip


@pytest.mark.parametrize(("pattern", "event", "expected"), CASES)
def test_eventbridge_nested_fields(pattern: Any, event: dict[str, Any], expected: bool) -> None:
    assert compile_pattern(pattern).matches(event) is expected


def test_esm_keeps_dots_literal() -> None:
    # EventBridge joins paths with dots here, SNS's MessageBody scope in patterns/sns.py
    # (tests/unit/test_patterns_sns.py); mappings' filters are unconfirmed, so unchanged.
    assert compile_pattern('{"a.b": ["x"]}', dialect="esm").matches({"a.b": "x"})
