"""SNS filter-policy specifics: policy limits, the message-attribute view, and the dotted
paths of MessageBody scope.

MessageBody scope matches on paths, not on how the JSON spells them: AWS delivers a policy
key ``"object.nested"`` for a body ``{"object": {"nested": v}}`` and for a body
``{"object.nested": v}`` alike, and ``"a.b.c"`` for every way of splitting that path into
nested objects and dotted names (recorded against AWS in LocalStack's
``test_filter_policy_on_message_body_dot_attribute``). So both sides are brought to one
spelling before matching: every dotted name is split into nested objects."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .compiler import is_or_group
from .leaves import Rejected

MAX_KEYS = 5
MAX_COMBINATIONS = 150
# Reasons SNS words differently from the other dialects (the compiler raises them).
NOT_JSON = "Filter is not valid JSON"
NESTED_IN_ATTRIBUTES_SCOPE = (
    "Filter policy scope MessageAttributes does not support nested filter policy"
)
_INT = re.compile(r"-?\d+")


def check_limits(policy: dict[str, Any]) -> None:
    """Raise `Rejected` if the policy exceeds SNS's documented key/combination limits."""
    if _key_count(policy) > MAX_KEYS:
        raise Rejected(f"Filter policy can not have more than {MAX_KEYS} keys")
    if _combinations(policy, 1) > MAX_COMBINATIONS:
        raise Rejected("Filter policy is too complex")


def _key_count(obj: dict[str, Any]) -> int:
    # Only parent (top-level) keys count for nested policies; each `$or` branch is
    # counted as its own alternative policy (unconfirmed: AWS does not say).
    plain = sum(1 for k, v in obj.items() if not (k == "$or" and is_or_group(v)))
    extra = 0
    for k, v in obj.items():
        if k == "$or" and is_or_group(v):
            extra += max(_key_count(b) for b in v)
    return plain + extra


def _combinations(obj: dict[str, Any], depth: int) -> int:
    # SNS docs: multiply the number of values of each array; a nested array also
    # multiplies by its depth (4 values at depth 3 and 3 values at depth 2 -> 72).
    total = 1
    for key, value in obj.items():
        if key == "$or" and is_or_group(value):
            total *= sum(_combinations(b, depth) for b in value)
        elif isinstance(value, dict):
            total *= _combinations(value, depth + 1)
        elif isinstance(value, list):
            total *= len(value) * depth
    return total


def expand_policy(policy: dict[str, Any]) -> dict[str, Any]:
    """The policy with dotted keys split into nested objects (``$or`` branches too)."""
    out: dict[str, Any] = {}
    for key, value in policy.items():
        if key == "$or" and is_or_group(value):
            _put(out, [key], [expand_policy(branch) for branch in value])
        else:
            _put(out, key.split("."), expand_policy(value) if isinstance(value, dict) else value)
    return out


def expand_body(value: Any) -> Any:
    """A decoded message body with dotted names split into nested objects; names that meet
    on one path keep every value (any of them may satisfy the policy)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            _put(out, key.split("."), expand_body(item))
        return out
    if isinstance(value, list):
        return [expand_body(item) for item in value]
    return value


def _put(target: dict[str, Any], path: list[str], value: Any) -> None:
    for name in reversed(path[1:]):
        value = {name: value}
    head = path[0]
    target[head] = _combine(target[head], value) if head in target else value


def _combine(old: Any, new: Any) -> Any:
    # Two objects on one path merge; anything else becomes the list of both (a pattern
    # array ORs its values, an event array matches if any element does).
    if isinstance(old, dict) and isinstance(new, dict):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _combine(merged[key], value) if key in merged else value
        return merged
    return [*(old if isinstance(old, list) else [old]), *(new if isinstance(new, list) else [new])]


def attribute_view(message_attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Turn SNS message attributes into the `{name: value}` object a policy is matched on.

    Accepts both the API shape (`DataType`/`StringValue`) and the delivered-event shape
    (`Type`/`Value`). `*.Array` values are JSON arrays (matched element-wise),
    `Number*` values become JSON numbers, `String*` stay strings; `Binary*` attributes
    are left out because SNS does not compare them.
    """
    view: dict[str, Any] = {}
    for name, attr in message_attributes.items():
        dtype = str(attr.get("DataType") or attr.get("Type") or "")
        raw = attr.get("StringValue", attr.get("Value"))
        base = dtype.split(".", 1)[0]
        if dtype.endswith(".Array") and isinstance(raw, str):
            try:
                view[name] = json.loads(raw)
            except ValueError:
                view[name] = raw  # SNS rejects these at Publish; keep the text
        elif base == "String":
            view[name] = raw
        elif base == "Number":
            view[name] = _to_number(raw)
    return view


def _to_number(raw: Any) -> Any:
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    try:
        return int(text) if _INT.fullmatch(text) else float(text)
    except ValueError:
        return raw
