"""OutboxStore: what the runner needs from storage, in its own terms.

Rows are added by their owners inside the owners' own transactions (an async event's
finish_round, an SNS publish, PutEvents, a schedule slot), so a row exists exactly when
what owes it was committed; each backend gives its owner stores a helper for that. This
interface claims, settles and counts them.

A claim leases rows to one consumer until `lease_until` and bumps each row's fencing
token. Settle, retry and dead-letter apply only while the caller's token is still the
row's: a consumer whose lease ran out, and whose row another consumer claimed since, is
told False and changes nothing, so a row is never settled twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lambdalite.outbox.model import Claim, DeadLetter, Entry, Outcome


class OutboxStore(Protocol):
    async def release_leases(self) -> None:
        """At start, single-node backends only: every lease is left by a process now gone."""
        ...

    async def add(self, entries: Sequence[Entry]) -> None:
        """Write rows in a transaction of their own (owners write theirs with their own)."""
        ...

    async def claim(self, owner: str, now: float, lease_until: float, limit: int) -> list[Claim]:
        """Lease up to `limit` rows due by `now` that nobody holds (or whose lease ran out),
        earliest due first; of a group only its oldest row."""
        ...

    async def next_due(self) -> float | None:
        """When the earliest row a claim could take falls due (a running-out lease counts)."""
        ...

    async def apply(self, outcomes: Sequence[tuple[Claim, Outcome]], now: float) -> list[bool]:
        """Apply each outcome, fenced, in one transaction; True where the token still held."""
        ...

    async def settle(self, claim: Claim, note: str | None = None) -> bool: ...

    async def retry(
        self, claim: Claim, at: float, error: str | None = None, note: str | None = None
    ) -> bool: ...

    async def dead_letter(self, claim: Claim, letter: DeadLetter, now: float) -> bool: ...

    async def pending(self, kind: str | None = None) -> int:
        """Rows not yet settled (of one kind, or all)."""
        ...
