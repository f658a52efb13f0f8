"""A mergeable log-scale histogram for percentiles (the brief's section 1.7).

A positive value v goes to bucket i = ceil(log(v) / log(GAMMA)), so bucket i holds
(GAMMA^(i-1), GAMMA^i]; it is read back as 2·GAMMA^i / (GAMMA + 1), which is within
(GAMMA - 1) / (GAMMA + 1) ≈ 2.4 % of any value in it. Zero has a bucket of its own.
Negative values are not kept: CloudWatch answers no percentile for a series that has one.
Quantiles are clamped to the exact minimum and maximum, so p0/p100 and a series of equal
values are exact. Merging adds counts, so rollups over periods are exact too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

GAMMA = 1.05
_INV_LOG_GAMMA = 1.0 / math.log(GAMMA)
ZERO = -(10**6)  # the bucket of 0.0, below every real index (1e-300 is index -14 157)
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)

Histogram = dict[int, int]


def index_of(value: float) -> int:
    if value <= 0.0:
        return ZERO
    return math.ceil(math.log(value) * _INV_LOG_GAMMA)


def value_of(index: int) -> float:
    if index == ZERO:
        return 0.0
    return 2.0 * GAMMA**index / (GAMMA + 1.0)


def add(hist: Histogram, value: float, count: int = 1) -> None:
    i = index_of(value)
    hist[i] = hist.get(i, 0) + count


def merge(into: Histogram, other: Mapping[int, int]) -> None:
    for i, n in other.items():
        into[i] = into.get(i, 0) + n


def quantile(hist: Mapping[int, int], q: float, low: float, high: float) -> float | None:
    """The nearest-rank `q` quantile (0 <= q <= 1), clamped to [low, high]; None if empty."""
    total = sum(hist.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(q * total))
    seen = 0
    for i in sorted(hist):
        seen += hist[i]
        if seen >= rank:
            return min(max(value_of(i), low), high)
    return high


def trimmed_mean(
    hist: Mapping[int, int], lo_q: float, hi_q: float, low: float, high: float
) -> float | None:
    """Mean of the values between the `lo_q` and `hi_q` quantiles (CloudWatch's TM)."""
    total = sum(hist.values())
    if total == 0:
        return None
    first, last = lo_q * total, hi_q * total  # rank range kept, as fractions of samples
    seen = 0.0
    kept = 0.0
    weighted = 0.0
    for i in sorted(hist):
        n = hist[i]
        overlap = min(seen + n, last) - max(seen, first)
        if overlap > 0:
            v = min(max(value_of(i), low), high)
            kept += overlap
            weighted += overlap * v
        seen += n
    return weighted / kept if kept > 0 else None
