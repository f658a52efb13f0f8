"""Tokens of JSON and space-delimited filter patterns, and the value comparisons both share."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

Kind = Literal["punct", "op", "string", "regex", "word"]
OPERATORS = ("!=", "<=", ">=", "=", "<", ">")
_PUNCT = ("&&", "||", "(", ")", "[", "]", ",", "{", "}")
_STOP = set(' \t\r\n()[]{},=!<>&|"%')
_SELECTOR_STOP = set(' \t\r\n(){},=!<>&|"%')


class FilterPatternError(ValueError):
    """A filter pattern CloudWatch Logs would refuse."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: Kind
    text: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
            continue
        two = text[i : i + 2]
        if two in ("&&", "||") or two in OPERATORS[:3]:
            tokens.append(Token("punct" if two in _PUNCT else "op", two))
            i += 2
        elif c in "=<>":
            tokens.append(Token("op", c))
            i += 1
        elif c in "()[],{}":
            tokens.append(Token("punct", c))
            i += 1
        elif c == '"':
            value, i = _quoted(text, i)
            tokens.append(Token("string", value))
        elif c == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise FilterPatternError("Invalid filter pattern: unterminated regular expression")
            tokens.append(Token("regex", regex(text[i + 1 : end])))
            i = end + 1
        else:
            stop = _SELECTOR_STOP if c == "$" else _STOP
            j = i
            while j < n and text[j] not in stop:
                j += 1
            if j == i:
                raise FilterPatternError(f"Invalid character(s) in term '{c}'")
            tokens.append(Token("word", text[i:j]))
            i = j
    return tokens


def _quoted(text: str, i: int) -> tuple[str, int]:
    """A double-quoted string from text[i]; backslash escapes the next character."""
    out: list[str] = []
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if c == '"':
            return "".join(out), j + 1
        out.append(c)
        j += 1
    raise FilterPatternError("Invalid filter pattern: unterminated quoted string")


def regex(source: str) -> str:
    if not source:
        raise FilterPatternError("Invalid filter pattern: empty regular expression")
    try:
        compiled_regex(source)
    except re.error as exc:
        raise FilterPatternError(f"Invalid regular expression '{source}': {exc}") from None
    return source


@lru_cache(maxsize=256)
def compiled_regex(source: str) -> re.Pattern[str]:
    return re.compile(source)


@lru_cache(maxsize=256)
def _glob(pattern: str) -> re.Pattern[str]:
    # Only '*' is a wildcard in CloudWatch patterns.
    parts = [re.escape(p) for p in pattern.split("*")]
    return re.compile(".*".join(parts) + r"\Z", re.DOTALL)


def glob_match(pattern: str, text: str) -> bool:
    if "*" not in pattern:
        return pattern == text
    return _glob(pattern).match(text) is not None


def number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value == value else None  # NaN is not a number to compare


def compare_numbers(left: float, op: str, right: float) -> bool:
    if op == "=":
        return left == right
    if op == "!=":
        return left != right
    if op == "<":
        return left < right
    if op == ">":
        return left > right
    if op == "<=":
        return left <= right
    return left >= right
