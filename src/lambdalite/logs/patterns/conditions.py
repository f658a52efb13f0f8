"""Boolean expressions over named values (`a = 1 && (b != "x" || c > 2)`), parsed from
tokens; JSON patterns name values with `$.` selectors, space-delimited ones with field
names. Each family says how a name resolves and how a value compares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from lambdalite.logs.patterns.lexer import FilterPatternError, Token

Test = Callable[[Callable[[str], object]], bool]
"""A compiled condition: given a resolver of names, does it hold?"""


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    op: str  # "=", "!=", "<", ... or "IS NULL", "IS TRUE", "IS FALSE", "NOT EXISTS", "EXISTS"
    value: Token | None


class Parser:
    """Recursive descent over `or := and ('||' and)*`, `and := unary ('&&' unary)*`,
    `unary := '(' or ')' | comparison`; `leaf` turns a Comparison into a Test."""

    def __init__(self, tokens: list[Token], leaf: Callable[[Comparison], Test]) -> None:
        self.tokens = tokens
        self.i = 0
        self.leaf = leaf

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise FilterPatternError("Invalid filter pattern: unexpected end")
        self.i += 1
        return token

    def at(self, text: str) -> bool:
        token = self.peek()
        return token is not None and token.kind in ("punct", "op") and token.text == text

    def expect(self, text: str) -> None:
        if not self.at(text):
            found = self.peek()
            got = found.text if found else "end of pattern"
            raise FilterPatternError(f"Invalid filter pattern: expected '{text}', got '{got}'")
        self.i += 1

    def expression(self) -> Test:
        tests = [self.conjunction()]
        while self.at("||"):
            self.i += 1
            tests.append(self.conjunction())
        if len(tests) == 1:
            return tests[0]
        return lambda resolve: any(t(resolve) for t in tests)

    def conjunction(self) -> Test:
        tests = [self.unary()]
        while self.at("&&"):
            self.i += 1
            tests.append(self.unary())
        if len(tests) == 1:
            return tests[0]
        return lambda resolve: all(t(resolve) for t in tests)

    def unary(self) -> Test:
        if self.at("("):
            self.i += 1
            test = self.expression()
            self.expect(")")
            return test
        return self.leaf(self.comparison())

    def comparison(self) -> Comparison:
        name = self.take()
        if name.kind != "word":
            raise FilterPatternError(f"Invalid filter pattern: unexpected '{name.text}'")
        token = self.peek()
        if token is not None and token.kind == "op":
            self.i += 1
            value = self.take()
            if value.kind not in ("string", "word", "regex"):
                raise FilterPatternError(f"Invalid filter pattern: unexpected '{value.text}'")
            return Comparison(name.text, token.text, value)
        if token is not None and token.kind == "word" and token.text.upper() in ("IS", "NOT"):
            return Comparison(name.text, self._keyword_test(), None)
        return Comparison(name.text, "EXISTS", None)

    def _keyword_test(self) -> str:
        first = self.take().text.upper()
        second = self.take().text.upper()
        if first == "IS" and second in ("NULL", "TRUE", "FALSE"):
            return f"IS {second}"
        if first == "NOT" and second == "EXISTS":
            return "NOT EXISTS"
        raise FilterPatternError(f"Invalid filter pattern: unknown test '{first} {second}'")
