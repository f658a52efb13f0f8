"""Compiled pattern tree and the per-event matching loop.

The tree is built once by `compiler`; matching only walks dicts and calls prebuilt
predicates, so no pattern parsing happens per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .leaves import Test

_MISSING: Any = object()
_EMPTY: Mapping[str, Any] = {}


def _is_mapping(v: object) -> bool:
    return type(v) is dict or isinstance(v, Mapping)


def _flatten(values: Sequence[Any], out: list[Any], *, objects: bool) -> list[Any]:
    # Nested event arrays are "crushed": [[a, b], [c]] behaves like [a, b, c].
    for v in values:
        if type(v) is list:
            _flatten(v, out, objects=objects)
        elif _is_mapping(v) == objects:
            out.append(v)
    return out


class LeafNode:
    """OR of the alternatives listed in one pattern array."""

    __slots__ = ("exact", "tests", "exists_true", "exists_false", "loose_numbers", "nonnull")

    def __init__(
        self,
        exact: frozenset[tuple[type, object]],
        tests: tuple[Test, ...],
        *,
        exists_true: bool,
        exists_false: bool,
        loose_numbers: bool,
        exists_requires_nonnull: bool,
    ) -> None:
        self.exact = exact
        self.tests = tests
        self.exists_true = exists_true
        self.exists_false = exists_false
        self.loose_numbers = loose_numbers
        self.nonnull = exists_requires_nonnull

    def match_value(self, value: Any) -> bool:
        if value is _MISSING:
            return self.exists_false
        if type(value) is list:
            values = _flatten(value, [], objects=False)
        elif _is_mapping(value):
            values = []  # an object is not a leaf: exists-matching sees it as absent
        else:
            values = [value]
        if not values:
            return self.exists_false
        if self.exists_true and (not self.nonnull or any(v is not None for v in values)):
            return True
        exact, tests = self.exact, self.tests
        for v in values:
            if exact:
                t = type(v)
                if self.loose_numbers and (t is int or t is float):
                    key: tuple[type, object] = (float, float(v))
                else:
                    key = (t, v)
                if key in exact:
                    return True
            for test in tests:
                if test(v):
                    return True
        return False


def _join(old: Any, new: Any) -> Any:
    """Two event values on one dot-joined path: objects merge, anything else is a list of
    both (so either can match, as with an array)."""
    if _is_mapping(old) and _is_mapping(new):
        merged = dict(old)
        for key, value in new.items():
            merged[key] = _join(merged[key], value) if key in merged else value
        return merged
    return [old, new]


def undot(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    """An event object with its dotted keys nested, one level: {"a.b": 1} -> {"a": {"b": 1}}
    (the deeper rest stays dotted for the child's own turn)."""
    out: dict[str, Any] = {}
    for key, value in obj.items():
        head, dot, tail = key.partition(".")
        if dot:
            value = {tail: value}
        out[head] = _join(out[head], value) if head in out else value
    return out


class ObjectNode:
    """AND of the fields of one pattern object, plus its `$or` groups."""

    __slots__ = ("fields", "ors", "dotted", "empty_ok")

    def __init__(
        self,
        fields: tuple[tuple[str, LeafNode | ObjectNode], ...],
        ors: tuple[tuple[ObjectNode, ...], ...],
        *,
        dotted: bool = False,
    ) -> None:
        self.fields = fields
        self.ors = ors
        self.dotted = dotted  # EventBridge: event keys are dot-joined paths too
        # A missing parent still satisfies children like {"exists": false}.
        self.empty_ok = self.match(_EMPTY)

    def match(self, obj: Mapping[str, Any]) -> bool:
        if self.dotted and any("." in key for key in obj):
            obj = undot(obj)
        get = obj.get
        for key, child in self.fields:
            if not child.match_value(get(key, _MISSING)):
                return False
        for group in self.ors:
            for branch in group:
                if branch.match(obj):
                    break
            else:
                return False
        return True

    def match_value(self, value: Any) -> bool:
        if _is_mapping(value):
            return self.match(value)
        if type(value) is list:
            # Array of objects: some single element must satisfy the whole sub-pattern,
            # which keeps fields from different elements from combining.
            objs = _flatten(value, [], objects=True)
            if objs:
                return any(self.match(o) for o in objs)
        return self.empty_ok
