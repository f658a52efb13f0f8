"""SNS filter policies: documented examples (Amazon SNS developer guide pages named per
block), the attribute view, scopes and limits."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lambdalite.patterns import (
    InvalidEventPattern,
    compile_pattern,
    sns_attribute_view,
    sns_attributes_match,
    sns_body_match,
)


def s(value: str) -> dict[str, str]:
    return {"Type": "String", "Value": value}


def sa(*values: Any) -> dict[str, str]:
    return {"Type": "String.Array", "Value": json.dumps(list(values))}


def n(value: str) -> dict[str, str]:
    return {"Type": "Number", "Value": value}


Case = tuple[dict[str, Any], dict[str, Any], dict[str, Any], bool]  # policy, attrs, body, ok

CASES: list[Case] = [
    # "String value matching" - exact matching.
    (
        {"customer_interests": ["rugby", "tennis"]},
        {"customer_interests": s("rugby")},
        {"customer_interests": "rugby"},
        True,
    ),
    (
        {"customer_interests": ["rugby", "tennis"]},
        {"customer_interests": s("tennis")},
        {"customer_interests": "tennis"},
        True,
    ),
    (
        {"customer_interests": ["rugby", "tennis"]},
        {"customer_interests": sa("rugby", "tennis")},
        {"customer_interests": ["rugby", "tennis"]},
        True,
    ),
    (
        {"customer_interests": ["rugby", "tennis"]},
        {"customer_interests": s("baseball")},
        {"customer_interests": "baseball"},
        False,
    ),
    (
        {"customer_interests": ["rugby", "tennis"]},
        {"customer_interests": sa("baseball")},
        {"customer_interests": ["baseball"]},
        False,
    ),
    # "String value matching" - anything-but.
    (
        {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
        {"customer_interests": s("baseball")},
        {"customer_interests": "baseball"},
        True,
    ),
    (
        {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
        {"customer_interests": s("football")},
        {"customer_interests": "football"},
        True,
    ),
    (
        {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
        {"customer_interests": sa("rugby", "baseball")},
        {"customer_interests": ["rugby", "baseball"]},
        True,
    ),
    (
        {"customer_interests": [{"anything-but": ["rugby", "tennis"]}]},
        {"customer_interests": s("rugby")},
        {"customer_interests": "rugby"},
        False,
    ),
    # "Numeric value matching".
    (
        {"price_usd": [{"numeric": ["=", 301.5]}]},
        {"price_usd": n("301.5")},
        {"price_usd": 301.5},
        True,
    ),
    (
        {"price_usd": [{"numeric": ["=", 301.5]}]},
        {"price_usd": n("3.015e2")},
        {"price_usd": 3.015e2},
        True,
    ),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": n("101")}, {"price": 101}, True),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": n("100.1")}, {"price": 100.1}, True),
    (
        {"price": [{"anything-but": [100, 500]}]},
        {"price": {"Type": "Number.Array", "Value": "[100, 50]"}},
        {"price": [100, 50]},
        True,
    ),
    ({"price": [{"anything-but": [100, 500]}]}, {"price": n("100")}, {"price": 100}, False),
    ({"price_usd": [{"numeric": ["<", 0]}]}, {"price_usd": n("-1")}, {"price_usd": -1}, True),
    (
        {"price_usd": [{"numeric": [">", 0, "<=", 150]}]},
        {"price_usd": n("150")},
        {"price_usd": 150},
        True,
    ),
    (
        {"price_usd": [{"numeric": [">", 0, "<=", 150]}]},
        {"price_usd": n("150.1")},
        {"price_usd": 150.1},
        False,
    ),
    # "AND/OR logic".
    (
        {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]},
        {"customer_interests": s("rugby"), "price_usd": n("101")},
        {"customer_interests": "rugby", "price_usd": 101},
        True,
    ),
    (
        {"customer_interests": ["rugby"], "price_usd": [{"numeric": [">", 100]}]},
        {"customer_interests": s("rugby"), "price_usd": n("100")},
        {"customer_interests": "rugby", "price_usd": 100},
        False,
    ),
    (
        {"customer_interests": ["rugby", "football", "baseball"]},
        {"customer_interests": s("baseball")},
        {"customer_interests": "baseball"},
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}],
        },
        {"source": s("aws.cloudwatch"), "namespace": s("AWS/EC2")},
        {"source": "aws.cloudwatch", "namespace": "AWS/EC2"},
        True,
    ),
    # "Key matching".
    (
        {"store": [{"exists": True}]},
        {"store": s("fans"), "customer_interests": sa("baseball", "basketball")},
        {"store": "fans", "customer_interests": ["baseball", "basketball"]},
        True,
    ),
    (
        {"store": [{"exists": True}]},
        {"customer_interests": sa("baseball", "basketball")},
        {"customer_interests": ["baseball", "basketball"]},
        False,
    ),
    ({"store": [{"exists": False}]}, {"store": s("fans")}, {"store": "fans"}, False),
    (
        {"store": [{"exists": False}]},
        {"customer_interests": sa("baseball", "basketball")},
        {"customer_interests": ["baseball", "basketball"]},
        True,
    ),
    # Prefix / suffix / equals-ignore-case / IP address ("String value matching").
    (
        {"customer_interests": [{"prefix": "bas"}]},
        {"customer_interests": s("baseball")},
        {"customer_interests": "baseball"},
        True,
    ),
    (
        {"customer_interests": [{"suffix": "ball"}]},
        {"customer_interests": s("baseball")},
        {"customer_interests": "baseball"},
        True,
    ),
    (
        {"customer_interests": [{"equals-ignore-case": "tennis"}]},
        {"customer_interests": s("TENNIS")},
        {"customer_interests": "TENNIS"},
        True,
    ),
    (
        {"event": [{"anything-but": {"prefix": "order-"}}]},
        {"event": s("order-cancelled")},
        {"event": "order-cancelled"},
        False,
    ),
    (
        {"source_ip": [{"cidr": "10.0.0.0/24"}]},
        {"source_ip": s("10.0.0.9")},
        {"source_ip": "10.0.0.9"},
        True,
    ),
    # "Example filter policies" message (customer transactions).
    (
        {
            "store": ["example_corp"],
            "event": [{"anything-but": "order_cancelled"}],
            "customer_interests": ["rugby", "football", "baseball"],
            "price_usd": [{"numeric": [">=", 100]}],
        },
        {
            "customer_interests": sa("soccer", "rugby", "hockey"),
            "store": s("example_corp"),
            "event": s("order_placed"),
            "price_usd": n("210.75"),
        },
        {
            "customer_interests": ["soccer", "rugby", "hockey"],
            "store": "example_corp",
            "event": "order_placed",
            "price_usd": 210.75,
        },
        True,
    ),
]


@pytest.mark.parametrize(("policy", "attrs", "body", "expected"), CASES)
def test_sns_documented(
    policy: dict[str, Any], attrs: dict[str, Any], body: dict[str, Any], expected: bool
) -> None:
    by_attrs = compile_pattern(policy, dialect="sns")
    assert sns_attributes_match(by_attrs, attrs) is expected
    by_body = compile_pattern(policy, dialect="sns", sns_scope="MessageBody")
    assert sns_body_match(by_body, json.dumps(body)) is expected


def test_attribute_view_types() -> None:
    view = sns_attribute_view(
        {
            "a": {"DataType": "String", "StringValue": "x"},
            "b": {"DataType": "Number", "StringValue": "42"},
            "c": {"DataType": "Number.float", "StringValue": "1.5"},
            "d": {"DataType": "String.Array", "StringValue": '["x", 1, null]'},
            "e": {"DataType": "Binary", "BinaryValue": b"\x00"},
            "f": {"Type": "String.custom", "Value": "y"},
        }
    )
    assert view == {"a": "x", "b": 42, "c": 1.5, "d": ["x", 1, None], "f": "y"}


def test_empty_attributes_never_match() -> None:
    # "Key matching": exists:false only matches when at least one attribute is present.
    p = compile_pattern({"store": [{"exists": False}]}, dialect="sns")
    assert not sns_attributes_match(p, {})
    assert sns_attributes_match(p, {"other": s("x")})


def test_body_must_be_json_object() -> None:
    p = compile_pattern({"a": ["x"]}, dialect="sns", sns_scope="MessageBody")
    assert not sns_body_match(p, "not json")
    assert not sns_body_match(p, '["x"]')


def test_sns_exists_needs_non_null() -> None:
    p = compile_pattern({"a": [{"exists": True}]}, dialect="sns", sns_scope="MessageBody")
    assert not p.matches({"a": None})
    assert compile_pattern({"a": [{"exists": True}]}).matches({"a": None})


@pytest.mark.parametrize(
    ("policy", "scope", "reason"),
    [
        (
            {"a": {"b": ["x"]}},
            "MessageAttributes",
            "Filter policy scope MessageAttributes does not support nested filter policy",
        ),
        (
            {k: ["x"] for k in "abcdef"},
            "MessageAttributes",
            "Filter policy can not have more than 5 keys",
        ),
        ({"a": list(range(151))}, "MessageAttributes", "Filter policy is too complex"),
        (
            {"a": list(range(10)), "b": list(range(16))},
            "MessageAttributes",
            "Filter policy is too complex",
        ),
        ({"a": [{"wildcard": "*x"}]}, "MessageAttributes", "Unrecognized match type wildcard"),
    ],
)
def test_sns_rejects(policy: dict[str, Any], scope: Any, reason: str) -> None:
    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern(policy, dialect="sns", sns_scope=scope)
    assert info.value.reason == reason
    assert str(info.value) == "FilterPolicy: " + reason


def test_sns_nested_complexity_example() -> None:
    # "Filter policy constraints": 4 values at depth 3 and 3 values at depth 2 -> 72 <= 150.
    policy = {
        "key_a": {"key_b": {"key_c": ["v1", "v2", "v3", "v4"]}},
        "key_d": {"key_e": ["v1", "v2", "v3"]},
    }
    compile_pattern(policy, dialect="sns", sns_scope="MessageBody")
    with pytest.raises(InvalidEventPattern):
        compile_pattern(
            {**policy, "key_f": ["a", "b", "c"]}, dialect="sns", sns_scope="MessageBody"
        )


def test_sns_reasons_the_service_rewords_are_the_compilers() -> None:
    # services/sns/validate.py words these two differently; they must stay the compiler's.
    from lambdalite.patterns.sns import NESTED_IN_ATTRIBUTES_SCOPE, NOT_JSON

    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern("{nope", dialect="sns")
    assert info.value.reason == NOT_JSON
    with pytest.raises(InvalidEventPattern) as info:
        compile_pattern({"a": {"b": ["x"]}}, dialect="sns")
    assert info.value.reason == NESTED_IN_ATTRIBUTES_SCOPE


# MessageBody scope: a dotted name is a path, in the policy and in the body (AWS-recorded in
# LocalStack's test_filter_policy_on_message_body_dot_attribute).
_DOTTED_BODIES = [
    {"object": {"nested": {"test": "string.value"}}},
    {"object.nested.test": "string.value"},
    {"object.nested": {"test": "string.value"}},
    {"object": {"nested.test": "string.value"}},
]


@pytest.mark.parametrize(
    "policy",
    [
        {"object.nested.test": ["string.value"]},
        {"object": {"nested": {"test": ["string.value"]}}},
        {"object": {"nested.test": ["string.value"]}},
        {"object.nested": {"test": ["string.value"]}},
    ],
)
@pytest.mark.parametrize("body", _DOTTED_BODIES)
def test_body_paths_match_however_dotted(policy: dict[str, Any], body: dict[str, Any]) -> None:
    p = compile_pattern(policy, dialect="sns", sns_scope="MessageBody")
    assert sns_body_match(p, json.dumps(body))
    assert not sns_body_match(p, json.dumps({"object": {"nested": {"test": "string.notvalue"}}}))
    assert not sns_body_match(p, json.dumps({"object": {"nested": "string.value"}}))


def test_dotted_and_nested_names_on_one_path_all_count() -> None:
    p = compile_pattern(
        {"a.b": ["x"], "a": {"c": [{"numeric": [">", 1]}]}}, dialect="sns", sns_scope="MessageBody"
    )
    assert sns_body_match(p, json.dumps({"a": {"b": "x", "c": 2}}))
    assert sns_body_match(p, json.dumps({"a.b": "x", "a": {"c": 2}}))
    assert not sns_body_match(p, json.dumps({"a.b": "x", "a": {"c": 0}}))
    # both spellings of one path in a body: either value may satisfy the policy
    only = compile_pattern({"a.b": ["x"]}, dialect="sns", sns_scope="MessageBody")
    assert sns_body_match(only, json.dumps({"a": {"b": "y"}, "a.b": "x"}))


def test_nested_body_forms() -> None:
    # nested objects, arrays of objects (one element satisfies the whole object), $or inside
    # a nested object, and operators on nested leaves
    p = compile_pattern(
        {
            "order": {
                "items": {"sku": [{"prefix": "A-"}], "qty": [{"numeric": [">=", 2]}]},
                "$or": [{"state": ["paid"]}, {"total": [{"numeric": [">", 100]}]}],
            }
        },
        dialect="sns",
        sns_scope="MessageBody",
    )
    paid = {
        "order": {"state": "paid", "items": [{"sku": "B-1", "qty": 5}, {"sku": "A-1", "qty": 2}]}
    }
    assert sns_body_match(p, json.dumps(paid))
    mixed = {
        "order": {"state": "paid", "items": [{"sku": "B-1", "qty": 5}, {"sku": "A-1", "qty": 1}]}
    }
    assert not sns_body_match(p, json.dumps(mixed))
    big = {"order": {"state": "open", "total": 101, "items": {"sku": "A-9", "qty": 3}}}
    assert sns_body_match(p, json.dumps(big))
    assert not sns_body_match(p, json.dumps({**big, "order": {**big["order"], "total": 100}}))


def test_dotted_policy_keys_count_as_written() -> None:
    # five top-level keys however dotted; a sixth is refused
    five = {f"k{i}.x": ["v"] for i in range(5)}
    compile_pattern(five, dialect="sns", sns_scope="MessageBody")
    with pytest.raises(InvalidEventPattern, match="more than 5 keys"):
        compile_pattern({**five, "k5": ["v"]}, dialect="sns", sns_scope="MessageBody")
