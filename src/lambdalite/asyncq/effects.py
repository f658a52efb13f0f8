"""From a decision to its effects: a short ordered list of small steps (STYLE R5).

Each step looks at one finished round and says what it adds: a journal line, a new due
time, a destination record, a dead-letter message, completion. The store writes all of a
round's effects in one transaction, so an event is never both finished and lost.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Protocol

from lambdalite.asyncq import records
from lambdalite.asyncq.model import Complete, Effect, Journal, Outbox, QueuedEvent, Reschedule
from lambdalite.asyncq.policy import Condition, Decision, Fail, Outcome, Retry, Succeed
from lambdalite.asyncq.records import Response

THROTTLED_ERROR = (429, "Rate Exceeded.")
NOWHERE = "no destination: discarded"


@dataclass(slots=True, kw_only=True)  # not frozen: one per round, and frozen __init__ costs 2x
class Round:
    """Everything known once an event's round is decided."""

    event: QueuedEvent
    decision: Decision
    outcome: Outcome | None  # None when the event ended before an attempt
    response: Response | None  # this attempt's response, else the latest earlier one
    error: str  # the attempt's error type/message, or why the platform could not run it
    function_arn: str  # the executed version's qualified ARN
    on_success: str | None
    on_failure: str | None
    dead_letter_arn: str | None
    now: float


class Step(Protocol):
    def effects(self, r: Round) -> list[Effect]: ...


class AttemptJournal:
    def effects(self, r: Round) -> list[Effect]:
        if r.outcome is None:
            return []
        return [Journal("attempt", r.outcome.value, r.error)]


class Retries:
    def effects(self, r: Round) -> list[Effect]:
        d = r.decision
        if not isinstance(d, Retry):
            return []
        detail = f"next attempt in {d.at - r.now:g} s"
        return [
            Reschedule(d.at, d.attempts, d.throttle_retries, r.response),
            Journal("retry", "Scheduled", detail),
        ]


def _record(r: Round, condition: Condition, attempts: int, target: str) -> str:
    record = records.invocation_record(
        request_id=r.event.request_id,
        function_arn=r.function_arn,
        condition=condition,
        invoke_count=attempts,
        request_payload=r.event.payload,
        response=r.response if attempts > 0 else None,
        timestamp=r.now,
    )
    return records.record_body(record, target)


class Destinations:
    def effects(self, r: Round) -> list[Effect]:
        d = r.decision
        if isinstance(d, Succeed) and r.on_success:
            body = _record(r, Condition.SUCCESS, d.attempts, r.on_success)
            return [
                Outbox("OnSuccess", r.on_success, body, None, r.function_arn, r.event.trace_header)
            ]
        if isinstance(d, Fail) and r.on_failure:
            body = _record(r, d.condition, d.attempts, r.on_failure)
            return [
                Outbox("OnFailure", r.on_failure, body, None, r.function_arn, r.event.trace_header)
            ]
        return []


class DeadLetter:
    def effects(self, r: Round) -> list[Effect]:
        if not isinstance(r.decision, Fail) or not r.dead_letter_arn:
            return []
        response = r.response if r.decision.attempts > 0 else None
        attributes = records.dead_letter_attributes(r.event.request_id, response, THROTTLED_ERROR)
        body = r.event.payload.decode("utf-8", "replace")
        return [
            Outbox(
                "DeadLetter",
                r.dead_letter_arn,
                body,
                json.dumps(attributes),
                r.function_arn,
                r.event.trace_header,
            )
        ]


class Completion:
    def effects(self, r: Round) -> list[Effect]:
        d = r.decision
        if isinstance(d, Retry):
            return []
        condition = Condition.SUCCESS if isinstance(d, Succeed) else d.condition
        where = NOWHERE
        if r.on_success or r.on_failure or r.dead_letter_arn:
            routes = [
                f"{name} {arn}"
                for name, arn, applies in (
                    ("OnSuccess", r.on_success, isinstance(d, Succeed)),
                    ("OnFailure", r.on_failure, isinstance(d, Fail)),
                    ("DeadLetter", r.dead_letter_arn, isinstance(d, Fail)),
                )
                if arn and applies
            ]
            where = ", ".join(routes) or NOWHERE
        return [Complete(condition.value, d.attempts), Journal("final", condition.value, where)]


DEFAULT_STEPS: tuple[Step, ...] = (
    AttemptJournal(),
    Retries(),
    Destinations(),
    DeadLetter(),
    Completion(),
)


def plan(r: Round, steps: tuple[Step, ...] = DEFAULT_STEPS) -> list[Effect]:
    out: list[Effect] = []
    for step in steps:
        out.extend(step.effects(r))
    return out
