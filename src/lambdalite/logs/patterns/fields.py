"""Space-delimited filter patterns: `[ip, user, ..., status = 4*, size > 1000]`.

An event splits on spaces into fields; a run in double quotes or square brackets is one
field (without them). Each pattern field names one event field, `...` stands for any number
of them, and a field may carry a condition (`status = 404`, `a = 1 || a = 2`), which may
name the fields of the pattern."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import lru_cache

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

ELLIPSIS = "..."


def compile_fields(text: str) -> Callable[[str], bool]:
    body = text.strip()
    if not body.endswith("]"):
        raise FilterPatternError("If a filter pattern starts with '[' it must end with ']'")
    specs = _split_specs(tokenize(body[1:-1]))
    names: list[str] = []
    tests: list[Test] = []
    for spec in specs:
        if not spec:
            raise FilterPatternError("Invalid filter pattern: empty field")
        first = spec[0]
        if first.kind != "word":
            raise FilterPatternError(f"Invalid filter pattern: unexpected '{first.text}'")
        names.append(first.text)
        if len(spec) > 1:
            parser = Parser(spec, _leaf)
            tests.append(parser.expression())
            if parser.peek() is not None:
                extra = parser.take().text
                raise FilterPatternError(f"Invalid filter pattern: unexpected '{extra}'")
    if not names:
        raise FilterPatternError("Invalid filter pattern: no fields")

    def match(message: str) -> bool:
        values = split_fields(message)
        bound = _bind(names, values)
        if bound is None:
            return False
        return all(test(lambda name: bound.get(name)) for test in tests)

    return match


def _split_specs(tokens: list[Token]) -> list[list[Token]]:
    specs: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text == "(":
            depth += 1
        elif token.kind == "punct" and token.text == ")":
            depth -= 1
        if token.kind == "punct" and token.text == "," and depth == 0:
            specs.append([])
        else:
            specs[-1].append(token)
    return specs


def split_fields(message: str) -> list[str]:
    return list(_split(message.rstrip("\r\n")))


@lru_cache(maxsize=1024)
def _split(line: str) -> tuple[str, ...]:
    fields: list[str] = []
    i, n = 0, len(line)
    while i < n:
        if line[i] == " ":
            i += 1
            continue
        close = {'"': '"', "[": "]"}.get(line[i])
        if close is not None:
            end = line.find(close, i + 1)
            if end >= 0:
                fields.append(line[i + 1 : end])
                i = end + 1
                continue
        end = line.find(" ", i)
        end = n if end < 0 else end
        fields.append(line[i:end])
        i = end
    return tuple(fields)


def _bind(names: Sequence[str], values: Sequence[str]) -> dict[str, str] | None:
    """Match the pattern's fields to the event's; `...` takes any number (fewest first)."""
    if not names:
        return {} if not values else None
    head = names[0]
    if head == ELLIPSIS:
        for skip in range(len(values) + 1):
            rest = _bind(names[1:], values[skip:])
            if rest is not None:
                return rest
        return None
    if not values:
        return None
    rest = _bind(names[1:], values[1:])
    if rest is None:
        return None
    rest[head] = values[0]
    return rest


def _leaf(comparison: Comparison) -> Test:
    name, op, value = comparison.name, comparison.op, comparison.value
    if value is None:
        if op == "EXISTS":
            return lambda resolve: resolve(name) is not None
        raise FilterPatternError(f"Invalid filter pattern: '{op}' is for JSON patterns")
    check = _value_test(op, value)
    return lambda resolve: isinstance(field := resolve(name), str) and check(field)


def _value_test(op: str, value: Token) -> Callable[[str], bool]:
    if value.kind == "regex":
        rx, hit = compiled_regex(value.text), op == "="
        return lambda field: (rx.search(field) is not None) is hit
    num = number(value.text) if value.kind == "word" else None
    if num is not None:

        def numeric(field: str) -> bool:
            got = number(field)
            if got is None:
                return op == "!=" and field != value.text
            return compare_numbers(got, op, num)

        return numeric
    if op not in ("=", "!="):
        raise FilterPatternError(f"Invalid filter pattern: '{op}' needs a number")
    hit = op == "="
    return lambda field: glob_match(value.text, field) is hit
