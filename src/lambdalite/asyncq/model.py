"""Values of the asynchronous path: queued events, event invoke configs, planned effects."""

from __future__ import annotations

from dataclasses import dataclass

from lambdalite.asyncq.policy import Progress, RetryConfig
from lambdalite.asyncq.records import Response


@dataclass(frozen=True, slots=True, kw_only=True)
class EventInvokeConfig:
    """One qualifier's FunctionEventInvokeConfig; None fields were not set (defaults apply)."""

    function_name: str
    qualifier: str  # "$LATEST", a version number or an alias name
    maximum_retry_attempts: int | None = None
    maximum_event_age_in_seconds: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0

    def retry_config(self) -> RetryConfig:
        defaults = RetryConfig()
        return RetryConfig(
            max_retries=defaults.max_retries
            if self.maximum_retry_attempts is None
            else self.maximum_retry_attempts,
            max_age_s=defaults.max_age_s
            if self.maximum_event_age_in_seconds is None
            else self.maximum_event_age_in_seconds,
        )


@dataclass(slots=True, kw_only=True)  # not frozen: one per event, and frozen __init__ costs 2x
class QueuedEvent:
    id: int
    request_id: str
    function_name: str
    qualifier: str | None  # as called; None when the caller named no version or alias
    payload: bytes
    source: str
    enqueued_at: float
    attempts: int
    throttle_retries: int
    last_response: Response | None  # the latest time the function ran, if it did
    trace_header: str | None = None  # X-Amzn-Trace-Id it was accepted with: every attempt
    # runs in that trace (a new Parent each), and its destination messages carry it

    @property
    def progress(self) -> Progress:
        return Progress(self.enqueued_at, self.attempts, self.throttle_retries)


# Effects: what one round of an event writes, in one transaction ------------------------


@dataclass(frozen=True, slots=True)
class Journal:
    """A line of the event's journey (`lambdalite events --request-id`)."""

    kind: str  # attempt | final | delivery
    outcome: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Reschedule:
    at: float
    attempts: int
    throttle_retries: int
    response: Response | None


OUTBOX_KIND = "async"  # the kind of the outbox rows an Outbox effect writes


@dataclass(frozen=True, slots=True)
class Outbox:
    """A message owed to a destination or dead-letter queue, delivered (and retried) later:
    a row of the one outbox, written with the round (asyncq/delivery.py sends it)."""

    role: str  # OnSuccess | OnFailure | DeadLetter
    target_arn: str
    body: str
    attributes: str | None  # JSON message attributes (dead-letter messages)
    function_arn: str
    trace_header: str | None = None  # sent on as the SQS message's AWSTraceHeader


@dataclass(frozen=True, slots=True)
class Complete:
    condition: str  # a Condition value, or Dropped
    attempts: int


Effect = Journal | Reschedule | Outbox | Complete
