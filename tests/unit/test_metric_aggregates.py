"""The metric aggregates: percentiles within the sketch's error bound, exact rollups,
periods without values left out, retention and the series cap."""

from __future__ import annotations

import math
import random

import pytest

from lambdalite.observe.metrics import sketch
from lambdalite.observe.metrics.bucket import Bucket, parse_extended
from lambdalite.observe.metrics.registry import RETENTION_S, MetricRegistry, SeriesKey

KEY = SeriesKey.of("AWS/Lambda", "Duration", [("FunctionName", "f")])


def exact_quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_percentiles_are_within_the_sketch_error(q: float) -> None:
    rng = random.Random(7)
    values = [rng.lognormvariate(3, 1.2) for _ in range(5_000)]
    bucket = Bucket()
    for v in values:
        bucket.add(v)
    got = bucket.statistic(f"p{q * 100:g}")
    want = exact_quantile(values, q)
    assert got is not None and abs(got - want) / want <= sketch.RELATIVE_ERROR + 1e-9


def test_extremes_and_equal_values_are_exact_and_negatives_have_no_percentiles() -> None:
    bucket = Bucket()
    for v in (7.0, 7.0, 7.0):
        bucket.add(v)
    assert bucket.statistic("p50") == 7.0 and bucket.statistic("p100") == 7.0
    assert bucket.statistic("tm99") == pytest.approx(7.0)
    bucket.add(-1.0)
    assert bucket.statistic("p50") is None and bucket.statistic("Minimum") == -1.0


def test_merging_buckets_equals_one_bucket_of_every_value() -> None:
    a, b, both = Bucket(), Bucket(), Bucket()
    for i, v in enumerate([1.0, 5.0, 20.0, 3.5, 0.0, 900.0]):
        (a if i % 2 else b).add(v)
        both.add(v)
    a.merge(b)
    for stat in ("Sum", "SampleCount", "Minimum", "Maximum", "Average", "p90"):
        assert a.statistic(stat) == both.statistic(stat)
    assert Bucket.from_json(a.to_json()).statistic("p90") == a.statistic("p90")


@pytest.mark.parametrize("bad", ["p101", "px", "tm", "q5", "p-1"])
def test_unknown_extended_statistics_are_refused(bad: str) -> None:
    with pytest.raises(ValueError):
        parse_extended(bad)


def test_points_merge_minutes_into_periods_and_skip_empty_ones() -> None:
    registry = MetricRegistry()
    base = 1_800_000_000.0  # a multiple of 300
    registry.add(KEY, base + 5, 10.0, "Milliseconds")
    registry.add(KEY, base + 65, 30.0, "Milliseconds")
    registry.add(KEY, base + 605, 50.0, "Milliseconds")
    points = registry.points(KEY, base, base + 900, 300, None)
    assert [(at, b.statistic("Sum"), b.statistic("SampleCount")) for at, b in points] == [
        (base, 40.0, 2.0),
        (base + 600, 50.0, 1.0),
    ]
    assert registry.points(KEY, base, base + 900, 300, "Seconds") == []


def test_retention_prunes_old_buckets_and_the_series_cap_refuses_new_series() -> None:
    registry = MetricRegistry(max_series=1)
    registry.add(KEY, 1_000.0, 1.0)
    registry.add(SeriesKey.of("App", "Other"), 1_000.0, 1.0)
    assert registry.refused == 1 and [s.key for s in registry.series()] == [KEY]
    registry.prune(1_000.0 + RETENTION_S + 120)
    assert list(registry.series()) == []
