"""What should happen to an asynchronous event after each round: pure decisions (spec 3.3).

Two retry regimes:
- function errors (exception, timeout, crash) count against MaximumRetryAttempts and wait
  60 s x attempt number before the next attempt;
- throttles and system errors (the function never ran) back off exponentially from 1 s to
  5 min and do not count.
MaximumEventAgeInSeconds bounds both, including the look-ahead: a retry whose delay would
carry the event to (or past) its maximum age is not waited for; the event fails at once
with EventAgeExceeded, as AWS's recordings show (max age 60 s -> one attempt).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

DEFAULT_MAX_RETRIES = 2
DEFAULT_MAX_AGE_S = 21_600
RETRY_DELAY_S = 60  # delay before function-error retry k is 60 s x k
THROTTLE_FIRST_S = 1
THROTTLE_CAP_S = 300


class Condition(enum.StrEnum):
    """requestContext.condition of the invocation record."""

    SUCCESS = "Success"
    RETRIES_EXHAUSTED = "RetriesExhausted"
    EVENT_AGE_EXCEEDED = "EventAgeExceeded"
    ZERO_RESERVED_CONCURRENCY = "ZeroReservedConcurrency"


class Outcome(enum.StrEnum):
    """How one attempt ended."""

    SUCCESS = "Success"
    FUNCTION_ERROR = "FunctionError"  # the function ran and failed (incl. timeout, crash)
    THROTTLED = "Throttled"  # no concurrency slot: the function did not run
    SYSTEM_ERROR = "SystemError"  # the platform could not run the function


@dataclass(frozen=True, slots=True)
class RetryConfig:
    max_retries: int = DEFAULT_MAX_RETRIES
    max_age_s: int = DEFAULT_MAX_AGE_S


DEFAULT_RETRY = RetryConfig()  # a function without an event invoke config


@dataclass(frozen=True, slots=True)
class Progress:
    """An event's history so far: when it was accepted and how often it was tried."""

    enqueued_at: float
    attempts: int = 0  # times the function actually ran
    throttle_retries: int = 0  # throttle/system-error retries since the last function run


@dataclass(frozen=True, slots=True)
class Retry:
    at: float
    attempts: int
    throttle_retries: int


@dataclass(frozen=True, slots=True)
class Succeed:
    attempts: int


@dataclass(frozen=True, slots=True)
class Fail:
    condition: Condition
    attempts: int  # approximateInvokeCount


Decision = Retry | Succeed | Fail


def admit(progress: Progress, cfg: RetryConfig, reserved: int | None, now: float) -> Fail | None:
    """Before an attempt: reserved concurrency 0 ends the event; so does its age."""
    if reserved == 0:
        return Fail(Condition.ZERO_RESERVED_CONCURRENCY, progress.attempts)
    if now - progress.enqueued_at >= cfg.max_age_s:
        return Fail(Condition.EVENT_AGE_EXCEEDED, progress.attempts)
    return None


def throttle_delay(throttle_retries: int) -> int:
    return int(min(THROTTLE_FIRST_S * 2**throttle_retries, THROTTLE_CAP_S))


def decide(outcome: Outcome, progress: Progress, cfg: RetryConfig, now: float) -> Decision:
    """After an attempt: retry (when), succeed, or fail (why)."""
    age = now - progress.enqueued_at
    if outcome in (Outcome.THROTTLED, Outcome.SYSTEM_ERROR):
        delay = throttle_delay(progress.throttle_retries)
        if age + delay >= cfg.max_age_s:
            return Fail(Condition.EVENT_AGE_EXCEEDED, progress.attempts)
        return Retry(now + delay, progress.attempts, progress.throttle_retries + 1)
    attempts = progress.attempts + 1
    if outcome is Outcome.SUCCESS:
        return Succeed(attempts)
    if attempts > cfg.max_retries:
        return Fail(Condition.RETRIES_EXHAUSTED, attempts)
    delay = RETRY_DELAY_S * attempts
    if age + delay >= cfg.max_age_s:
        return Fail(Condition.EVENT_AGE_EXCEEDED, attempts)
    return Retry(now + delay, attempts, 0)
