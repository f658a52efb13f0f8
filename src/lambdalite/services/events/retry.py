"""What to do after a failed delivery: pure decisions, tested by table (STYLE R5).

EventBridge's rule-target policy: retriable failures are retried with exponential backoff
until ``MaximumRetryAttempts`` retries (0-185, default 185) or ``MaximumEventAgeInSeconds``
(60-86400, default 86400) run out; failures that retrying cannot fix (the target resource
does not exist, no permission, a bad parameter) give up at once. Giving up sends the event
to the target's dead-letter queue, if it has one.

Backoff: 1 s before the first retry, doubling, at most 5 minutes (AWS says "exponential
back off and jitter" without numbers). There is no jitter: lambdalite has no thundering herd
to spread, and a deterministic schedule keeps virtual-clock tests exact.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lambdalite.errors import AwsError

DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_AGE_S = 86_400
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 300.0

# The DLQ message attribute EXHAUSTED_RETRY_CONDITION names the limit that ran out.
RETRIES_EXHAUSTED = "MaximumRetryAttempts"
AGE_EXCEEDED = "MaximumEventAgeInSeconds"


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_retries: int = DEFAULT_MAX_RETRIES
    max_age_s: int = DEFAULT_MAX_AGE_S

    @classmethod
    def of(cls, target: Mapping[str, Any]) -> RetryPolicy:
        policy = target.get("RetryPolicy") or {}
        return cls(
            int(policy.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES)),
            int(policy.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_S)),
        )


@dataclass(frozen=True, slots=True)
class Failure:
    code: str  # the DLQ ERROR_CODE (AWS's catalogue: NO_RESOURCE, THROTTLING, ...)
    message: str
    retriable: bool


@dataclass(frozen=True, slots=True)
class Retry:
    at: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    condition: str | None  # EXHAUSTED_RETRY_CONDITION; None for a non-retriable failure


_NOT_FOUND = ("NotFound", "NonExistent", "DoesNotExist", "NotExist")


def classify(exc: BaseException) -> Failure:
    """Map an exception from a target service to AWS's DLQ error code and retriability."""
    code = exc.wire_code if isinstance(exc, AwsError) else type(exc).__name__
    detail = exc.message if isinstance(exc, AwsError) else str(exc)
    message = f"{code}: {detail}" if detail else code
    if isinstance(exc, LookupError) or any(marker in code for marker in _NOT_FOUND):
        return Failure("NO_RESOURCE", message, retriable=False)
    if "Throttl" in code or "TooManyRequests" in code:
        return Failure("THROTTLING", message, retriable=True)
    if "AccessDenied" in code or "Authorization" in code:
        return Failure("NO_PERMISSIONS", message, retriable=False)
    if isinstance(exc, AwsError) and exc.status_code < 500:
        return Failure("INVALID_PARAMETER", message, retriable=False)
    return Failure("INTERNAL_ERROR", message, retriable=True)


def backoff(retry_number: int) -> float:
    """Seconds before retry `retry_number` (1-based)."""
    return float(min(BACKOFF_BASE_S * 2 ** min(retry_number - 1, 30), BACKOFF_CAP_S))


def expired(accepted_at: float, now: float, policy: RetryPolicy) -> bool:
    return now - accepted_at >= policy.max_age_s


def decide(
    failure: Failure, attempts: int, accepted_at: float, now: float, policy: RetryPolicy
) -> Retry | GiveUp:
    """After `attempts` failed attempts (the first one included), retry or give up."""
    if not failure.retriable:
        return GiveUp(None)
    if attempts - 1 >= policy.max_retries:
        return GiveUp(RETRIES_EXHAUSTED)
    at = now + backoff(attempts)
    if at - accepted_at >= policy.max_age_s:
        return GiveUp(AGE_EXCEEDED)
    return Retry(at)
