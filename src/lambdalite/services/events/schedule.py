"""ScheduleExpression: `rate(...)` and six-field `cron(...)`, parsed once, asked for fire times.

AWS's grammar (EventBridge "Schedule expressions for rules"):

- ``rate(value unit)``: a positive integer and minute(s) / hour(s) / day(s); the unit is
  singular exactly when the value is 1 (``rate(1 minutes)`` and ``rate(5 minute)`` are
  rejected). A rate rule fires every period counted from its creation (the anchor).
- ``cron(minutes hours day-of-month month day-of-week year)``, in UTC, minute precision:
  minutes 0-59, hours 0-23, day-of-month 1-31, month 1-12 or JAN-DEC, day-of-week 1-7 or
  SUN-SAT (1 = Sunday), year 1970-2199; ``,`` lists, ``-`` ranges (wrapping, as FRI-MON),
  ``*`` all, ``/`` steps (``0/15``, ``*/5``, ``1-30/2``). Exactly one of day-of-month and
  day-of-week is ``?``. Day-of-month also takes ``L`` (last day), ``LW`` (last weekday) and
  ``nW`` (weekday nearest the n-th, never leaving the month); day-of-week takes ``L`` (the
  last day of the week, Saturday), ``nL`` (last n-day of the month) and ``n#k`` (k-th n-day).
  Those special forms stand alone in their field.

Every error is a ``ScheduleError``; the API reports it as AWS does
("Parameter ScheduleExpression is not valid.").
"""

from __future__ import annotations

import bisect
import calendar
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Protocol

__all__ = ["Cron", "Rate", "Schedule", "ScheduleError", "due_slots", "parse_schedule"]

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_DAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_YEARS = (1970, 2199)
_EPS = 1e-6  # float slack so a slot computed twice is the same slot


class ScheduleError(ValueError):
    """The expression is not a valid ScheduleExpression."""


class Schedule(Protocol):
    def next_after(self, t: float, anchor: float) -> float | None:
        """The first fire time strictly after `t` (None: never again)."""
        ...

    def latest_at_or_before(self, t: float, anchor: float) -> float | None:
        """The last fire time at or before `t` (None: none yet)."""
        ...


@dataclass(frozen=True, slots=True)
class Rate:
    period_s: int

    def next_after(self, t: float, anchor: float) -> float | None:
        k = max(1, int((t - anchor) // self.period_s + 1 + _EPS))
        slot = anchor + k * self.period_s
        return slot if slot > t + _EPS else slot + self.period_s

    def latest_at_or_before(self, t: float, anchor: float) -> float | None:
        k = int((t - anchor + _EPS) // self.period_s)
        return anchor + k * self.period_s if k >= 1 else None


# -- cron fields ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _DaySpec:
    """Day-of-month or day-of-week: a set of values, or one special form."""

    kind: str  # "any" (?), "set", "last", "lastweekday", "nearest", "lastof", "nth"
    values: frozenset[int] = frozenset()
    n: int = 0
    k: int = 0


def _number(token: str, low: int, high: int, names: dict[str, int] | None = None) -> int:
    value = names.get(token.upper()) if names else None
    if value is None:
        if not token.isdigit():
            raise ScheduleError(f"bad value {token!r}")
        value = int(token)
    if not low <= value <= high:
        raise ScheduleError(f"{value} is outside {low}-{high}")
    return value


def _span(lo: int, hi: int, low: int, high: int) -> list[int]:
    if lo <= hi:
        return list(range(lo, hi + 1))
    return list(range(lo, high + 1)) + list(range(low, hi + 1))  # wrapping, as FRI-MON


def _item(item: str, low: int, high: int, names: dict[str, int] | None) -> set[int]:
    base, slash, step_text = item.partition("/")
    step = 1
    if slash:
        if not step_text.isdigit() or int(step_text) < 1:
            raise ScheduleError(f"bad step in {item!r}")
        step = int(step_text)
    if base == "*":
        values = list(range(low, high + 1))
    elif "-" in base:
        lo, _, hi = base.partition("-")
        values = _span(_number(lo, low, high, names), _number(hi, low, high, names), low, high)
    else:
        start = _number(base, low, high, names)
        values = list(range(start, high + 1)) if slash else [start]
    return set(values[::step])


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None) -> frozenset[int]:
    values: set[int] = set()
    for item in text.split(","):
        if not item:
            raise ScheduleError(f"empty item in {text!r}")
        values |= _item(item, low, high, names)
    return frozenset(values)


def _day_of_month(text: str) -> _DaySpec:
    if text == "?":
        return _DaySpec("any")
    if text == "L":
        return _DaySpec("last")
    if text == "LW":
        return _DaySpec("lastweekday")
    if text.endswith("W"):
        return _DaySpec("nearest", n=_number(text[:-1], 1, 31))
    return _DaySpec("set", _field(text, 1, 31))


def _day_of_week(text: str) -> _DaySpec:
    if text == "?":
        return _DaySpec("any")
    if text == "L":
        return _DaySpec("set", frozenset({7}))
    if text.endswith("L"):
        return _DaySpec("lastof", n=_number(text[:-1], 1, 7, _DAYS))
    if "#" in text:
        day, _, nth = text.partition("#")
        return _DaySpec("nth", n=_number(day, 1, 7, _DAYS), k=_number(nth, 1, 5))
    return _DaySpec("set", _field(text, 1, 7, _DAYS))


def _weekday(d: date) -> int:
    """AWS numbering: 1 = Sunday ... 7 = Saturday."""
    return (d.weekday() + 1) % 7 + 1


def _nearest_weekday(year: int, month: int, n: int) -> int | None:
    last = calendar.monthrange(year, month)[1]
    if n > last:
        return None
    wd = calendar.weekday(year, month, n)  # Monday = 0
    if wd == 5:  # Saturday: the Friday before, or the Monday after on the 1st
        return n - 1 if n > 1 else n + 2
    if wd == 6:  # Sunday: the Monday after, or the Friday before on the last day
        return n + 1 if n < last else n - 2
    return n


def _dom_matches(spec: _DaySpec, d: date) -> bool:
    last = calendar.monthrange(d.year, d.month)[1]
    if spec.kind == "set":
        return d.day in spec.values
    if spec.kind == "last":
        return d.day == last
    if spec.kind == "lastweekday":
        return d.day == _nearest_weekday(d.year, d.month, last)
    return d.day == _nearest_weekday(d.year, d.month, spec.n)  # "nearest"


def _dow_matches(spec: _DaySpec, d: date) -> bool:
    weekday = _weekday(d)
    if spec.kind == "set":
        return weekday in spec.values
    if weekday != spec.n:
        return False
    if spec.kind == "lastof":
        return d.day + 7 > calendar.monthrange(d.year, d.month)[1]
    return (d.day - 1) // 7 + 1 == spec.k  # "nth"


@dataclass(frozen=True, slots=True)
class Cron:
    minutes_of_day: tuple[int, ...]  # sorted hour*60+minute values that fire
    day_of_month: _DaySpec
    months: frozenset[int]
    day_of_week: _DaySpec
    years: frozenset[int]

    def day_matches(self, d: date) -> bool:
        if d.month not in self.months or d.year not in self.years:
            return False
        if self.day_of_month.kind == "any":
            return _dow_matches(self.day_of_week, d)
        return _dom_matches(self.day_of_month, d)

    def _days(self, start: date, forward: bool) -> Iterator[date]:
        step = timedelta(days=1 if forward else -1)
        d = start
        while _YEARS[0] <= d.year <= _YEARS[1]:
            if d.year not in self.years:  # skip the whole year
                d = date(d.year + 1, 1, 1) if forward else date(d.year - 1, 12, 31)
                continue
            if d.month not in self.months:  # skip the whole month
                d = _month_edge(d, forward)
                continue
            if self.day_matches(d):
                yield d
            d += step

    def next_after(self, t: float, anchor: float) -> float | None:
        moment = datetime.fromtimestamp(t, UTC)
        first = moment.hour * 60 + moment.minute + 1  # strictly after t, whole minutes
        for d in self._days(moment.date(), forward=True):
            bound = first if d == moment.date() else 0
            i = bisect.bisect_left(self.minutes_of_day, bound)
            if i < len(self.minutes_of_day):
                return _at(d, self.minutes_of_day[i])
        return None

    def latest_at_or_before(self, t: float, anchor: float) -> float | None:
        moment = datetime.fromtimestamp(t + _EPS, UTC)
        last = moment.hour * 60 + moment.minute
        for d in self._days(moment.date(), forward=False):
            bound = last if d == moment.date() else 24 * 60
            i = bisect.bisect_right(self.minutes_of_day, bound)
            if i > 0:
                return _at(d, self.minutes_of_day[i - 1])
        return None


def _month_edge(d: date, forward: bool) -> date:
    """The first day of the next month (forward) or the last day of the previous one."""
    if forward:
        return date(d.year + 1, 1, 1) if d.month == 12 else date(d.year, d.month + 1, 1)
    return date(d.year, d.month, 1) - timedelta(days=1)


def _at(d: date, minute_of_day: int) -> float:
    hour, minute = divmod(minute_of_day, 60)
    return datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC).timestamp()


def _parse_cron(body: str) -> Cron:
    fields = body.split()
    if len(fields) != 6:
        raise ScheduleError("cron needs six fields")
    minutes, hours, dom, month, dow, year = fields
    day_of_month, day_of_week = _day_of_month(dom), _day_of_week(dow)
    if (day_of_month.kind == "any") == (day_of_week.kind == "any"):
        raise ScheduleError("exactly one of day-of-month and day-of-week must be '?'")
    mins, hrs = _field(minutes, 0, 59), _field(hours, 0, 23)
    return Cron(
        minutes_of_day=tuple(sorted(h * 60 + m for h in hrs for m in mins)),
        day_of_month=day_of_month,
        months=_field(month, 1, 12, _MONTHS),
        day_of_week=day_of_week,
        years=_field(year, *_YEARS),
    )


def parse_schedule(expression: str) -> Rate | Cron:
    """Parse a ScheduleExpression or raise ScheduleError."""
    rate = _RATE.match(expression)
    if rate is not None:
        value, unit = int(rate.group(1)), rate.group(2)
        if value < 1 or (value == 1) != (not unit.endswith("s")):
            raise ScheduleError("rate needs a positive value; singular unit exactly for 1")
        return Rate(value * _UNIT_SECONDS[unit.rstrip("s")])
    if expression.startswith("cron(") and expression.endswith(")"):
        return _parse_cron(expression[5:-1])
    raise ScheduleError("not a rate(...) or cron(...) expression")


MAX_CATCH_UP = 100


def due_slots(
    schedule: Rate | Cron, anchor: float, since: float, now: float, cap: int = MAX_CATCH_UP
) -> tuple[list[float], bool]:
    """The fire times in (since, now], oldest first, at most `cap` of them.

    After a long clock jump only the `cap` most recent slots are kept (the second value says
    some were skipped): every missed slot fires once, as a virtual clock that advances by ten
    minutes expects, without an unbounded burst after a jump of months.
    """
    slots: list[float] = []
    t = since
    while len(slots) <= cap:
        slot = schedule.next_after(t, anchor)
        if slot is None or slot > now:
            return slots, False
        slots.append(slot)
        t = slot
    recent: list[float] = []
    t = now
    while len(recent) < cap:
        slot = schedule.latest_at_or_before(t, anchor)
        if slot is None or slot <= since:
            break
        recent.append(slot)
        t = slot - 0.5
    return recent[::-1], True
