"""The live log tail's filter, applied on the server: space-separated terms, all of which
a line must contain; `?term`s of which it must contain one; `-term`s it must not contain.
A subset of CloudWatch's text filter patterns, enough for `?ERROR ?WARN`."""

from __future__ import annotations

import shlex
from collections.abc import Callable


def compile_filter(text: str) -> Callable[[str], bool]:
    try:
        terms = shlex.split(text)
    except ValueError:  # an unbalanced quote: take the words as they are
        terms = text.split()
    required = [t for t in terms if not t.startswith(("?", "-"))]
    any_of = [t[1:] for t in terms if t.startswith("?") and len(t) > 1]
    excluded = [t[1:] for t in terms if t.startswith("-") and len(t) > 1]

    def matches(line: str) -> bool:
        return (
            all(t in line for t in required)
            and (not any_of or any(t in line for t in any_of))
            and not any(t in line for t in excluded)
        )

    return matches
