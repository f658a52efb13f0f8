"""One aggregate: count, sum, min, max and a histogram of the values of one series over
one period (a minute, or a second for high-resolution data)."""

from __future__ import annotations

from typing import Any

from lambdalite.observe.metrics import sketch


class Bucket:
    __slots__ = ("count", "hist", "maximum", "minimum", "negative", "total")

    def __init__(self) -> None:
        self.count = 0.0
        self.total = 0.0
        self.minimum = float("inf")
        self.maximum = float("-inf")
        self.hist: sketch.Histogram = {}
        # A negative value or a StatisticSet was added: no percentiles (as CloudWatch).
        self.negative = False

    def add(self, value: float, count: float = 1.0) -> None:
        self.count += count
        self.total += value * count
        if value < self.minimum:
            self.minimum = value
        if value > self.maximum:
            self.maximum = value
        if value < 0:
            self.negative = True
        else:
            sketch.add(self.hist, value, max(1, round(count)))

    def add_statistics(self, count: float, total: float, low: float, high: float) -> None:
        """A StatisticSet: counts without values."""
        self.count += count
        self.total += total
        self.minimum = min(self.minimum, low)
        self.maximum = max(self.maximum, high)
        self.negative = True  # no values behind it: percentiles would be wrong

    def merge(self, other: Bucket) -> None:
        self.count += other.count
        self.total += other.total
        self.minimum = min(self.minimum, other.minimum)
        self.maximum = max(self.maximum, other.maximum)
        self.negative = self.negative or other.negative
        sketch.merge(self.hist, other.hist)

    def statistic(self, stat: str) -> float | None:
        """The value of one CloudWatch statistic (Sum, pNN, tmNN...); None if unavailable."""
        if stat == "Sum":
            return self.total
        if stat == "SampleCount":
            return self.count
        if stat == "Average":
            return self.total / self.count if self.count else None
        if stat == "Minimum":
            return self.minimum
        if stat == "Maximum":
            return self.maximum
        return self._extended(stat)

    def _extended(self, stat: str) -> float | None:
        if self.negative:
            return None
        hist = self.hist
        kind, low, high = parse_extended(stat)
        if kind == "p":
            return sketch.quantile(hist, high, self.minimum, self.maximum)
        return sketch.trimmed_mean(hist, low, high, self.minimum, self.maximum)

    def to_json(self) -> dict[str, Any]:
        return {
            "n": self.count,
            "s": self.total,
            "lo": self.minimum,
            "hi": self.maximum,
            "neg": self.negative,
            "h": [[i, n] for i, n in self.hist.items()],
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Bucket:
        b = cls()
        b.count, b.total = float(doc["n"]), float(doc["s"])
        b.minimum, b.maximum = float(doc["lo"]), float(doc["hi"])
        b.negative = bool(doc["neg"])
        b.hist = {int(i): int(n) for i, n in doc["h"]}
        return b


def parse_extended(stat: str) -> tuple[str, float, float]:
    """("p", 0, q) for pNN, ("tm", lo, hi) for tmNN / TM(a%:b%); ValueError otherwise."""
    lowered = stat.lower()
    if lowered.startswith("p"):
        return "p", 0.0, _percent(lowered[1:])
    if lowered.startswith("tm(") and lowered.endswith(")"):
        lo, _, hi = lowered[3:-1].partition(":")
        return "tm", _percent(lo.rstrip("%") or "0"), _percent(hi.rstrip("%") or "100")
    if lowered.startswith("tm"):
        return "tm", 0.0, _percent(lowered[2:])
    raise ValueError(stat)


def _percent(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 100.0 or text.strip() != text or not text:
        raise ValueError(text)
    return value / 100.0
