"""Alarm decisions: DatapointsToAlarm out of EvaluationPeriods, and TreatMissingData."""

from __future__ import annotations

from typing import Any

import pytest

from lambdalite.observe.metrics.alarm_rules import ALARM, INSUFFICIENT, OK, decide, period_values
from lambdalite.observe.metrics.registry import MetricRegistry, SeriesKey


def alarm(**extra: Any) -> dict[str, Any]:
    return {
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5.0,
        "EvaluationPeriods": 3,
        **extra,
    }


@pytest.mark.parametrize(
    ("extra", "values", "state"),
    [
        ({}, [6.0, 7.0, 8.0], ALARM),
        ({}, [6.0, 7.0, 1.0], OK),
        ({"DatapointsToAlarm": 2}, [6.0, 1.0, 8.0], ALARM),
        ({"DatapointsToAlarm": 2}, [6.0, None, None], OK),
        ({}, [None, None, None], INSUFFICIENT),
        ({"TreatMissingData": "breaching"}, [None, None, None], ALARM),
        ({"TreatMissingData": "notBreaching"}, [None, None, None], OK),
        ({"TreatMissingData": "ignore"}, [None, None, None], None),
        (
            {"ComparisonOperator": "LessThanOrEqualToThreshold", "EvaluationPeriods": 1},
            [5.0],
            ALARM,
        ),
    ],
)
def test_decisions(extra: dict[str, Any], values: list[float | None], state: str | None) -> None:
    verdict = decide(alarm(**extra), values)
    assert (verdict.state if verdict else None) == state


def test_period_values_are_newest_first_and_missing_periods_are_none() -> None:
    registry = MetricRegistry()
    key = SeriesKey.of("AWS/Lambda", "Errors", [("FunctionName", "f")])
    now = 1_800_000_030.0
    registry.add(key, now - 120, 2.0)
    registry.add(key, now, 1.0)
    doc = alarm(
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": "f"}],
        Statistic="Sum",
        Period=60,
    )
    assert period_values(registry, doc, now) == [1.0, None, 2.0]
