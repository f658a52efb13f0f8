"""Why a pattern's text is not a JSON object, worded as EventBridge's parser words it.

EventBridge parses patterns with Jackson and returns its message plus the location, for
example ``Unexpected character (''' (code 39)): was expecting double-quote to start field
name\\n at [Source: (String)"{'bad': 1}"; line: 1, column: 2]`` (AWS-recorded). This module
re-creates those texts for the common mistakes by scanning the text once; Jackson reads only
the first value, so text after a complete value is ignored, as on AWS.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["PatternText", "read_object"]

_EXPECTED_VALUE = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_SNIPPET = 500  # Jackson shows at most this much of the source
_WS = " \t\r\n"


class PatternText(ValueError):
    """The text is not a JSON object; `str()` is the AWS reason with its location."""


class _Bad(Exception):
    def __init__(self, reason: str, pos: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.pos = pos


def _char(c: str) -> str:
    return f"Unexpected character ('{c}' (code {ord(c)}))"


def location(text: str, pos: int) -> str:
    """Jackson's ``[Source: ...; line: L, column: C]`` for a 0-based position."""
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    source = text
    if len(text) > _SNIPPET:
        source = f'{text[:_SNIPPET]}"[truncated {len(text) - _SNIPPET} chars]'
        return f'[Source: (String)"{source}; line: {line}, column: {column}]'
    return f'[Source: (String)"{source}"; line: {line}, column: {column}]'


class _Scanner:
    """Just enough of a JSON reader to find and name the first syntax error."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0

    def peek(self) -> str:
        while self.i < len(self.text) and self.text[self.i] in _WS:
            self.i += 1
        return self.text[self.i] if self.i < len(self.text) else ""

    def eof(self, container: str, start: int) -> _Bad:
        return _Bad(
            f"Unexpected end-of-input: expected close marker for {container} "
            f"(start marker at {location(self.text, start)})",
            len(self.text),
        )

    def value(self, container: tuple[str, int] | None) -> None:
        c = self.peek()
        if not c:
            if container is None:
                raise _Bad("No content to map due to end-of-input", self.i)
            raise self.eof(*container)
        if c == "{":
            self.obj()
        elif c == "[":
            self.array()
        elif c == '"':
            self.string()
        elif c == "-" or c.isdigit():
            self.number()
        elif c.isalpha() or c in "_$":
            self.token()
        else:
            raise _Bad(f"{_char(c)}: expected a valid value {_EXPECTED_VALUE}", self.i)

    def obj(self) -> None:
        start, self.i = self.i, self.i + 1
        if self.peek() == "}":
            self.i += 1
            return
        while True:
            c = self.peek()
            if not c:
                raise self.eof("Object", start)
            if c != '"':
                raise _Bad(f"{_char(c)}: was expecting double-quote to start field name", self.i)
            self.string()
            c = self.peek()
            if not c:
                raise self.eof("Object", start)
            if c != ":":
                raise _Bad(
                    f"{_char(c)}: was expecting a colon to separate field name and value", self.i
                )
            self.i += 1
            self.value(("Object", start))
            c = self.peek()
            self.i += 1
            if c == "}":
                return
            if not c:
                raise self.eof("Object", start)
            if c != ",":
                raise _Bad(
                    f"{_char(c)}: was expecting comma to separate Object entries", self.i - 1
                )

    def array(self) -> None:
        start, self.i = self.i, self.i + 1
        if self.peek() == "]":
            self.i += 1
            return
        while True:
            self.value(("Array", start))
            c = self.peek()
            self.i += 1
            if c == "]":
                return
            if not c:
                raise self.eof("Array", start)
            if c != ",":
                raise _Bad(f"{_char(c)}: was expecting comma to separate Array entries", self.i - 1)

    def string(self) -> None:
        text, i = self.text, self.i + 1
        while i < len(text):
            c = text[i]
            if c == '"':
                self.i = i + 1
                return
            if c == "\\":
                nxt = text[i + 1] if i + 1 < len(text) else ""
                if nxt and nxt not in '"\\/bfnrtu':
                    raise _Bad(f"Unrecognized character escape '{nxt}' (code {ord(nxt)})", i + 1)
                i += 2
                continue
            if ord(c) < 0x20:
                raise _Bad(
                    f"Illegal unquoted character ((CTRL-CHAR, code {ord(c)})): has to be escaped "
                    "using backslash to be included in string value",
                    i,
                )
            i += 1
        raise _Bad("Unexpected end-of-input: was expecting closing quote for a string value", i)

    def number(self) -> None:
        text, i = self.text, self.i
        if text[i] == "-":
            i += 1
            if i >= len(text) or not text[i].isdigit():
                found = (
                    f"character ('{text[i]}' (code {ord(text[i])}))"
                    if i < len(text)
                    else "end-of-input"
                )
                raise _Bad(
                    f"Unexpected {found} in numeric value: expected digit (0-9) to follow minus "
                    "sign, for valid numeric value",
                    i,
                )
        while i < len(text) and (text[i].isdigit() or text[i] in ".eE+-"):
            i += 1
        self.i = i

    def token(self) -> None:
        text, start = self.text, self.i
        i = start
        while i < len(text) and (text[i].isalnum() or text[i] in "_$"):
            i += 1
        word = text[start:i]
        self.i = i
        if word in ("true", "false", "null"):
            return
        if word in ("NaN", "Infinity"):
            raise _Bad(
                f"Non-standard token '{word}': enable JsonParser.Feature.ALLOW_NON_NUMERIC_NUMBERS "
                "to allow",
                i,
            )
        raise _Bad(f"Unrecognized token '{word}': was expecting {_EXPECTED_VALUE}", i)


def _first_token_end(text: str) -> int:
    """Where Jackson stands after reading the first token (inside a string, after its quote)."""
    scanner = _Scanner(text)
    c = scanner.peek()
    if c in '{["':
        return scanner.i + 1
    try:
        scanner.value(None)
    except _Bad as bad:
        return bad.pos
    return scanner.i


def read_object(text: str) -> dict[str, Any]:
    """The JSON object `text` starts with; raises `PatternText` with the AWS reason."""
    scanner = _Scanner(text)
    try:
        scanner.value(None)
    except _Bad as bad:
        raise PatternText(f"{bad.reason}\n at {location(text, bad.pos)}") from None
    try:
        value = json.loads(text[: scanner.i])
    except ValueError:  # a number Jackson reads and Python does not (e.g. "01")
        raise PatternText(f"Invalid numeric value\n at {location(text, scanner.i)}") from None
    if not isinstance(value, dict):
        at = location(text, _first_token_end(text))
        raise PatternText(f"Filter is not an object\n at {at}")
    return value
