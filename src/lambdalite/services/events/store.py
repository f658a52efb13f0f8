"""What EventBridge needs from storage: buses, rules, targets, the deliveries owed to targets,
and each schedule's last fired slot.

The interface only: each backend implements it (``store/sqlite/events.py`` today) and the
composition root hands the service one. Every state change is one transaction inside one
method: deliveries (rows of the one outbox, see ``NewDelivery.entry``) of one PutEvents
call commit together, and a schedule slot's deliveries commit with the rule's
``last_fired``, so a slot fires once even across a crash. The outbox runner sends them
(``delivery.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple, Protocol

from lambdalite.outbox.model import Entry
from lambdalite.services.events.model import OUTBOX_KIND, Bus, Rule


class NewDelivery(NamedTuple):
    """A delivery to commit, before it has an id."""

    rule_arn: str
    target: dict[str, Any]
    event: str  # the event JSON (also the dead-letter body)
    payload: str  # what the target receives
    accepted_at: float
    due_at: float

    def entry(self) -> Entry:
        meta = json.dumps({"target": self.target, "event": self.event})
        return Entry(
            kind=OUTBOX_KIND,
            ref=self.rule_arn,
            target=self.target["Arn"],
            body=self.payload,
            meta=meta,
            created_at=self.accepted_at,
            due_at=self.due_at,
        )


class EventsStore(Protocol):
    # buses -----------------------------------------------------------------------------

    async def ensure_default_bus(self, now: float) -> None:
        """The default bus exists from the first start on (created at `now` if missing)."""
        ...

    async def create_bus(self, name: str, description: str | None, now: float) -> bool:
        """False when a bus of that name exists already."""
        ...

    async def get_bus(self, name: str) -> Bus | None: ...

    async def list_buses(self, prefix: str, after: str, limit: int) -> list[Bus]:
        """Buses whose names start with `prefix`, by name, names after `after`."""
        ...

    async def delete_bus(self, name: str) -> None:
        """The bus with its rules and their targets."""
        ...

    # rules -----------------------------------------------------------------------------

    async def put_rule(self, rule: Rule) -> None:
        """Create the rule or replace it whole."""
        ...

    async def get_rule(self, bus: str, name: str) -> Rule | None: ...

    async def list_rules(self, bus: str, prefix: str, after: str, limit: int) -> list[Rule]:
        """A bus's rules whose names start with `prefix`, by name, names after `after`."""
        ...

    async def rules_of_bus(self, bus: str) -> list[Rule]: ...

    async def scheduled_rules(self) -> list[Rule]:
        """Every enabled rule with a schedule, on any bus."""
        ...

    async def set_state(self, bus: str, name: str, state: str, now: float) -> None:
        """Enable or disable a rule; its schedule counts on from `now` (no backfill)."""
        ...

    async def delete_rule(self, bus: str, name: str) -> None:
        """The rule with its targets."""
        ...

    # targets ---------------------------------------------------------------------------

    async def targets(self, bus: str, rule: str) -> list[dict[str, Any]]:
        """A rule's targets in the order they were first added."""
        ...

    async def put_targets(self, bus: str, rule: str, targets: Sequence[dict[str, Any]]) -> None:
        """Add targets; one with an Id the rule has already replaces it in its place."""
        ...

    async def remove_targets(self, bus: str, rule: str, ids: Iterable[str]) -> None: ...

    # deliveries and schedules ----------------------------------------------------------

    async def enqueue(self, deliveries: Sequence[NewDelivery]) -> None:
        """Commit deliveries together."""
        ...

    async def fire_slot(
        self, bus: str, rule: str, slot: float, deliveries: Sequence[NewDelivery]
    ) -> None:
        """Commit a schedule slot's deliveries together with the rule's last fired slot."""
        ...
