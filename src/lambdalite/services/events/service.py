"""EventBridge: buses, rules and targets, plus the component that owns the background loops.

The API layer (api/events_api.py) calls these methods with the model's member names and
turns their records into wire shapes; errors are EventBridge's own (errors.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.outbox.runner import Outbox
from lambdalite.patterns import InvalidEventPattern, compile_pattern
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.events.delivery import EventsCourier
from lambdalite.services.events.errors import (
    InvalidEventPatternException,
    ResourceAlreadyExistsException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdalite.services.events.model import DEFAULT_BUS, OUTBOX_KIND, Arns, Bus, Rule, bus_name
from lambdalite.services.events.publish import Publisher
from lambdalite.services.events.schedule import ScheduleError, parse_schedule
from lambdalite.services.events.scheduler import Scheduler
from lambdalite.services.events.store import EventsStore
from lambdalite.services.events.targets import check_targets


def check_pattern(pattern: str) -> None:
    try:
        compile_pattern(pattern, dialect="eventbridge")
    except InvalidEventPattern as exc:
        raise InvalidEventPatternException(exc.message) from None


class EventsService:
    """Implements `EventPutter`; a Platform component (default bus, scheduler), whose
    deliveries the platform's outbox runner sends through the courier registered here."""

    def __init__(
        self,
        settings: Settings,
        store: EventsStore,
        clock: Clock,
        directory: ServiceDirectory,
        outbox: Outbox,
    ) -> None:
        self.clock = clock
        self.arns = Arns(settings.region, settings.account_id)
        self.store = store
        outbox.register(OUTBOX_KIND, EventsCourier(clock, directory))
        self.publisher = Publisher(self.store, clock, self.arns, outbox.wake)
        self.scheduler = Scheduler(self.store, clock, self.publisher.fire)

    def due_loops(self) -> Sequence[DueLoop]:
        return [self.scheduler]

    async def start(self) -> None:
        await self.store.ensure_default_bus(self.clock.now())
        await self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()

    async def put_event(self, bus: str, entry: Mapping[str, Any]) -> str:
        return await self.publisher.put_event(bus, entry)

    def _changed(self) -> None:
        self.publisher.invalidate()
        self.scheduler.wake()

    # buses -----------------------------------------------------------------------------

    async def bus(self, name_or_arn: str | None) -> Bus:
        name = bus_name(name_or_arn)
        bus = await self.store.get_bus(name)
        if bus is None:
            raise ResourceNotFoundException(f"Event bus {name} does not exist.")
        return bus

    async def create_bus(self, name: str, description: str | None) -> Bus:
        if not await self.store.create_bus(name, description, self.clock.now()):
            raise ResourceAlreadyExistsException(f"Event bus {name} already exists.")
        return await self.bus(name)

    async def delete_bus(self, name: str) -> None:
        if name == DEFAULT_BUS:
            raise ValidationException("Cannot delete event bus default.")
        await self.store.delete_bus(name)
        self._changed()

    async def list_buses(self, prefix: str, after: str, limit: int) -> list[Bus]:
        return await self.store.list_buses(prefix, after, limit)

    # rules -----------------------------------------------------------------------------

    async def rule(self, name: str, bus: str | None) -> Rule:
        bus_ = bus_name(bus)
        rule = await self.store.get_rule(bus_, name)
        if rule is None:
            raise ResourceNotFoundException(f"Rule {name} does not exist on EventBus {bus_}.")
        return rule

    async def put_rule(self, params: Mapping[str, Any]) -> Rule:
        bus = (await self.bus(params.get("EventBusName"))).name
        pattern, schedule = params.get("EventPattern"), params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise ValidationException(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )
        if pattern:
            check_pattern(pattern)
        if schedule:
            if bus != DEFAULT_BUS:
                raise ValidationException(
                    "ScheduleExpression is supported only on the default event bus."
                )
            try:
                parse_schedule(schedule)
            except ScheduleError:
                raise ValidationException("Parameter ScheduleExpression is not valid.") from None
        old = await self.store.get_rule(bus, params["Name"])
        now = self.clock.now()
        same_schedule = old is not None and old.schedule == schedule
        rule = Rule(
            bus=bus,
            name=params["Name"],
            event_pattern=pattern or None,
            schedule=schedule or None,
            state=params.get("State") or "ENABLED",
            description=params.get("Description"),
            role_arn=params.get("RoleArn"),
            anchor=old.anchor if old is not None and same_schedule else now,
            last_fired=_resume_from(old, same_schedule, now),
        )
        await self.store.put_rule(rule)
        self._changed()
        return rule

    async def set_state(self, name: str, bus: str | None, state: str) -> None:
        rule = await self.rule(name, bus)
        if rule.state != state:
            await self.store.set_state(rule.bus, rule.name, state, self.clock.now())
            self._changed()

    async def delete_rule(self, name: str, bus: str | None) -> None:
        bus_ = (await self.bus(bus)).name
        if await self.store.get_rule(bus_, name) is None:
            return  # deleting a rule that is not there succeeds, as on AWS
        if await self.store.targets(bus_, name):
            raise ValidationException("Rule can't be deleted since it has targets.")
        await self.store.delete_rule(bus_, name)
        self._changed()

    async def list_rules(self, bus: str | None, prefix: str, after: str, limit: int) -> list[Rule]:
        found = await self.bus(bus)
        return await self.store.list_rules(found.name, prefix, after, limit)

    def rule_arn(self, rule: Rule) -> str:
        return self.arns.rule(rule.bus, rule.name)

    # targets ---------------------------------------------------------------------------

    async def targets(self, rule: str, bus: str | None) -> list[dict[str, Any]]:
        found = await self.rule(rule, bus)
        return await self.store.targets(found.bus, found.name)

    async def put_targets(
        self, rule: str, bus: str | None, targets: Sequence[dict[str, Any]]
    ) -> None:
        found = await self.rule(rule, bus)
        existing = [t["Id"] for t in await self.store.targets(found.bus, found.name)]
        check_targets(existing, targets)
        await self.store.put_targets(found.bus, found.name, targets)
        self._changed()

    async def remove_targets(self, rule: str, bus: str | None, ids: Sequence[str]) -> None:
        found = await self.rule(rule, bus)
        await self.store.remove_targets(found.bus, found.name, ids)
        self._changed()


def _resume_from(old: Rule | None, same_schedule: bool, now: float) -> float | None:
    """Where a rewritten rule's schedule resumes: its last slot, or now after a pause."""
    if old is None or not same_schedule:
        return None
    return old.last_fired if old.enabled else now
