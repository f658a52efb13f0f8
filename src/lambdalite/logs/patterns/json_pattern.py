"""JSON filter patterns: `{ $.level = "ERROR" && $.latency > 100 }` over events that are
JSON objects (any other event never matches)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from lambdalite.logs.patterns.conditions import Comparison, Parser, Test
from lambdalite.logs.patterns.lexer import (
    FilterPatternError,
    Token,
    compare_numbers,
    compiled_regex,
    glob_match,
    number,
    tokenize,
)

_MISSING = object()
_STEP = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def compile_json(text: str) -> Callable[[str], bool]:
    body = text.strip()
    if not body.endswith("}"):
        raise FilterPatternError("If a filter pattern starts with '{' it must end with '}'")
    tokens = tokenize(body[1:-1])
    if not tokens:
        raise FilterPatternError("Invalid filter pattern: empty JSON pattern")
    parser = Parser(tokens, _leaf)
    test = parser.expression()
    if parser.peek() is not None:
        raise FilterPatternError(f"Invalid filter pattern: unexpected '{parser.take().text}'")

    def match(message: str) -> bool:
        if not message.lstrip().startswith("{"):
            return False
        try:
            doc = json.loads(message)
        except ValueError:
            return False
        if not isinstance(doc, dict):
            return False
        cache: dict[str, object] = {}

        def resolve(selector: str) -> object:
            if selector not in cache:
                cache[selector] = _select(doc, selector)
            return cache[selector]

        return test(resolve)

    return match


def _steps(selector: str) -> list[str | int | None]:
    """`$.a.b[0][*]` -> ["a", "b", 0, None] (None: every element)."""
    if not selector.startswith("$"):
        raise FilterPatternError(f"Invalid filter pattern: selector '{selector}' must start with $")
    steps: list[str | int | None] = []
    pos = 1
    while pos < len(selector):
        m = _STEP.match(selector, pos)
        if m is None:
            raise FilterPatternError(f"Invalid filter pattern: bad selector '{selector}'")
        if m.group(1) is not None:
            steps.append(None if m.group(1) == "*" else m.group(1))
        else:
            steps.append(None if m.group(2) == "*" else int(m.group(2)))
        pos = m.end()
    return steps


def _select(doc: object, selector: str) -> object:
    """The values a selector names: a list of candidates ([] when none exists)."""
    current: list[object] = [doc]
    for step in _steps(selector):
        found: list[object] = []
        for value in current:
            if step is None:
                if isinstance(value, list):
                    found += value
                elif isinstance(value, dict):
                    found += list(value.values())
            elif isinstance(step, int):
                if isinstance(value, list) and step < len(value):
                    found.append(value[step])
            elif isinstance(value, dict) and step in value:
                found.append(value[step])
        current = found
    return current


def _leaf(comparison: Comparison) -> Test:
    _steps(comparison.name)  # validate the selector once, when compiling
    name, op, value = comparison.name, comparison.op, comparison.value
    if op in ("EXISTS", "NOT EXISTS"):
        want = op == "EXISTS"
        return lambda resolve: bool(resolve(name)) is want
    if op.startswith("IS "):
        expected = {"IS NULL": None, "IS TRUE": True, "IS FALSE": False}[op]
        return lambda resolve: any(v is expected for v in _candidates(resolve(name)))
    assert value is not None
    check = _value_test(op, value)
    if op == "!=":
        return lambda resolve: (
            bool(_candidates(resolve(name))) and all(check(v) for v in _candidates(resolve(name)))
        )
    return lambda resolve: any(check(v) for v in _candidates(resolve(name)))


def _candidates(found: object) -> list[object]:
    return found if isinstance(found, list) else []


def _value_test(op: str, value: Token) -> Callable[[object], bool]:
    if value.kind == "regex":
        if op not in ("=", "!="):
            raise FilterPatternError("Invalid filter pattern: a regular expression needs = or !=")
        rx = compiled_regex(value.text)
        hit = op == "="
        return lambda v: isinstance(v, str) and (rx.search(v) is not None) is hit
    num = number(value.text) if value.kind == "word" else None
    if num is not None:
        return lambda v: (
            isinstance(v, int | float)
            and not isinstance(v, bool)
            and compare_numbers(float(v), op, num)
        )
    if op not in ("=", "!="):
        raise FilterPatternError(f"Invalid filter pattern: '{op}' needs a number")
    pattern, hit = value.text, op == "="
    if value.kind == "string":  # a quoted value compares with strings only
        return lambda v: isinstance(v, str) and glob_match(pattern, v) is hit
    # A bare value (`12*`) compares with the text of strings and numbers alike.
    return lambda v: (text := _text(v)) is not None and glob_match(pattern, text) is hit


def _text(v: object) -> str | None:
    if isinstance(v, str):
        return v
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int | float):
        return json.dumps(v)
    return None
