"""EventBridge records and ARNs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from lambdalite.outbox.model import Claim

DEFAULT_BUS = "default"
BUS_ARN_MARKER = ":event-bus/"


@dataclass(frozen=True, slots=True)
class Bus:
    name: str
    description: str | None
    created_at: float
    modified_at: float


@dataclass(frozen=True, slots=True)
class Rule:
    bus: str
    name: str
    event_pattern: str | None
    schedule: str | None
    state: str  # ENABLED | DISABLED | ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
    description: str | None
    role_arn: str | None
    anchor: float  # rate schedules count whole periods from here (the rule's creation)
    last_fired: float | None  # the latest schedule slot already fired

    @property
    def enabled(self) -> bool:
        return self.state != "DISABLED"


OUTBOX_KIND = "events"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event on its way to one rule target: an outbox row of kind OUTBOX_KIND (the
    payload is its body; the target and the event are its meta)."""

    id: int
    rule_arn: str
    target: dict[str, Any]
    event: str
    payload: str
    accepted_at: float
    attempts: int
    last_error: dict[str, str] | None  # {"code", "message"} of the latest failed attempt

    @classmethod
    def of(cls, claim: Claim) -> Delivery:
        meta = json.loads(claim.meta or "{}")
        error = json.loads(claim.last_error) if claim.last_error else None
        return cls(
            claim.id,
            claim.ref,
            meta["target"],
            meta["event"],
            claim.body,
            claim.created_at,
            claim.attempts,
            error,
        )


@dataclass(frozen=True, slots=True)
class Arns:
    region: str
    account: str

    def bus(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:event-bus/{name}"

    def rule(self, bus: str, name: str) -> str:
        path = name if bus == DEFAULT_BUS else f"{bus}/{name}"
        return f"arn:aws:events:{self.region}:{self.account}:rule/{path}"


def bus_name(name_or_arn: str | None) -> str:
    """A bus name from a name or an event-bus ARN (absent: the default bus)."""
    if not name_or_arn:
        return DEFAULT_BUS
    if name_or_arn.startswith("arn:") and BUS_ARN_MARKER in name_or_arn:
        return name_or_arn.split(BUS_ARN_MARKER, 1)[1]
    return name_or_arn
