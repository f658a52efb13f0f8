"""Builders for single-value tests (string, anything-but, numeric, cidr, wildcard).

Every builder validates its operand and returns a predicate over one scalar event value.
Validation raises `Rejected(reason)`; the compiler attaches the dialect.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

Test = Callable[[Any], bool]


class Rejected(Exception):
    """Internal: a validation reason without dialect framing."""


def is_number(v: object) -> bool:
    # bool is an int subclass but a distinct JSON type.
    return type(v) is int or type(v) is float


def _need_str(op: str, operand: object) -> str:
    if not isinstance(operand, str):
        raise Rejected(f"{op} match pattern must be a string")
    return operand


def prefix_test(operand: object) -> Test:
    if isinstance(operand, dict):
        low = _ignore_case_operand("prefix", operand).lower()
        return lambda v: isinstance(v, str) and v.lower().startswith(low)
    p = _need_str("prefix", operand)
    return lambda v: isinstance(v, str) and v.startswith(p)


def suffix_test(operand: object) -> Test:
    if isinstance(operand, dict):
        low = _ignore_case_operand("suffix", operand).lower()
        return lambda v: isinstance(v, str) and v.lower().endswith(low)
    s = _need_str("suffix", operand)
    return lambda v: isinstance(v, str) and v.endswith(s)


def _ignore_case_operand(op: str, operand: dict[str, Any]) -> str:
    if len(operand) != 1 or "equals-ignore-case" not in operand:
        key = next(iter(operand), "")
        raise Rejected(f"Unsupported {op} pattern: {key}")
    return _need_str("equals-ignore-case", operand["equals-ignore-case"])


def equals_ignore_case_test(operand: object) -> Test:
    low = _need_str("equals-ignore-case", operand).lower()
    return lambda v: isinstance(v, str) and v.lower() == low


# --- wildcard -------------------------------------------------------------------------


def compile_wildcard(operand: object) -> re.Pattern[str]:
    """`*` is any run (incl. empty); `\\*` and `\\\\` are the literal characters."""
    text = _need_str("wildcard", operand)
    parts: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            nxt = text[i + 1] if i + 1 < len(text) else ""
            if nxt not in ("*", "\\"):
                raise Rejected(f"Invalid escape character at pos {i + 1}")
            parts.append(re.escape(nxt))
            i += 2
            continue
        if ch == "*":
            if i + 1 < len(text) and text[i + 1] == "*":
                raise Rejected(f"Consecutive wildcard characters at pos {i + 1}")
            parts.append(".*")
        else:
            parts.append(re.escape(ch))
        i += 1
    return re.compile("".join(parts), re.DOTALL)


def wildcard_test(operand: object) -> Test:
    rx = compile_wildcard(operand)
    full = rx.fullmatch
    return lambda v: isinstance(v, str) and full(v) is not None


# --- anything-but ---------------------------------------------------------------------


def anything_but_test(operand: object, *, allow_nested: bool) -> Test:
    if isinstance(operand, dict):
        if not allow_nested:
            key = next(iter(operand), "")
            raise Rejected(f"Unsupported anything-but pattern: {key}")
        return _anything_but_nested(operand)
    values = operand if isinstance(operand, list) else [operand]
    if not values:
        raise Rejected("Empty arrays are not allowed")
    kinds = set()
    for v in values:
        if isinstance(v, str):
            kinds.add("s")
        elif is_number(v):
            kinds.add("n")
        else:
            raise Rejected("Inside anything but list, start|null|boolean is not supported.")
    if len(kinds) > 1:
        raise Rejected("Inside anything but list, all values must be strings or all numbers.")
    excluded = frozenset(value_key(v) for v in values)
    # Any value of another type (null, bool, other kind) is "anything but" the list.
    return lambda v: value_key(v) not in excluded


def _anything_but_nested(operand: dict[str, Any]) -> Test:
    if len(operand) != 1:
        raise Rejected("Only one key allowed in match expression")
    op, arg = next(iter(operand.items()))
    inner: list[Test]
    if op in ("prefix", "suffix"):
        if isinstance(arg, dict):
            raise Rejected("Value of anything-but must be an array or single string/number value.")
        s = _need_str(op, arg)
        if not s:
            raise Rejected("Null prefix/suffix not allowed")
        inner = [prefix_test(s) if op == "prefix" else suffix_test(s)]
    elif op in ("equals-ignore-case", "wildcard"):
        args = arg if isinstance(arg, list) else [arg]
        if not args or not all(isinstance(a, str) for a in args):
            raise Rejected(
                f"Inside anything-but/{op} list, number|start|null|boolean is not supported."
            )
        build = equals_ignore_case_test if op == "equals-ignore-case" else wildcard_test
        inner = [build(a) for a in args]
    else:
        raise Rejected(f"Unsupported anything-but pattern: {op}")
    # Non-strings never satisfy a string operator, so they count as "anything but".
    return lambda v: not any(t(v) for t in inner)


def value_key(v: object) -> tuple[type, object]:
    """Typed identity for exact matching: 1, 1.0, True and "1" are all distinct."""
    return (type(v), v)


# --- numeric --------------------------------------------------------------------------

_LOWER = {">": float.__gt__, ">=": float.__ge__}
_UPPER = {"<": float.__lt__, "<=": float.__le__}
_ALL_OPS = ("<", "<=", "=", ">", ">=")


def numeric_test(operand: object) -> Test:
    if not isinstance(operand, list):
        raise Rejected("Value of numeric must be an array.")
    if not operand:
        raise Rejected("Invalid member in numeric match: ]")
    op = operand[0]
    if not isinstance(op, str):
        raise Rejected(f"Invalid member in numeric match: {op}")
    if op not in _ALL_OPS:
        raise Rejected(f"Unrecognized numeric range operator: {op}")
    bound = _numeric_operand(op, operand[1] if len(operand) > 1 else None)
    if len(operand) <= 2:
        return _single_comparison(op, bound)
    if op not in _LOWER:
        raise Rejected("Too many elements in numeric expression")
    op2 = operand[2]
    if not isinstance(op2, str):
        raise Rejected(f"Bad value in numeric range: {op2}")
    if op2 not in _UPPER:
        raise Rejected(f"Bad numeric range operator: {op2}")
    top = _numeric_operand(op2, operand[3] if len(operand) > 3 else None)
    if top <= bound:
        raise Rejected("Bottom must be less than top")
    if len(operand) > 4:
        raise Rejected("Too many terms in numeric range expression")
    lo, hi = _LOWER[op], _UPPER[op2]
    return lambda v: is_number(v) and lo(float(v), bound) and hi(float(v), top)


def _numeric_operand(op: str, value: object) -> float:
    if not is_number(value):
        raise Rejected(f"Value of {'equals' if op == '=' else op} must be numeric")
    return float(value)  # type: ignore[arg-type]


def _single_comparison(op: str, bound: float) -> Test:
    if op == "=":
        return lambda v: is_number(v) and float(v) == bound
    cmp = {**_LOWER, **_UPPER}[op]
    return lambda v: is_number(v) and cmp(float(v), bound)


# --- cidr -----------------------------------------------------------------------------


def cidr_test(operand: object) -> Test:
    if not isinstance(operand, str):
        raise Rejected("prefix match pattern must be a string")  # AWS reuses the prefix wording
    ip_text, sep, mask = operand.partition("/")
    if not sep or "/" in mask:
        raise Rejected("Malformed CIDR, one '/' required")
    if not mask.isdigit():
        raise Rejected("Malformed CIDR, mask bits must be an integer")
    try:
        net = ipaddress.ip_network(operand, strict=False)
    except ValueError:
        raise Rejected(f"Nonstandard IP address: {ip_text}") from None

    def test(v: Any) -> bool:
        if not isinstance(v, str):
            return False
        try:
            return ipaddress.ip_address(v) in net
        except ValueError:
            return False

    return test
