"""Metric alarm evaluation as a pure decision: the last EvaluationPeriods periods of the
alarm's metric, DatapointsToAlarm of them breaching -> ALARM, and TreatMissingData for
periods without a value (missing: ignored unless every period is, then
INSUFFICIENT_DATA; breaching / notBreaching: counted as such; ignore: the state stays).

The periods end with the one under way, so an alarm reacts within the minute its data
arrives (CloudWatch waits for a period to close; locally, promptness is worth more)."""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from lambdalite.observe.metrics.registry import MetricRegistry, SeriesKey

ALARM, OK, INSUFFICIENT = "ALARM", "OK", "INSUFFICIENT_DATA"
COMPARE: dict[str, Callable[[float, float], bool]] = {
    "GreaterThanOrEqualToThreshold": operator.ge,
    "GreaterThanThreshold": operator.gt,
    "LessThanThreshold": operator.lt,
    "LessThanOrEqualToThreshold": operator.le,
}


class Verdict(NamedTuple):
    state: str
    reason: str
    values: list[float | None]  # newest first


def period_values(
    registry: MetricRegistry, alarm: Mapping[str, Any], now: float
) -> list[float | None]:
    period, count = int(alarm["Period"]), int(alarm["EvaluationPeriods"])
    last = int(now // period) * period
    first = last - (count - 1) * period
    dims = [(d["Name"], d["Value"]) for d in alarm.get("Dimensions") or ()]
    key = SeriesKey.of(alarm["Namespace"], alarm["MetricName"], dims)
    stat = alarm.get("Statistic") or alarm["ExtendedStatistic"]
    found = {
        at: bucket.statistic(stat)
        for at, bucket in registry.points(key, first, last + period, period, alarm.get("Unit"))
    }
    return [found.get(float(last - i * period)) for i in range(count)]


def decide(alarm: Mapping[str, Any], values: list[float | None]) -> Verdict | None:
    """The state `values` (newest first) call for, or None to keep the current one."""
    compare = COMPARE[alarm["ComparisonOperator"]]
    threshold = float(alarm["Threshold"])
    needed = int(alarm.get("DatapointsToAlarm") or alarm["EvaluationPeriods"])
    treat = alarm.get("TreatMissingData") or "missing"
    present = [v for v in values if v is not None]
    if not present and treat in ("missing", "ignore"):
        if treat == "ignore":
            return None
        return Verdict(INSUFFICIENT, "Insufficient Data: no datapoints were received.", values)
    breaching = sum(1 for v in present if compare(v, threshold))
    if treat == "breaching":
        breaching += len(values) - len(present)
    shown = ", ".join(f"{v:g}" for v in present) or "no datapoints"
    if breaching >= needed:
        word = "were" if breaching > 1 else "was"
        reason = (
            f"Threshold Crossed: {breaching} out of the last {len(values)} datapoints "
            f"[{shown}] {word} {_words(alarm['ComparisonOperator'])} the threshold ({threshold:g})."
        )
        return Verdict(ALARM, reason, values)
    reason = (
        f"Threshold Crossed: {len(values) - breaching} out of the last {len(values)} datapoints "
        f"[{shown}] were not {_words(alarm['ComparisonOperator'])} the threshold ({threshold:g})."
    )
    return Verdict(OK, reason, values)


def _words(comparison: str) -> str:
    return {
        "GreaterThanOrEqualToThreshold": "greater than or equal to",
        "GreaterThanThreshold": "greater than",
        "LessThanThreshold": "less than",
        "LessThanOrEqualToThreshold": "less than or equal to",
    }[comparison]
