"""The retry decision of spec 3.3, as a table."""

from __future__ import annotations

import pytest

from lambdalite.asyncq.policy import (
    Condition,
    Decision,
    Fail,
    Outcome,
    Progress,
    Retry,
    RetryConfig,
    Succeed,
    admit,
    decide,
    throttle_delay,
)

T0 = 1_000_000.0
DEFAULT = RetryConfig()
S = Outcome.SUCCESS
F = Outcome.FUNCTION_ERROR
TH = Outcome.THROTTLED
SYS = Outcome.SYSTEM_ERROR


@pytest.mark.parametrize(
    ("outcome", "progress", "cfg", "age", "expected"),
    [
        # success on any attempt counts that attempt
        (S, Progress(T0), DEFAULT, 0, Succeed(1)),
        (S, Progress(T0, 2), DEFAULT, 180, Succeed(3)),
        # function errors: retry after 60 s, then 120 s, then give up
        (F, Progress(T0), DEFAULT, 0, Retry(T0 + 60, 1, 0)),
        (F, Progress(T0, 1), DEFAULT, 60, Retry(T0 + 60 + 120, 2, 0)),
        (F, Progress(T0, 2), DEFAULT, 180, Fail(Condition.RETRIES_EXHAUSTED, 3)),
        # MaximumRetryAttempts 0 and 1
        (F, Progress(T0), RetryConfig(0), 0, Fail(Condition.RETRIES_EXHAUSTED, 1)),
        (F, Progress(T0), RetryConfig(1), 0, Retry(T0 + 60, 1, 0)),
        (F, Progress(T0, 1), RetryConfig(1), 60, Fail(Condition.RETRIES_EXHAUSTED, 2)),
        # age look-ahead as AWS recorded it: max age 60 -> 1 attempt, 90 -> 2 attempts
        (F, Progress(T0), RetryConfig(2, 60), 0, Fail(Condition.EVENT_AGE_EXCEEDED, 1)),
        (F, Progress(T0), RetryConfig(2, 90), 0, Retry(T0 + 60, 1, 0)),
        (F, Progress(T0, 1), RetryConfig(2, 90), 60, Fail(Condition.EVENT_AGE_EXCEEDED, 2)),
        # throttles and system errors: 1 s doubling, not counted as attempts
        (TH, Progress(T0), DEFAULT, 0, Retry(T0 + 1, 0, 1)),
        (TH, Progress(T0, 0, 1), DEFAULT, 1, Retry(T0 + 1 + 2, 0, 2)),
        (SYS, Progress(T0, 1, 3), DEFAULT, 70, Retry(T0 + 70 + 8, 1, 4)),
        (TH, Progress(T0, 0, 20), DEFAULT, 1000, Retry(T0 + 1000 + 300, 0, 21)),
        # ... bounded by the event's age, keeping the invoke count
        (TH, Progress(T0, 1, 8), RetryConfig(2, 300), 100, Fail(Condition.EVENT_AGE_EXCEEDED, 1)),
        (TH, Progress(T0, 0, 0), RetryConfig(2, 60), 59.5, Fail(Condition.EVENT_AGE_EXCEEDED, 0)),
        # a function-error retry resets the throttle backoff
        (F, Progress(T0, 0, 5), DEFAULT, 40, Retry(T0 + 40 + 60, 1, 0)),
    ],
)
def test_decide(
    outcome: Outcome, progress: Progress, cfg: RetryConfig, age: float, expected: Decision
) -> None:
    assert decide(outcome, progress, cfg, T0 + age) == expected


@pytest.mark.parametrize(
    ("progress", "cfg", "reserved", "age", "expected"),
    [
        (Progress(T0), DEFAULT, None, 0, None),
        (Progress(T0), DEFAULT, 5, 0, None),
        (Progress(T0), DEFAULT, 0, 0, Fail(Condition.ZERO_RESERVED_CONCURRENCY, 0)),
        (Progress(T0, 1), DEFAULT, 0, 60, Fail(Condition.ZERO_RESERVED_CONCURRENCY, 1)),
        (Progress(T0), DEFAULT, None, 21_600, Fail(Condition.EVENT_AGE_EXCEEDED, 0)),
        (Progress(T0, 2), RetryConfig(2, 120), None, 119, None),
        (Progress(T0, 2), RetryConfig(2, 120), None, 7200, Fail(Condition.EVENT_AGE_EXCEEDED, 2)),
    ],
)
def test_admit(
    progress: Progress, cfg: RetryConfig, reserved: int | None, age: float, expected: Fail | None
) -> None:
    assert admit(progress, cfg, reserved, T0 + age) == expected


def test_throttle_backoff_grows_from_one_second_to_five_minutes() -> None:
    assert [throttle_delay(n) for n in range(11)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]


def test_full_default_schedule_is_three_attempts_one_and_two_minutes_apart() -> None:
    progress, now, times = Progress(T0), T0, []
    while True:
        times.append(now - T0)
        d = decide(Outcome.FUNCTION_ERROR, progress, DEFAULT, now)
        if not isinstance(d, Retry):
            break
        progress, now = Progress(T0, d.attempts, d.throttle_retries), d.at
    assert times == [0, 60, 180]
    assert d == Fail(Condition.RETRIES_EXHAUSTED, 3)
