"""How often SNS retries a delivery that failed.

SQS queues and Lambda functions are what AWS calls "AWS managed endpoints"; for those SNS
retries 100,015 times over 23 days (SNS developer guide, "Amazon SNS message delivery
retries"; spec 6.5): 3 retries at once, 2 retries 1 s apart, 10 retries backing off
exponentially from 1 s to 20 s, then 100,000 retries 20 s apart. Every delay is measured on
the platform clock, so a virtual clock can walk the whole schedule.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetrySchedule:
    immediate: int = 3
    pre_backoff: int = 2
    pre_backoff_delay: float = 1.0
    backoff: int = 10
    min_delay: float = 1.0
    max_delay: float = 20.0
    post_backoff: int = 100_000

    @property
    def max_attempts(self) -> int:
        return 1 + self.immediate + self.pre_backoff + self.backoff + self.post_backoff

    def delay(self, attempts: int) -> float | None:
        """Seconds to wait after the `attempts`-th failed attempt; None once exhausted."""
        retry = attempts  # the retry this delay leads to (1-based)
        if retry <= self.immediate:
            return 0.0
        retry -= self.immediate
        if retry <= self.pre_backoff:
            return self.pre_backoff_delay
        retry -= self.pre_backoff
        if retry <= self.backoff:
            if self.backoff == 1:
                return self.max_delay
            ratio = self.max_delay / self.min_delay
            return float(self.min_delay * ratio ** ((retry - 1) / (self.backoff - 1)))
        retry -= self.backoff
        if retry <= self.post_backoff:
            return self.max_delay
        return None


AWS_MANAGED = RetrySchedule()
# HTTP/S endpoints under SNS's default delivery policy (the topic's EffectiveDeliveryPolicy:
# numRetries 3, minDelayTarget = maxDelayTarget = 20 s): three retries 20 s apart.
HTTP_DEFAULT = RetrySchedule(immediate=0, pre_backoff=0, backoff=0, post_backoff=3)
