"""GetMetricStatistics and the MetricStat half of GetMetricData over a MetricRegistry.

Semantics (brief 1.8.3): StartTime inclusive, EndTime exclusive; StartTime rounded down
to the minute (to the period for high-resolution periods); Period a multiple of 60, or 1,
5, 10, 20, 30; at most 1 440 datapoints per GetMetricStatistics; a period without values
has no datapoint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from lambdalite.observe.metrics.bucket import Bucket, parse_extended
from lambdalite.observe.metrics.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from lambdalite.observe.metrics.registry import MetricRegistry, SeriesKey

MAX_STATISTICS_POINTS = 1_440
HIGH_RES_PERIODS = (1, 5, 10, 20, 30)
Points = list[tuple[float, Bucket]]


def epoch(value: datetime) -> float:
    return value.timestamp()


def timestamp(at: float) -> datetime:
    return datetime.fromtimestamp(at, tz=UTC)


def check_period(period: int, name: str = "Period") -> None:
    if period <= 0 or (period % 60 and period not in HIGH_RES_PERIODS):
        raise InvalidParameterValue(
            f"The parameter {name} must be 1, 5, 10, 20, 30, or a multiple of 60."
        )


def window(start: datetime, end: datetime, period: int) -> tuple[float, float]:
    """[start, end) in epoch seconds, start rounded down to the minute or period."""
    lo, hi = epoch(start), epoch(end)
    if lo >= hi:
        raise InvalidParameterValue(
            "The parameter StartTime must be less than the parameter EndTime."
        )
    step = 60 if period % 60 == 0 else period
    return float(int(lo // step) * step), hi


def series_key(metric: Mapping[str, Any]) -> SeriesKey:
    for member in ("Namespace", "MetricName"):
        if not metric.get(member):
            raise MissingParameter(f"The parameter {member} is required.")
    dims = [(d["Name"], d.get("Value", "")) for d in metric.get("Dimensions") or ()]
    return SeriesKey.of(metric["Namespace"], metric["MetricName"], dims)


def check_stat(stat: str) -> None:
    if stat in ("SampleCount", "Average", "Sum", "Minimum", "Maximum"):
        return
    try:
        parse_extended(stat)
    except ValueError:
        raise InvalidParameterValue(
            f"The value {stat} for parameter Stat is not supported."
        ) from None


def metric_statistics(registry: MetricRegistry, p: Mapping[str, Any]) -> dict[str, Any]:
    statistics: Sequence[str] = p.get("Statistics") or ()
    extended: Sequence[str] = p.get("ExtendedStatistics") or ()
    if bool(statistics) == bool(extended):
        raise InvalidParameterCombination("Must specify either Statistics or ExtendedStatistics")
    for stat in extended:
        check_stat(stat)
    period = int(p["Period"])
    check_period(period)
    start, end = window(p["StartTime"], p["EndTime"], period)
    if (end - start) / period > MAX_STATISTICS_POINTS:
        raise InvalidParameterCombination(
            f"You have requested up to {int((end - start) // period)} datapoints, which "
            f"exceeds the limit of {MAX_STATISTICS_POINTS}. You may reduce the datapoints "
            "requested by increasing Period, or decreasing the time range."
        )
    key = series_key(p)
    unit = p.get("Unit")
    stored_unit = unit or registry.unit_of(key) or "None"
    datapoints = []
    for at, bucket in registry.points(key, start, end, period, unit):
        point: dict[str, Any] = {"Timestamp": timestamp(at), "Unit": stored_unit}
        for stat in statistics:
            point[stat] = bucket.statistic(stat)
        if extended:
            values = {s: bucket.statistic(s) for s in extended}
            point["ExtendedStatistics"] = {s: v for s, v in values.items() if v is not None}
        datapoints.append(point)
    return {"Label": key.name, "Datapoints": datapoints}


def stat_points(
    registry: MetricRegistry, stat: Mapping[str, Any], start: float, end: float
) -> dict[float, float]:
    """One MetricStat of GetMetricData: {period start: value}, only periods with values."""
    period = int(stat["Period"])
    key = series_key(stat["Metric"])
    out: dict[float, float] = {}
    for at, bucket in registry.points(key, start, end, period, stat.get("Unit")):
        value = bucket.statistic(stat["Stat"])
        if value is not None:
            out[at] = value
    return out
