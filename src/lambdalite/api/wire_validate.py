"""Constraint validation of parsed input against a botocore shape, worded as AWS words it.

AWS's (Coral) framework reports every violated constraint of a request at once:

    1 validation error detected: Value '127' at 'memorySize' failed to satisfy constraint:
        Member must have value greater than or equal to 128
    2 validation errors detected: <error>; <error>

Conventions mirrored here (sources in the wire-layer report):

- member path: member names with the first letter lower-cased (``kMSKeyArn``), nested with
  dots (``destinationConfig.onFailure.destination``); structures inside lists are
  ``<list>.<i>.member.<field>`` with a 1-based index;
- value: ``'<v>'`` in single quotes (numbers too), ``null`` unquoted, omitted entirely for
  sensitive shapes (``Value at 'environment.variables'``), lists as ``[a, b]`` and maps as
  ``{k=v}`` (Java ``toString``);
- scalar list members / map keys / map values are reported once, at the collection, with
  all of the element shape's constraints: ``Member must satisfy constraint: [...]``,
  ``Map keys must satisfy constraint: [...]``, ``Map value must satisfy constraint: [...]``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Any

from botocore.model import Shape

from lambdalite.errors import ValidationException

__all__ = ["collect_errors", "format_errors", "member_path", "render_value", "validate"]

_NOT_NULL = "Member must not be null"
_SIZED = frozenset({"string", "list", "map", "blob"})
_NUMERIC = frozenset({"integer", "long", "double", "float"})


_UNICODE_CLASS = re.compile(r"\\p\{(\w+)\}")


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    # Java's \d, \w and \s are ASCII-only; Java's matches() is Python's fullmatch.
    if "\\p{" not in pattern:
        return re.compile(pattern, re.ASCII)
    # Newer models use Unicode classes (\p{L}, \p{N}, \p{Z}), which `re` lacks; the closest
    # Unicode-aware equivalents are close enough for validation (they accept a superset).
    translated = _UNICODE_CLASS.sub(lambda m: r"\s" if m[1].startswith("Z") else r"\w", pattern)
    return re.compile(translated)


def member_path(parent: str, member_name: str) -> str:
    """AWS's path of a member: first letter lower-cased, dotted under its parent."""
    name = member_name[:1].lower() + member_name[1:]
    return f"{parent}.{name}" if parent else name


def render_value(value: Any) -> str:
    """Java ``toString`` of a deserialized value, as AWS prints it inside ``Value '...'``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (bytes, bytearray)):
        n = len(value)
        return f"java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}={render_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(render_value(v) for v in value) + "]"
    if value is None:
        return "null"
    return str(value)


def _error(shape: Shape, path: str, value: Any, constraint: str) -> str:
    if value is None:
        shown = "Value null"
    elif shape.metadata.get("sensitive"):
        shown = "Value"
    else:
        shown = f"Value '{render_value(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def _java_length(value: Any) -> int:
    # Java measures strings in UTF-16 code units.
    if isinstance(value, str) and not value.isascii():
        return len(value.encode("utf-16-le")) // 2
    return len(value)


def _scalar_violations(shape: Shape, value: Any, enums: bool) -> list[str]:
    """Violated constraints of one non-null value, in AWS's order (pattern, length, range)."""
    meta = shape.metadata
    out: list[str] = []
    kind = shape.type_name
    if kind == "string" and isinstance(value, str):
        if enums and shape.enum and value not in shape.enum:
            out.append("Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
        pattern = meta.get("pattern")
        if pattern is not None and _compiled(pattern).fullmatch(value) is None:
            out.append(f"Member must satisfy regular expression pattern: {pattern}")
    if kind in _SIZED and isinstance(value, (str, bytes, list, dict)):
        size = _java_length(value)
        if "max" in meta and size > meta["max"]:
            out.append(f"Member must have length less than or equal to {meta['max']}")
        if "min" in meta and size < meta["min"]:
            out.append(f"Member must have length greater than or equal to {meta['min']}")
    elif kind in _NUMERIC and isinstance(value, (int, float)):
        if "max" in meta and value > meta["max"]:
            out.append(f"Member must have value less than or equal to {meta['max']}")
        if "min" in meta and value < meta["min"]:
            out.append(f"Member must have value greater than or equal to {meta['min']}")
    return out


def _all_constraints(shape: Shape, enums: bool) -> str:
    """Every constraint of an element shape, the bracketed list AWS prints for collections."""
    meta = shape.metadata
    parts: list[str] = []
    word = "value" if shape.type_name in _NUMERIC else "length"
    if "max" in meta:
        parts.append(f"Member must have {word} less than or equal to {meta['max']}")
    if "min" in meta:
        parts.append(f"Member must have {word} greater than or equal to {meta['min']}")
    if "pattern" in meta:
        parts.append(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    if enums and shape.type_name == "string" and shape.enum:
        parts.append("Member must satisfy enum value set: [" + ", ".join(shape.enum) + "]")
    parts.append(_NOT_NULL)
    return "[" + ", ".join(parts) + "]"


def _element_fails(shape: Shape, value: Any, enums: bool) -> bool:
    return value is None or bool(_scalar_violations(shape, value, enums))


def _check_list(shape: Shape, value: list[Any], path: str, errors: list[str], enums: bool) -> None:
    member = shape.member
    if member.type_name in ("structure", "list", "map"):
        for i, item in enumerate(value, start=1):
            if item is not None:
                _check(member, item, f"{path}.{i}.member", errors, enums)
    elif any(_element_fails(member, item, enums) for item in value):
        constraint = "Member must satisfy constraint: " + _all_constraints(member, enums)
        errors.append(_error(shape, path, value, constraint))


def _check_map(
    shape: Shape, value: Mapping[str, Any], path: str, errors: list[str], enums: bool
) -> None:
    key_shape, value_shape = shape.key, shape.value
    if any(_element_fails(key_shape, k, enums) for k in value):
        constraint = "Map keys must satisfy constraint: " + _all_constraints(key_shape, enums)
        errors.append(_error(shape, path, value, constraint))
    if value_shape.type_name in ("structure", "list", "map"):
        for k, item in value.items():
            if item is not None:
                _check(value_shape, item, f"{path}.{k}.member", errors, enums)
    elif any(_element_fails(value_shape, v, enums) for v in value.values()):
        constraint = "Map value must satisfy constraint: " + _all_constraints(value_shape, enums)
        errors.append(_error(shape, path, value, constraint))


def _check_structure(
    shape: Shape, value: Mapping[str, Any], path: str, errors: list[str], enums: bool
) -> None:
    required = shape.required_members
    for name, member in shape.members.items():
        child = member_path(path, name)
        item = value.get(name)
        if item is None:
            if name in required:
                errors.append(_error(member, child, None, _NOT_NULL))
            continue
        _check(member, item, child, errors, enums)


def _check(shape: Shape, value: Any, path: str, errors: list[str], enums: bool) -> None:
    errors.extend(_error(shape, path, value, c) for c in _scalar_violations(shape, value, enums))
    kind = shape.type_name
    if kind == "structure" and isinstance(value, Mapping):
        _check_structure(shape, value, path, errors, enums)
    elif kind == "list" and isinstance(value, list):
        _check_list(shape, value, path, errors, enums)
    elif kind == "map" and isinstance(value, Mapping):
        _check_map(shape, value, path, errors, enums)


def collect_errors(shape: Shape, params: Mapping[str, Any], *, enums: bool = True) -> list[str]:
    """Every constraint violation of ``params`` (an input structure), in model member order.

    ``enums=False`` skips the model's enum sets, for services that check names themselves.
    """
    errors: list[str] = []
    _check_structure(shape, params, "", errors, enums)
    return errors


def format_errors(errors: list[str]) -> str:
    """``1 validation error detected: e`` / ``N validation errors detected: e1; e2``."""
    n = len(errors)
    noun = "error" if n == 1 else "errors"
    return f"{n} validation {noun} detected: " + "; ".join(errors)


def validate(shape: Shape, params: Mapping[str, Any]) -> None:
    """Raise ``ValidationException`` listing every violated constraint, if any."""
    errors = collect_errors(shape, params)
    if errors:
        raise ValidationException(format_errors(errors))
