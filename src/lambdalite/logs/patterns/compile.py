"""Which family a pattern belongs to, and the term patterns (`ERROR -retry ?WARN "a b"`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from lambdalite.logs.patterns.fields import compile_fields
from lambdalite.logs.patterns.json_pattern import compile_json
from lambdalite.logs.patterns.lexer import FilterPatternError, compiled_regex, regex

Matcher = Callable[[str], bool]
MAX_PATTERN = 1024
# Unquoted terms are words; anything else must be quoted (CloudWatch refuses `a@b`).
_BARE = re.compile(r"[A-Za-z0-9_.:\-]+")


def _all(message: str) -> bool:
    return True


@lru_cache(maxsize=128)
def compile_pattern(text: str) -> Matcher:
    if len(text) > MAX_PATTERN:
        raise FilterPatternError("Invalid filter pattern: longer than 1024 characters")
    stripped = text.strip()
    if not stripped:
        return _all
    if stripped.startswith("{"):
        return compile_json(stripped)
    if stripped.startswith("["):
        return compile_fields(stripped)
    return _terms(stripped)


def _terms(text: str) -> Matcher:
    required: list[Matcher] = []
    optional: list[Matcher] = []
    excluded: list[Matcher] = []
    for sign, term in _split_terms(text):
        {"": required, "?": optional, "-": excluded}[sign].append(term)

    def match(message: str) -> bool:
        if not all(t(message) for t in required):
            return False
        if optional and not any(t(message) for t in optional):
            return False
        return not any(t(message) for t in excluded)

    return match


def _split_terms(text: str) -> list[tuple[str, Matcher]]:
    terms: list[tuple[str, Matcher]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        sign = text[i] if text[i] in "?-" and i + 1 < n and not text[i + 1].isspace() else ""
        i += len(sign)
        if text[i] == '"':
            end = text.find('"', i + 1)
            if end < 0 or end == i + 1:
                raise FilterPatternError(f"Invalid character(s) in term '{text[i:]}'")
            phrase = text[i + 1 : end]
            terms.append((sign, _contains(phrase)))
            i = end + 1
        elif text[i] == "%":
            end = text.find("%", i + 1)
            if end < 0:
                raise FilterPatternError("Invalid filter pattern: unterminated regular expression")
            rx = compiled_regex(regex(text[i + 1 : end]))
            terms.append((sign, _searches(rx)))
            i = end + 1
        else:
            end = i
            while end < n and not text[end].isspace():
                end += 1
            word = text[i:end]
            if not _BARE.fullmatch(word):
                raise FilterPatternError(f"Invalid character(s) in term '{word}'")
            terms.append((sign, _contains(word)))
            i = end
    return terms


def _searches(rx: re.Pattern[str]) -> Matcher:
    return lambda message: rx.search(message) is not None


def _contains(term: str) -> Matcher:
    return lambda message: term in message
