"""One event-pattern matcher for EventBridge rules, SNS filter policies and Lambda ESM filters.

Usage::

    p = compile_pattern('{"source": ["aws.ec2"], "detail": {"state": ["running"]}}')
    p.matches(event)  # -> bool

`compile_pattern` validates once (raising `InvalidEventPattern` with an AWS-like reason)
and builds a tree of prebuilt predicates; `Pattern.matches` never re-parses the pattern.

Semantics shared by all dialects:

- fields in an object are ANDed; the values in a pattern array are ORed; unnamed event
  fields are ignored; `$or` (array of 2+ objects without operator keys) ORs sub-patterns,
  otherwise "$or" is an ordinary field name;
- an event array matches if any element matches (nested arrays are flattened); for a
  nested pattern object, one array element must satisfy the whole object;
- exact values compare by JSON type: "1", 1, 1.0, true and null are all different
  (EventBridge/ESM compare numbers by representation; a parsed event cannot tell 3.0e2
  from 300.0, so floats compare by value);
- `numeric` and `cidr` only match JSON numbers / strings; string operators only strings;
- `exists` looks at leaves: a missing field, an object value or an empty array count as
  absent; `exists: false` also matches when a parent object is missing.

Dialects:

- ``eventbridge``: every operator, including anything-but prefix/suffix/equals-ignore-case/
  wildcard; fields are dot-joined paths (event-ruler), so a pattern key ``"a.b"`` names the
  nested field a -> b and so does an event key ``"a.b"``; text that is not a JSON object is
  reported in its JSON parser's (Jackson's) words with the location (`jsontext`).
- ``esm`` (Lambda FilterCriteria): as EventBridge minus the anything-but sub-operators
  (EventBridge lists them as unsupported for Pipes). Deciding what to match on -- parsing
  SQS ``body`` / base64-decoded Kinesis/MQ ``data`` / Kafka ``value`` as JSON when it is a
  JSON object, dropping records whose data format does not fit the pattern (spec 5.4) --
  is the caller's job: pass the prepared record to ``matches``.
- ``sns``: no ``wildcard``; numbers compare by value; ``exists: true`` needs a non-null
  value; at most 5 top-level keys and 150 value combinations; with
  ``sns_scope="MessageAttributes"`` (the default) nested objects are rejected -- build the
  event with `sns_attribute_view` or use `sns_attributes_match`; with
  ``sns_scope="MessageBody"`` dotted keys are paths (``"a.b"`` is ``{"a": {"b": ...}}``, in
  the policy and in the body) -- match bodies with `sns_body_match`.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any, Literal

from .compiler import compile_tree, rules_for
from .errors import Dialect, InvalidEventPattern
from .leaves import Rejected
from .nodes import ObjectNode
from .sns import attribute_view as sns_attribute_view
from .sns import check_limits, expand_body, expand_policy

__all__ = [
    "Dialect",
    "InvalidEventPattern",
    "Pattern",
    "SnsScope",
    "compile_pattern",
    "sns_attribute_view",
    "sns_attributes_match",
    "sns_body_match",
]

SnsScope = Literal["MessageAttributes", "MessageBody"]


class Pattern:
    """A compiled, immutable pattern. Safe to share between threads."""

    __slots__ = ("source", "dialect", "_root")

    def __init__(self, source: dict[str, Any], dialect: Dialect, root: ObjectNode) -> None:
        self.source = source
        self.dialect: Dialect = dialect
        self._root = root

    def matches(self, event: Mapping[str, Any]) -> bool:
        """True if `event` (a decoded JSON object) satisfies the pattern."""
        if not isinstance(event, Mapping):
            return False
        return self._root.match(event)

    def __repr__(self) -> str:
        return f"Pattern({json.dumps(self.source)!s}, dialect={self.dialect!r})"


def compile_pattern(
    pattern: str | bytes | dict[str, Any],
    *,
    dialect: Dialect = "eventbridge",
    sns_scope: SnsScope = "MessageAttributes",
) -> Pattern:
    """Validate and compile a pattern given as JSON text or an already-decoded object."""
    if isinstance(pattern, (str, bytes)):
        return _compile_cached(pattern, dialect, sns_scope)
    return _compile(pattern, dialect, sns_scope)


@functools.lru_cache(maxsize=1024)
def _compile_cached(pattern: str | bytes, dialect: Dialect, sns_scope: SnsScope) -> Pattern:
    return _compile(pattern, dialect, sns_scope)


def _compile(
    pattern: str | bytes | dict[str, Any], dialect: Dialect, sns_scope: SnsScope
) -> Pattern:
    rules = rules_for(dialect, sns_scope=sns_scope)
    source, root = compile_tree(pattern, rules)
    if dialect == "sns":
        try:
            check_limits(source)
        except Rejected as exc:
            raise InvalidEventPattern(str(exc), dialect) from None
        if sns_scope == "MessageBody":  # match on paths, however dotted (patterns/sns.py)
            root = compile_tree(expand_policy(source), rules)[1]
    return Pattern(source, dialect, root)


def sns_attributes_match(
    pattern: Pattern, message_attributes: Mapping[str, Mapping[str, Any]]
) -> bool:
    """MessageAttributes-scope filtering; a message without (comparable) attributes never
    matches a policy, not even `{"exists": false}` (SNS docs)."""
    view = sns_attribute_view(message_attributes)
    if not view and pattern.source:
        return False
    return pattern.matches(view)


def sns_body_match(pattern: Pattern, message: str) -> bool:
    """MessageBody-scope filtering; a body that is not a JSON object never matches. Dotted
    names in the body and in the policy name the same paths as nested objects do."""
    try:
        body = json.loads(message)
    except ValueError:
        return False
    return isinstance(body, dict) and pattern.matches(expand_body(body))
