"""Pattern validation and compilation into `nodes` (one pass over the pattern JSON)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import leaves
from .errors import Dialect, InvalidEventPattern
from .jsontext import PatternText, read_object
from .leaves import Rejected, Test
from .nodes import LeafNode, ObjectNode

OPERATORS = frozenset(
    {
        "prefix",
        "suffix",
        "equals-ignore-case",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "wildcard",
    }
)


@dataclass(frozen=True)
class Rules:
    """What a dialect accepts and how it compares; see the package docstring."""

    dialect: Dialect
    operators: frozenset[str]
    anything_but_nested: bool  # {"anything-but": {"prefix"|"suffix"|...: ...}}
    loose_numbers: bool  # SNS compares numbers by value, EventBridge by representation
    exists_requires_nonnull: bool
    nested: bool = True  # SNS MessageAttributes scope forbids nested objects
    # EventBridge (event-ruler) matches on dot-joined field paths: a pattern key "a.b" is the
    # nested {"a": {"b": ...}}, and an event key "a.b" is the nested field too.
    dotted_keys: bool = False
    # EventBridge words unparsable text as its JSON parser does, with the location.
    parser_reasons: bool = False


def rules_for(dialect: Dialect, *, sns_scope: str = "MessageAttributes") -> Rules:
    if dialect == "eventbridge":
        return Rules(dialect, OPERATORS, True, False, False, dotted_keys=True, parser_reasons=True)
    if dialect == "esm":
        # EventBridge marks the anything-but sub-operators unsupported for Pipes (spec 5.3).
        return Rules(dialect, OPERATORS, False, False, False)
    if dialect == "sns":
        return Rules(
            dialect,
            OPERATORS - {"wildcard"},
            True,
            True,
            True,
            nested=sns_scope == "MessageBody",
        )
    raise ValueError(f"unknown dialect {dialect!r}")


def _reject_constant(name: str) -> Any:
    raise Rejected("Filter is not valid JSON")


def parse(pattern: str | bytes | dict[str, Any], *, parser_reasons: bool = False) -> dict[str, Any]:
    if parser_reasons and isinstance(pattern, (str, bytes)):
        text = pattern.decode() if isinstance(pattern, bytes) else pattern
        try:
            return read_object(text)
        except PatternText as exc:
            raise Rejected(str(exc)) from None
    if isinstance(pattern, (str, bytes)):
        try:
            # json.loads keeps the last duplicate key, as AWS does.
            value = json.loads(pattern, parse_constant=_reject_constant)
        except ValueError:
            raise Rejected("Filter is not valid JSON") from None
    else:
        value = pattern
    if not isinstance(value, dict):
        raise Rejected("Filter is not an object")
    return value


def is_or_group(value: Any) -> bool:
    """`$or` is an operator only for an array of 2+ objects without operator keys."""
    return (
        isinstance(value, list)
        and len(value) >= 2
        and all(isinstance(b, dict) and not (OPERATORS & b.keys()) for b in value)
    )


def split_dotted(obj: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": X, "a": {"c": Y}} -> {"a": {"b": X, "c": Y}}, one level at a time (a deeper
    "a.b.c" moves down as "b.c" and is split when its object is compiled). A path given
    twice keeps the later value, as a duplicate key does."""
    if not any("." in key for key in obj):
        return obj
    out: dict[str, Any] = {}
    for key, value in obj.items():
        head, dot, tail = key.partition(".")
        if dot:
            value = {tail: value}
        old = out.get(head)
        out[head] = {**old, **value} if isinstance(old, dict) and isinstance(value, dict) else value
    return out


def compile_object(obj: dict[str, Any], rules: Rules, depth: int = 1) -> ObjectNode:
    fields: list[tuple[str, LeafNode | ObjectNode]] = []
    ors: list[tuple[ObjectNode, ...]] = []
    if rules.dotted_keys:
        obj = split_dotted(obj)
    for key, value in obj.items():
        if not isinstance(key, str):
            raise Rejected("Filter is not valid JSON")
        if key == "$or" and is_or_group(value):
            ors.append(tuple(compile_object(b, rules, depth) for b in value))
        elif isinstance(value, dict):
            if not rules.nested:
                raise Rejected(
                    "Filter policy scope MessageAttributes does not support nested filter policy"
                )
            fields.append((key, compile_object(value, rules, depth + 1)))
        elif isinstance(value, list):
            if not value:
                raise Rejected("Empty arrays are not allowed")
            fields.append((key, compile_leaf(value, rules)))
        else:
            raise Rejected(f'"{key}" must be an object or an array')
    return ObjectNode(tuple(fields), tuple(ors), dotted=rules.dotted_keys)


def compile_leaf(values: list[Any], rules: Rules) -> LeafNode:
    exact: set[tuple[type, object]] = set()
    tests: list[Test] = []
    exists_true = exists_false = False
    for v in values:
        if v is None or isinstance(v, (str, bool)):
            exact.add(leaves.value_key(v))
        elif leaves.is_number(v):
            exact.add((float, float(v)) if rules.loose_numbers else leaves.value_key(v))
        elif isinstance(v, dict):
            if len(v) != 1:
                raise Rejected("Only one key allowed in match expression")
            op, arg = next(iter(v.items()))
            if op == "exists":
                if not isinstance(arg, bool):
                    raise Rejected("exists match pattern must be either true or false.")
                exists_true |= arg
                exists_false |= not arg
            else:
                tests.append(_operator_test(op, arg, rules))
        else:
            raise Rejected("Match value must be String, number, true, false, or null")
    return LeafNode(
        frozenset(exact),
        tuple(tests),
        exists_true=exists_true,
        exists_false=exists_false,
        loose_numbers=rules.loose_numbers,
        exists_requires_nonnull=rules.exists_requires_nonnull,
    )


def _operator_test(op: str, arg: Any, rules: Rules) -> Test:
    if op not in rules.operators:
        raise Rejected(f"Unrecognized match type {op}")
    if op == "prefix":
        return leaves.prefix_test(arg)
    if op == "suffix":
        return leaves.suffix_test(arg)
    if op == "equals-ignore-case":
        return leaves.equals_ignore_case_test(arg)
    if op == "anything-but":
        return leaves.anything_but_test(arg, allow_nested=rules.anything_but_nested)
    if op == "numeric":
        return leaves.numeric_test(arg)
    if op == "cidr":
        return leaves.cidr_test(arg)
    return leaves.wildcard_test(arg)


def compile_tree(
    pattern: str | bytes | dict[str, Any], rules: Rules
) -> tuple[dict[str, Any], ObjectNode]:
    try:
        source = parse(pattern, parser_reasons=rules.parser_reasons)
        return source, compile_object(source, rules)
    except Rejected as exc:
        raise InvalidEventPattern(str(exc), rules.dialect) from None
