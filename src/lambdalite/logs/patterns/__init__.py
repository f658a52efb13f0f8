"""CloudWatch Logs filter patterns (brief 2.5): terms, JSON and space-delimited patterns.

`compile_pattern(text)` returns a predicate over an event's message, or raises
`FilterPatternError`, which the API turns into InvalidParameterException: a pattern we do
not understand is an error, never a pattern that silently matches nothing.
"""

from __future__ import annotations

from lambdalite.logs.patterns.compile import Matcher, compile_pattern
from lambdalite.logs.patterns.lexer import FilterPatternError

__all__ = ["FilterPatternError", "Matcher", "compile_pattern"]
