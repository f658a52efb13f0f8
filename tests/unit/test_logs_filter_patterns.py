"""CloudWatch Logs filter patterns (brief 2.5): the documented examples, each family's
corners, and the patterns that must be refused rather than match nothing."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lambdalite.logs.patterns import FilterPatternError, compile_pattern

CLF = '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /apache_pb.gif HTTP/1.0" 404 2326'
EVENT = json.dumps(
    {
        "eventType": "UpdateTrail",
        "sourceIPAddress": "123.123.123.123",
        "arrayKey": ["value", "another value"],
        "objectList": [{"name": "a", "id": 1}, {"name": "b", "id": 2}],
        "SomeObject": None,
        "ThisFlag": True,
        "latency": 150,
        "user": {"id": 1234},
    }
)


@pytest.mark.parametrize(
    ("pattern", "message", "hit"),
    [
        ("", "anything", True),
        ("ERROR", "[ERROR] it broke", True),
        ("ERROR", "[error] it broke", False),  # terms are case-sensitive
        ("ERROR Exception", "ERROR: Exception raised", True),
        ("ERROR Exception", "ERROR only", False),
        ('"Task timed out"', "2026 id Task timed out after 3.00 seconds", True),
        ('"Task timed out"', "Task was timed out", False),
        ("?ERROR ?WARN", "WARN: slow", True),
        ("?ERROR ?WARN", "INFO: fine", False),
        ("ERROR -retry", "ERROR: will retry", False),
        ("ERROR -retry", "ERROR: gave up", True),
        ("-DEBUG", "INFO x", True),
        ('-"not this"', "but not this one", False),
        ("%ERR[O]R%", "an ERROR", True),
        ("%^START%", "END RequestId", False),
    ],
)
def test_term_patterns(pattern: str, message: str, hit: bool) -> None:
    assert compile_pattern(pattern)(message) is hit


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ('{ $.eventType = "UpdateTrail" }', True),
        ('{ $.eventType = "Update*" }', True),
        ('{ $.eventType != "UpdateTrail" }', False),
        ("{ $.sourceIPAddress = 123.123.* }", True),
        ('{ $.arrayKey[0] = "value" }', True),
        ('{ $.arrayKey[1] = "value" }', False),
        ('{ $.objectList[1].name = "b" }', True),
        ("{ $.objectList[*].id = 2 }", True),
        ("{ $.SomeObject IS NULL }", True),
        ("{ $.SomeOtherObject NOT EXISTS }", True),
        ("{ $.eventType NOT EXISTS }", False),
        ("{ $.ThisFlag IS TRUE }", True),
        ("{ $.ThisFlag IS FALSE }", False),
        ("{ $.latency > 100 }", True),
        ("{ $.latency >= 150 && $.latency <= 150 }", True),
        ("{ $.latency < 100 || $.user.id = 1234 }", True),
        ('{ ($.latency < 100) || ($.eventType = "x") }', False),
        ("{ $.user.id = 12* }", True),
        ('{ $.latency = "150" }', False),  # a string never equals a number
        ("{ $.eventType = %Up.*Trail% }", True),
    ],
)
def test_json_patterns(pattern: str, hit: bool) -> None:
    assert compile_pattern(pattern)(EVENT) is hit


def test_json_patterns_never_match_other_events() -> None:
    match = compile_pattern('{ $.level = "ERROR" }')
    assert not match('[ERROR] {"level": "ERROR"}')
    assert not match('["ERROR"]')
    assert match('{"level": "ERROR"}\n')  # Lambda's events end with a newline


@pytest.mark.parametrize(
    ("pattern", "hit"),
    [
        ("[ip, id, user, timestamp, request, status_code, size]", True),
        ("[ip, id, user, timestamp, request, status_code]", False),  # too few fields
        ("[ip, id, user, ..., status_code = 404, size]", True),
        ("[..., status_code = 4*, size > 1000]", True),
        ("[..., status_code = 4*, size > 3000]", False),
        ('[ip, id, user = "frank", ...]', True),
        ('[ip, id, user, timestamp, request = "GET *", ...]', True),
        ("[ip = 127.0.0.*, ...]", True),
        ("[ip, ..., status_code = 404 || status_code = 410, size]", True),
        ("[ip, ..., status_code != 404, size]", False),
        ("[..., code = %^40[0-9]$%, size]", True),
    ],
)
def test_space_delimited_patterns(pattern: str, hit: bool) -> None:
    assert compile_pattern(pattern)(CLF) is hit


@pytest.mark.parametrize(
    "pattern",
    [
        "{ $.a = 1",
        "{ $.a > }",
        '{ $.a > "x" }',
        "{ a = 1 }",
        "{ $.a IS MAYBE }",
        "{ $.a = 1 && }",
        "[a, b",
        "[a, , b]",
        "[a = ]",
        "user@example.com",
        '"unterminated',
        '""',
        "%(%",
        "x" * 1025,
    ],
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(FilterPatternError):
        compile_pattern(pattern)


words = st.text(alphabet="abcXYZ019_", min_size=1, max_size=6)


@given(words, st.lists(words, max_size=5))
def test_a_term_matches_exactly_the_messages_containing_it(term: str, parts: list[str]) -> None:
    message = " ".join(parts)
    assert compile_pattern(term)(message) is (term in message)
    assert compile_pattern(f"-{term}")(message) is (term not in message)


@given(st.lists(words, min_size=1, max_size=4), st.lists(words, max_size=5))
def test_optional_terms_match_when_any_does(terms: list[str], parts: list[str]) -> None:
    message = " ".join(parts)
    pattern = " ".join(f"?{t}" for t in terms)
    assert compile_pattern(pattern)(message) is any(t in message for t in terms)


@given(
    st.dictionaries(st.sampled_from("abc"), st.integers(-50, 50), max_size=3), st.integers(-50, 50)
)
def test_json_numeric_comparisons_agree_with_python(doc: dict[str, int], bound: int) -> None:
    message = json.dumps(doc)
    for op, check in (("<", int.__lt__), (">=", int.__ge__), ("=", int.__eq__)):
        hit = compile_pattern(f"{{ $.a {op} {bound} }}")(message)
        assert hit is ("a" in doc and check(doc["a"], bound))
