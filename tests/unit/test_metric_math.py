"""Metric math over GetMetricData results: arithmetic, array functions, FILL, RATE, PERIOD."""

from __future__ import annotations

import pytest

from lambdalite.observe.metrics.errors import InvalidParameterValue
from lambdalite.observe.metrics.expressions import Context, Series, evaluate

GRID = [0.0, 60.0, 120.0, 180.0]
INV = Series({0.0: 10.0, 60.0: 4.0, 180.0: 2.0}, 60, "Invocations")
ERR = Series({0.0: 1.0, 60.0: 4.0}, 60, "Errors")
CTX = Context({"inv": INV, "err": ERR}, GRID, 60)


@pytest.mark.parametrize(
    ("expression", "points"),
    [
        ("inv + err", {0.0: 11.0, 60.0: 8.0}),
        ("inv * 2 - 1", {0.0: 19.0, 60.0: 7.0, 180.0: 3.0}),
        ("100 - 100 * err / MAX([err, inv])", {0.0: 90.0, 60.0: 0.0}),
        ("SUM([inv, err])", {0.0: 11.0, 60.0: 8.0, 180.0: 2.0}),
        ("AVG(METRICS())", {0.0: 5.5, 60.0: 4.0, 180.0: 2.0}),
        ("SUM(METRICS('Err'))", {0.0: 1.0, 60.0: 4.0}),
        ("FILL(err, 0)", {0.0: 1.0, 60.0: 4.0, 120.0: 0.0, 180.0: 0.0}),
        ("FILL(inv, REPEAT)", {0.0: 10.0, 60.0: 4.0, 120.0: 4.0, 180.0: 2.0}),
        ("FILL(inv, LINEAR)", {0.0: 10.0, 60.0: 4.0, 120.0: 3.0, 180.0: 2.0}),
        ("RATE(inv)", {60.0: -0.1, 180.0: -2.0 / 120}),
        ("inv / PERIOD(inv)", {0.0: 10 / 60, 60.0: 4 / 60, 180.0: 2 / 60}),
        ("SUM(inv)", {t: 16.0 for t in GRID}),
        ("-(err ^ 2)", {0.0: -1.0, 60.0: -16.0}),
        ("inv / (err - err)", {}),
    ],
)
def test_expressions(expression: str, points: dict[float, float]) -> None:
    got = evaluate(expression, CTX).points
    assert got.keys() == points.keys()
    for t, v in points.items():
        assert got[t] == pytest.approx(v)


@pytest.mark.parametrize("bad", ["inv +", "nope * 2", "FOO(inv)", "[inv, 2]", "(inv", "[inv, err]"])
def test_bad_expressions_are_invalid_parameter_values(bad: str) -> None:
    with pytest.raises(InvalidParameterValue):
        evaluate(bad, CTX)
