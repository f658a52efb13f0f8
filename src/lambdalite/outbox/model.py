"""Values of the outbox: a row to write (Entry), a claimed row (Claim) and what became of a
claimed row's attempt (Settle, Retry, DeadLetter).

A row belongs to a kind; the kind's courier (registered with the runner by the service that
owns it) knows how to send it and what its policy does after a failure. The outbox itself
knows nothing of SNS envelopes or invocation records: it keeps the kind's text fields and
the bookkeeping every kind shares (due time, attempts, last error, lease, fencing token).
"""

from __future__ import annotations

from dataclasses import dataclass

DEAD_LETTER = "dead-letter"  # the kind a DeadLetter outcome turns its row into


@dataclass(frozen=True, slots=True, kw_only=True)
class Entry:
    """A row to write. `ref` names what the row belongs to (an async request id, an SNS
    subscription ARN, a rule ARN); rows of one `group` are sent one at a time, in order
    (SNS FIFO topics: one group per subscription and message group)."""

    kind: str
    ref: str
    target: str
    body: str
    attributes: str | None = None  # JSON message attributes, if the kind sends any
    meta: str | None = None  # the kind's own JSON (a subscription, a rule target, ...)
    group: str | None = None
    created_at: float
    due_at: float


@dataclass(frozen=True, slots=True)
class Claim:
    """A row leased to one consumer; `token` fences whatever the consumer does with it."""

    id: int
    kind: str
    ref: str
    target: str
    body: str
    attributes: str | None
    meta: str | None
    created_at: float
    attempts: int  # failed attempts so far
    last_error: str | None
    token: int


@dataclass(frozen=True, slots=True)
class Settle:
    """Done with: delivered, or dropped for good. `note` goes on the owner's record."""

    note: str | None = None


@dataclass(frozen=True, slots=True)
class Retry:
    """Due again at `at` with one attempt more; `error` is kept for the next attempt."""

    at: float
    error: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """Given up: the row becomes a dead-letter message for `target`, due at once, sent
    once. `about` says what it was, for the warning should the dead-letter queue fail."""

    target: str
    body: str
    attributes: str | None
    about: str
    note: str | None = None


Outcome = Settle | Retry | DeadLetter
