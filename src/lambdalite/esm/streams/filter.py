"""FilterCriteria over stream records (spec 5.2-5.5): a record passes when any pattern
matches its filter view. Private stand-in until esm/filtering.py's RecordFilter lands."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lambdalite.patterns import Pattern, compile_pattern


def _compile(patterns: Sequence[str] | None) -> list[Pattern]:
    return [compile_pattern(p, dialect="esm") for p in patterns or ()]


class _RecordFilter:
    def __init__(self, patterns: Sequence[str] | None) -> None:
        self._patterns = _compile(patterns)

    @property
    def active(self) -> bool:
        return bool(self._patterns)

    def passes(self, view: dict[str, Any]) -> bool:
        return any(p.matches(view) for p in self._patterns)
