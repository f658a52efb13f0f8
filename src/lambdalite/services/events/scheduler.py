"""Fires scheduled rules on the platform clock.

Each pass reads the enabled scheduled rules, fires every slot that is due (see
`schedule.due_slots`: each missed slot once, at most 100 per rule after a long jump), then
sleeps on the clock until the earliest next slot, or until a rule changes (`wake`).
Firing a slot commits its deliveries and the rule's `last_fired` in one transaction, so a
slot fires once even across a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.services.events.model import Rule
from lambdalite.services.events.schedule import ScheduleError, due_slots, parse_schedule
from lambdalite.services.events.store import EventsStore

log = logging.getLogger(__name__)

Fire = Callable[[Rule, float], Awaitable[None]]


class Scheduler(DueLoop):
    name = "events-scheduler"

    def __init__(self, store: EventsStore, clock: Clock, fire: Fire) -> None:
        super().__init__(clock)
        self._store = store
        self._fire = fire

    async def run_due(self) -> float | None:
        return await self.fire_due(self._clock.now())

    async def fire_due(self, now: float) -> float | None:
        """Fire what is due at `now`; the earliest next fire time of any rule."""
        earliest: float | None = None
        for rule in await self._store.scheduled_rules():
            try:
                schedule = parse_schedule(rule.schedule or "")
            except ScheduleError:
                continue  # validated by PutRule; a stored bad expression never fires
            since = rule.last_fired if rule.last_fired is not None else rule.anchor
            slots, skipped = due_slots(schedule, rule.anchor, since, now)
            if skipped:
                log.warning(
                    "rule %s: clock jumped; only the latest %d slots fire", rule.name, len(slots)
                )
            for slot in slots:
                await self._fire(rule, slot)
            upcoming = schedule.next_after(max(now, since), rule.anchor)
            if upcoming is not None and (earliest is None or upcoming < earliest):
                earliest = upcoming
        return earliest
