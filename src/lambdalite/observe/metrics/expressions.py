"""Metric math for GetMetricData's Expression: the common subset.

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := "-" unary | power
    power  := atom ("^" unary)?
    atom   := number | id | NAME "(" args ")" | "(" expr ")" | "[" expr ("," expr)* "]" | string

Values are numbers, time series (period start -> value) or arrays of time series
(`[m1, m2]`, `METRICS()`). Functions: SUM, AVG, MIN, MAX (of an array: a series, point by
point; of one series: a number), METRICS([label filter]), FILL(series, number | REPEAT |
LINEAR), RATE, DIFF, PERIOD, ABS, FLOOR, CEIL. Between two series, arithmetic keeps the
timestamps both have; dividing by zero leaves the point out, as CloudWatch does.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lambdalite.observe.metrics.errors import InvalidParameterValue


@dataclass
class Series:
    points: dict[float, float]
    period: int
    label: str = ""


Value = float | str | Series | list[Series]  # str: FILL's keywords, METRICS' filter
_TOKEN = re.compile(
    r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+)|([A-Za-z_][A-Za-z0-9_]*)|(\"[^\"]*\"|'[^']*')|(.))"
)


@dataclass(frozen=True)
class Context:
    series: Mapping[str, Series]  # the other queries' results, by Id
    grid: list[float]  # every period start of the query, for FILL and number results
    period: int


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            break
        number, name, string, other = m.groups()
        if number is not None:
            out.append(("num", number))
        elif name is not None:
            out.append(("name", name))
        elif string is not None:
            out.append(("str", string[1:-1]))
        elif other is not None and other.strip():
            out.append(("op", other))
        pos = m.end()
    return out


def _bad(expression: str, why: str) -> InvalidParameterValue:
    return InvalidParameterValue(f"Error in expression '{expression}': {why}")


class _Parser:
    def __init__(self, text: str, ctx: Context) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.i = 0
        self.ctx = ctx

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, value: str | None = None) -> tuple[str, str]:
        token = self.peek()
        if token is None or (value is not None and token[1] != value):
            raise _bad(self.text, f"expected {value or 'more'}")
        self.i += 1
        return token

    def parse(self) -> Value:
        value = self.expr()
        if self.peek() is not None:
            raise _bad(self.text, f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return value

    def expr(self) -> Value:
        value = self.term()
        while (t := self.peek()) is not None and t[1] in "+-" and t[0] == "op":
            self.take()
            value = _binary(_OPS[t[1]], value, self.term(), self.text)
        return value

    def term(self) -> Value:
        value = self.unary()
        while (t := self.peek()) is not None and t[1] in "*/" and t[0] == "op":
            self.take()
            value = _binary(_OPS[t[1]], value, self.unary(), self.text)
        return value

    def unary(self) -> Value:
        token = self.peek()
        if token == ("op", "-"):
            self.take()
            return _binary(operator.mul, -1.0, self.unary(), self.text)
        return self.power()

    def power(self) -> Value:
        value = self.atom()
        if self.peek() == ("op", "^"):
            self.take()
            value = _binary(_OPS["^"], value, self.unary(), self.text)
        return value

    def atom(self) -> Value:
        kind, text = self.take()
        if kind == "num":
            return float(text)
        if kind == "op" and text == "(":
            value = self.expr()
            self.take(")")
            return value
        if kind == "op" and text == "[":
            items = [self.expr()]
            while self.peek() == ("op", ","):
                self.take()
                items.append(self.expr())
            self.take("]")
            return [_one_series(item, self.text) for item in items]
        if kind == "name" and self.peek() == ("op", "("):
            return self.call(text.upper())
        if kind == "name" and text in self.ctx.series:
            return self.ctx.series[text]
        if kind == "name" and text.upper() in ("REPEAT", "LINEAR"):
            return text.upper()
        if kind == "str":
            return text
        raise _bad(self.text, f"unknown id or token {text!r}")

    def call(self, name: str) -> Value:
        self.take("(")
        args: list[Value] = []
        if self.peek() != ("op", ")"):
            args.append(self.expr())
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.expr())
        self.take(")")
        function = _FUNCTIONS.get(name)
        if function is None:
            raise _bad(self.text, f"unsupported function {name}")
        return function(self, args)


def _one_series(value: Value, text: str) -> Series:
    if isinstance(value, Series):
        return value
    raise _bad(text, "an array holds time series only")


def _binary(op: Callable[[float, float], float], a: Value, b: Value, text: str) -> Value:
    if isinstance(a, list) or isinstance(b, list):
        left = a if isinstance(a, list) else None
        if left is not None:
            return [_one_series(_binary(op, s, b, text), text) for s in left]
        assert isinstance(b, list)
        return [_one_series(_binary(op, a, s, text), text) for s in b]
    if isinstance(a, str) or isinstance(b, str):
        raise _bad(text, "a keyword is not a value")
    if isinstance(a, Series) and isinstance(b, Series):
        pts = {t: _apply(op, a.points[t], b.points[t]) for t in a.points if t in b.points}
        return Series(_finite(pts), a.period)
    if isinstance(a, Series):
        return Series(_finite({t: _apply(op, v, b) for t, v in a.points.items()}), a.period)  # type: ignore[arg-type]
    if isinstance(b, Series):
        return Series(_finite({t: _apply(op, a, v) for t, v in b.points.items()}), b.period)
    return _apply(op, a, b)


def _apply(op: Callable[[float, float], float], a: float, b: float) -> float:
    try:
        return op(a, b)
    except (ZeroDivisionError, OverflowError, ValueError):
        return math.nan


def _finite(points: dict[float, float]) -> dict[float, float]:
    return {t: v for t, v in points.items() if math.isfinite(v)}


_OPS: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": operator.pow,
}


def _aggregate(reduce: Callable[[list[float]], float]) -> Callable[[_Parser, list[Value]], Value]:
    def run(p: _Parser, args: list[Value]) -> Value:
        if len(args) != 1:
            raise _bad(p.text, "expects one argument")
        (arg,) = args
        if isinstance(arg, Series):
            values = list(arg.points.values())
            return reduce(values) if values else math.nan
        if isinstance(arg, list):
            stamps = sorted({t for s in arg for t in s.points})
            period = arg[0].period if arg else p.ctx.period
            pts = {t: reduce([s.points[t] for s in arg if t in s.points]) for t in stamps}
            return Series(pts, period)
        raise _bad(p.text, "expects a time series or an array")

    return run


def _metrics(p: _Parser, args: list[Value]) -> Value:
    needle = str(args[0]) if args else ""
    return [s for s in p.ctx.series.values() if needle in s.label]


def _series_arg(p: _Parser, args: list[Value], count: int = 1) -> Series:
    if len(args) != count or not isinstance(args[0], Series):
        raise _bad(p.text, "expects a time series")
    return args[0]


def _fill(p: _Parser, args: list[Value]) -> Value:
    if len(args) != 2:
        raise _bad(p.text, "FILL expects a time series and a value")
    target, how = args
    if isinstance(target, list):
        return [_one_series(_fill(p, [s, how]), p.text) for s in target]
    series = _series_arg(p, [target])
    out: dict[float, float] = {}
    last: float | None = None
    for t in p.ctx.grid:
        if t in series.points:
            last = out[t] = series.points[t]
        elif how == "REPEAT":
            if last is not None:
                out[t] = last
        elif how == "LINEAR":
            value = _interpolate(series.points, t)
            if value is not None:
                out[t] = value
        elif isinstance(how, float):
            out[t] = how
        else:
            raise _bad(p.text, "FILL's value must be a number, REPEAT or LINEAR")
    return Series(out, series.period, series.label)


def _interpolate(points: Mapping[float, float], t: float) -> float | None:
    before = [s for s in points if s < t]
    after = [s for s in points if s > t]
    if not before or not after:
        return None
    a, b = max(before), min(after)
    return points[a] + (points[b] - points[a]) * (t - a) / (b - a)


def _rate(p: _Parser, args: list[Value]) -> Value:
    series = _series_arg(p, args)
    stamps = sorted(series.points)
    pts = {
        t: (series.points[t] - series.points[s]) / (t - s)
        for s, t in zip(stamps, stamps[1:], strict=False)
    }
    return Series(pts, series.period)


def _diff(p: _Parser, args: list[Value]) -> Value:
    series = _series_arg(p, args)
    stamps = sorted(series.points)
    pts = {t: series.points[t] - series.points[s] for s, t in zip(stamps, stamps[1:], strict=False)}
    return Series(pts, series.period)


def _period(p: _Parser, args: list[Value]) -> Value:
    return float(_series_arg(p, args).period)


def _unary(fn: Callable[[float], float]) -> Callable[[_Parser, list[Value]], Value]:
    def run(p: _Parser, args: list[Value]) -> Value:
        if len(args) != 1:
            raise _bad(p.text, "expects one argument")
        return _binary(lambda a, _b: fn(a), args[0], 0.0, p.text)

    return run


_FUNCTIONS: dict[str, Callable[[_Parser, list[Value]], Value]] = {
    "SUM": _aggregate(math.fsum),
    "AVG": _aggregate(lambda v: math.fsum(v) / len(v)),
    "MIN": _aggregate(min),
    "MAX": _aggregate(max),
    "METRICS": _metrics,
    "FILL": _fill,
    "RATE": _rate,
    "DIFF": _diff,
    "PERIOD": _period,
    "ABS": _unary(abs),
    "FLOOR": _unary(lambda v: float(math.floor(v))),
    "CEIL": _unary(lambda v: float(math.ceil(v))),
}


def evaluate(expression: str, ctx: Context) -> Series:
    """The expression's time series; a number is repeated at every period of the grid."""
    value = _Parser(expression, ctx).parse()
    if isinstance(value, Series):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return Series({}, ctx.period)
        return Series({t: value for t in ctx.grid}, ctx.period)
    raise _bad(expression, "the expression must give one time series")
