"""ScheduleExpression parsing and fire-time computation (rate and six-field cron), by table."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lambdalite.services.events.retry import (
    AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    Failure,
    GiveUp,
    Retry,
    RetryPolicy,
    backoff,
    classify,
    decide,
)
from lambdalite.services.events.schedule import (
    Rate,
    ScheduleError,
    due_slots,
    parse_schedule,
)
from lambdalite.services.sqs.errors import QueueDoesNotExist


def ts(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[arg-type]


def iso(t: float | None) -> str | None:
    return None if t is None else datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M")


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60),
        ("rate(2 minutes)", 120),
        ("rate(1 hour)", 3600),
        ("rate(3 hours)", 10800),
        ("rate(1 day)", 86400),
        ("rate(10 days)", 864000),
    ],
)
def test_rate_periods(expression: str, seconds: int) -> None:
    assert parse_schedule(expression) == Rate(seconds)


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(2 minute)",
        "rate(0 minutes)",
        "rate(1.5 hours)",
        "rate( 5 minutes)",
        "rate(5 Minutes)",
        "cron(0 10 * * ?)",
        "cron(0 10 * * ? * *)",
        "cron(0 10 * * * *)",  # neither day field is '?'
        "cron(0 10 ? * ? *)",  # both are
        "cron(60 * * * ? *)",
        "cron(* 24 * * ? *)",
        "cron(0 0 0 * ? *)",
        "cron(0 0 ? 0 MON *)",
        "cron(0 0 ? * 0 *)",
        "cron(0 0 ? * FUNDAY *)",
        "cron(0 0 ? * 2#6 *)",
        "cron(0 0 3#2 * ? *)",  # '#' only in day-of-week
        "cron(0 0 ? * 2W *)",  # 'W' only in day-of-month
        "cron(0 0 1,L * ? *)",  # specials stand alone
        "cron(0 0 * * ? 1969)",
        "cron(0 0 * * ? 2200)",
        "cron(*/0 * * * ? *)",
        "cron(1-,2 * * * ? *)",
        "cron(0 0 32W * ? *)",
    ],
)
def test_invalid_expressions(expression: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(expression)


# (expression, after, the next fire times in UTC)
NEXT_CASES = [
    ("cron(0 10 * * ? *)", ts(2024, 1, 1, 10, 0), ["2024-01-02 10:00", "2024-01-03 10:00"]),
    ("cron(15 12 * * ? *)", ts(2024, 1, 1), ["2024-01-01 12:15", "2024-01-02 12:15"]),
    ("cron(0/15 * * * ? *)", ts(2024, 1, 1, 0, 7), ["2024-01-01 00:15", "2024-01-01 00:30"]),
    ("cron(*/20 9-10 * * ? *)", ts(2024, 1, 1, 10, 41), ["2024-01-02 09:00", "2024-01-02 09:20"]),
    ("cron(0 18 ? * MON-FRI *)", ts(2024, 1, 5, 19), ["2024-01-08 18:00", "2024-01-09 18:00"]),
    ("cron(0 0 ? * FRI-MON *)", ts(2024, 1, 2), ["2024-01-05 00:00", "2024-01-06 00:00"]),
    ("cron(0 0 ? * 1,7 *)", ts(2024, 1, 1), ["2024-01-06 00:00", "2024-01-07 00:00"]),
    ("cron(0 8 1 * ? *)", ts(2024, 1, 15), ["2024-02-01 08:00", "2024-03-01 08:00"]),
    ("cron(0 0 1/10 * ? *)", ts(2024, 1, 2), ["2024-01-11 00:00", "2024-01-21 00:00"]),
    ("cron(0 0 L * ? *)", ts(2024, 1, 31, 1), ["2024-02-29 00:00", "2024-03-31 00:00"]),
    ("cron(0 0 L 2 ? *)", ts(2023, 3, 1), ["2024-02-29 00:00", "2025-02-28 00:00"]),
    ("cron(0 0 LW * ? *)", ts(2024, 8, 1), ["2024-08-30 00:00", "2024-09-30 00:00"]),
    ("cron(0 0 15W * ? *)", ts(2024, 6, 1), ["2024-06-14 00:00", "2024-07-15 00:00"]),
    ("cron(0 0 1W * ? *)", ts(2024, 5, 15), ["2024-06-03 00:00", "2024-07-01 00:00"]),
    ("cron(0 0 31W * ? *)", ts(2024, 3, 1), ["2024-03-29 00:00", "2024-05-31 00:00"]),
    ("cron(0 12 ? * 3#2 *)", ts(2024, 1, 1), ["2024-01-09 12:00", "2024-02-13 12:00"]),
    ("cron(0 12 ? * MON#5 *)", ts(2024, 1, 1), ["2024-01-29 12:00", "2024-04-29 12:00"]),
    ("cron(15 10 ? * 6L *)", ts(2024, 1, 1), ["2024-01-26 10:15", "2024-02-23 10:15"]),
    ("cron(0 0 ? * L *)", ts(2024, 1, 1), ["2024-01-06 00:00", "2024-01-13 00:00"]),
    ("cron(0 0 1 JAN,JUL ? 2025-2026)", ts(2024, 1, 1), ["2025-01-01 00:00", "2025-07-01 00:00"]),
    ("cron(0 0 29 2 ? *)", ts(2024, 3, 1), ["2028-02-29 00:00", "2032-02-29 00:00"]),
    ("cron(0 0 30 2 ? *)", ts(2024, 1, 1), []),
    ("cron(0 0 1 1 ? 2030)", ts(2030, 1, 1, 0, 0), []),
]


@pytest.mark.parametrize(("expression", "after", "expected"), NEXT_CASES)
def test_next_fire_times(expression: str, after: float, expected: list[str]) -> None:
    schedule = parse_schedule(expression)
    times: list[str] = []
    t: float | None = after
    for _ in range(2):
        t = schedule.next_after(t, 0) if t is not None else None
        if t is None:
            break
        times.append(iso(t) or "")
        assert schedule.latest_at_or_before(t, 0) == t
        assert schedule.latest_at_or_before(t + 59, 0) == t
    assert times == expected


def test_rate_counts_periods_from_the_anchor() -> None:
    rate = parse_schedule("rate(5 minutes)")
    anchor = 1000.25
    assert rate.next_after(anchor, anchor) == anchor + 300
    assert rate.next_after(anchor + 300, anchor) == anchor + 600
    assert rate.next_after(anchor - 5000, anchor) == anchor + 300
    assert rate.latest_at_or_before(anchor + 299, anchor) is None
    assert rate.latest_at_or_before(anchor + 899, anchor) == anchor + 600


def test_due_slots_fire_each_missed_slot_once_then_cap() -> None:
    rate = parse_schedule("rate(5 minutes)")
    assert due_slots(rate, 0, 0, 600) == ([300, 600], False)
    assert due_slots(rate, 0, 300, 899) == ([600], False)
    slots, skipped = due_slots(rate, 0, 0, 300 * 1000, cap=100)
    assert skipped and len(slots) == 100 and slots[0] == 300 * 901 and slots[-1] == 300 * 1000
    cron = parse_schedule("cron(* * * * ? *)")
    slots, skipped = due_slots(cron, 0, ts(2024, 1, 1), ts(2024, 1, 2), cap=10)
    assert skipped and [iso(s) for s in slots[:2]] == ["2024-01-01 23:51", "2024-01-01 23:52"]
    assert iso(slots[-1]) == "2024-01-02 00:00"


# -- retry decisions ---------------------------------------------------------------------

RETRIABLE = Failure("INTERNAL_ERROR", "boom", retriable=True)


@pytest.mark.parametrize(
    ("failure", "attempts", "now", "policy", "expected"),
    [
        (RETRIABLE, 1, 0, RetryPolicy(), Retry(1.0)),
        (RETRIABLE, 3, 100, RetryPolicy(), Retry(104.0)),
        (RETRIABLE, 20, 0, RetryPolicy(), Retry(300.0)),
        (RETRIABLE, 3, 0, RetryPolicy(max_retries=2), GiveUp(RETRIES_EXHAUSTED)),
        (RETRIABLE, 1, 0, RetryPolicy(max_retries=0), GiveUp(RETRIES_EXHAUSTED)),
        (RETRIABLE, 186, 0, RetryPolicy(), GiveUp(RETRIES_EXHAUSTED)),
        (RETRIABLE, 2, 59, RetryPolicy(max_age_s=60), GiveUp(AGE_EXCEEDED)),
        (Failure("NO_RESOURCE", "gone", retriable=False), 1, 0, RetryPolicy(), GiveUp(None)),
    ],
)
def test_retry_decisions(
    failure: Failure, attempts: int, now: float, policy: RetryPolicy, expected: Retry | GiveUp
) -> None:
    assert decide(failure, attempts, 0.0, now, policy) == expected


def test_backoff_doubles_to_a_cap() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4, 9, 10, 100)] == [1, 2, 4, 8, 256, 300, 300]


def test_classify() -> None:
    gone = classify(QueueDoesNotExist("The specified queue does not exist."))
    assert (gone.code, gone.retriable) == ("NO_RESOURCE", False)
    assert classify(LookupError("no service")).code == "NO_RESOURCE"
    assert (classify(RuntimeError("disk")).code, classify(RuntimeError()).retriable) == (
        "INTERNAL_ERROR",
        True,
    )
    assert RetryPolicy.of({"RetryPolicy": {"MaximumRetryAttempts": 3}}) == RetryPolicy(3, 86400)
