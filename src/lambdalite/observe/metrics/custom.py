"""PutMetricData and ListMetrics over a MetricRegistry (limits per the model's docs)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.observe.metrics.errors import (
    InvalidParameterCombination,
    InvalidParameterValue,
    MissingParameter,
)
from lambdalite.observe.metrics.query import epoch
from lambdalite.observe.metrics.registry import MetricRegistry, SeriesKey

MAX_VALUES = 150
PAST_S = 14 * 86_400
FUTURE_S = 2 * 3_600
LIST_PAGE = 500
RECENT_S = 3 * 3_600
_LIMIT = 2.0**360


def _finite(value: float, member: str) -> float:
    if not math.isfinite(value) or abs(value) > _LIMIT:
        raise InvalidParameterValue(f"The value {value} for parameter {member} is invalid.")
    return value


def put_metric_data(registry: MetricRegistry, p: Mapping[str, Any], now: float) -> None:
    namespace: str = p["Namespace"]
    if namespace.startswith("AWS/"):
        raise InvalidParameterValue(
            "The value AWS/ for parameter Namespace is invalid: it is reserved for AWS services."
        )
    data: Sequence[Mapping[str, Any]] = p.get("MetricData") or ()
    if not data and not p.get("EntityMetricData"):
        raise MissingParameter("The parameter MetricData is required.")
    checked = [_check(datum, i + 1, now) for i, datum in enumerate(data)]
    for datum, at in checked:  # all or nothing: only once every datum passed
        _store(registry, namespace, datum, at)


def _check(datum: Mapping[str, Any], n: int, now: float) -> tuple[Mapping[str, Any], float]:
    member = f"MetricData.member.{n}"
    kinds = [k for k in ("Value", "Values", "StatisticValues") if datum.get(k) is not None]
    if len(kinds) > 1:
        raise InvalidParameterCombination(
            f"The parameters {member}.{kinds[0]} and {member}.{kinds[1]} are mutually exclusive."
        )
    values = datum.get("Values") or []
    counts = datum.get("Counts") or []
    if len(values) > MAX_VALUES:
        raise InvalidParameterValue(
            f"The collection {member}.Values must not have a size greater than {MAX_VALUES}."
        )
    if counts and len(counts) != len(values):
        raise InvalidParameterValue(
            f"The parameters {member}.Values and {member}.Counts must be of the same size."
        )
    for v in values:
        _finite(v, f"{member}.Values")
    if datum.get("Value") is not None:
        _finite(datum["Value"], f"{member}.Value")
    at = epoch(datum["Timestamp"]) if datum.get("Timestamp") is not None else now
    if not now - PAST_S <= at <= now + FUTURE_S:
        raise InvalidParameterValue(
            f"The parameter {member}.Timestamp must specify a time no more than two weeks in "
            "the past and no more than two hours in the future."
        )
    if datum.get("StorageResolution", 60) not in (1, 60):
        raise InvalidParameterValue(
            f"The value {datum['StorageResolution']} for parameter "
            f"{member}.StorageResolution is invalid: it must be 1 or 60."
        )
    return datum, at


def _store(registry: MetricRegistry, namespace: str, datum: Mapping[str, Any], at: float) -> None:
    dims = [(d["Name"], d["Value"]) for d in datum.get("Dimensions") or ()]
    key = SeriesKey.of(namespace, datum["MetricName"], dims)
    unit = datum.get("Unit") or "None"
    high = datum.get("StorageResolution", 60) == 1
    stats = datum.get("StatisticValues")
    if stats is not None:
        numbers = (stats["SampleCount"], stats["Sum"], stats["Minimum"], stats["Maximum"])
        registry.add_statistics(key, at, numbers, unit, high)
    elif datum.get("Values"):
        counts = datum.get("Counts") or [1.0] * len(datum["Values"])
        for value, count in zip(datum["Values"], counts, strict=True):
            registry.add(key, at, value, unit, count, high)
    elif datum.get("Value") is not None:
        registry.add(key, at, datum["Value"], unit, 1.0, high)


def list_metrics(registry: MetricRegistry, p: Mapping[str, Any], now: float) -> dict[str, Any]:
    wanted = [(d["Name"], d.get("Value")) for d in p.get("Dimensions") or ()]
    recent = now - RECENT_S if p.get("RecentlyActive") == "PT3H" else None
    found = []
    for series in registry.series():
        key = series.key
        if p.get("Namespace") not in (None, key.namespace):
            continue
        if p.get("MetricName") not in (None, key.name):
            continue
        if recent is not None and series.last_at < recent:
            continue
        have = dict(key.dimensions)
        if any(name not in have or value not in (None, have[name]) for name, value in wanted):
            continue
        found.append(key)
    found.sort(key=lambda k: (k.namespace, k.name, k.dimensions))
    start = _offset(p.get("NextToken"))
    page = found[start : start + LIST_PAGE]
    out: dict[str, Any] = {
        "Metrics": [
            {
                "Namespace": k.namespace,
                "MetricName": k.name,
                "Dimensions": [{"Name": n, "Value": v} for n, v in k.dimensions],
            }
            for k in page
        ]
    }
    if start + LIST_PAGE < len(found):
        out["NextToken"] = str(start + LIST_PAGE)
    return out


def _offset(token: str | None) -> int:
    if token is None:
        return 0
    if not token.isdigit():
        raise InvalidParameterValue("The NextToken is invalid.")
    return int(token)
