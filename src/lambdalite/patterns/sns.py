"""SNS filter-policy specifics: policy limits and the message-attribute view."""

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
