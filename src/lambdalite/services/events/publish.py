"""Events in: PutEvents entries, scheduled firings and other services' `put_event`.

An event is matched against the enabled pattern rules of its bus; each matching rule's
targets become deliveries, committed in one transaction per call (one per PutEvents
request) before the caller hears success. The outbox runner does the rest.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lambdalite.clock import Clock
from lambdalite.patterns import InvalidEventPattern, Pattern, compile_pattern
from lambdalite.services.events.entries import (
    MAX_REQUEST_BYTES,
    as_entry,
    build_event,
    entry_error,
    entry_size,
    iso_time,
)
from lambdalite.services.events.errors import ResourceNotFoundException, ValidationException
from lambdalite.services.events.model import Arns, Rule, bus_name
from lambdalite.services.events.store import EventsStore, NewDelivery
from lambdalite.services.events.transform import target_payload


@dataclass(frozen=True, slots=True)
class _Route:
    rule: Rule
    arn: str
    pattern: Pattern
    targets: list[dict[str, Any]]


class Publisher:
    def __init__(
        self, store: EventsStore, clock: Clock, arns: Arns, on_enqueued: Callable[[], None]
    ) -> None:
        self._store = store
        self._clock = clock
        self._arns = arns
        self._on_enqueued = on_enqueued
        self._routes: dict[str, list[_Route]] = {}  # bus -> enabled pattern rules
        self._generation = 0  # bumped by invalidate()

    def invalidate(self) -> None:
        """Rules or targets changed: match against fresh ones from now on."""
        self._routes.clear()
        self._generation += 1

    async def _routes_of(self, bus: str) -> list[_Route]:
        routes = self._routes.get(bus)
        if routes is None:
            generation = self._generation
            routes = []
            for rule in await self._store.rules_of_bus(bus):
                if not rule.enabled or not rule.event_pattern:
                    continue
                try:
                    pattern = compile_pattern(rule.event_pattern, dialect="eventbridge")
                except InvalidEventPattern:
                    continue
                targets = await self._store.targets(bus, rule.name)
                routes.append(_Route(rule, self._arns.rule(bus, rule.name), pattern, targets))
            if generation == self._generation:  # a store that suspends may race a change
                self._routes[bus] = routes
        return routes

    async def _deliveries(self, bus: str, event: dict[str, Any], now: float) -> list[NewDelivery]:
        text = json.dumps(event)
        out: list[NewDelivery] = []
        for route in await self._routes_of(bus):
            if route.pattern.matches(event):
                for target in route.targets:
                    payload = target_payload(target, event, route.rule.name, route.arn, now)
                    out.append(NewDelivery(route.arn, target, text, payload, now, now))
        return out

    async def put_entries(self, entries: Sequence[Mapping[str, Any]]) -> list[dict[str, str]]:
        """PutEvents: one result per entry, every accepted event committed before return."""
        if sum(entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
            raise ValidationException("Total size of the entries in the request is over the limit.")
        now = self._clock.now()
        results: list[dict[str, str]] = []
        deliveries: list[NewDelivery] = []
        for entry in entries:
            error = entry_error(entry)
            if error is not None:
                results.append({"ErrorCode": error[0], "ErrorMessage": error[1]})
                continue
            event_id = str(uuid.uuid4())
            results.append({"EventId": event_id})
            bus = bus_name(entry.get("EventBusName"))
            if await self._store.get_bus(bus) is None:
                continue  # AWS accepts an event for a bus that does not exist, and drops it
            event = build_event(entry, event_id, now, self._arns.region, self._arns.account)
            deliveries.extend(await self._deliveries(bus, event, now))
        await self._commit(deliveries)
        return results

    async def put_event(self, bus: str, document: Mapping[str, Any]) -> str:
        """EventPutter: one event from another service (a bus target, a destination)."""
        entry = as_entry(document)
        name = bus_name(bus)
        if await self._store.get_bus(name) is None:
            raise ResourceNotFoundException(f"Event bus {name} does not exist.")
        error = entry_error(entry)
        if error is not None:
            raise ValidationException(error[1])
        now = self._clock.now()
        event_id = str(uuid.uuid4())
        event = build_event(entry, event_id, now, self._arns.region, self._arns.account)
        await self._commit(await self._deliveries(name, event, now))
        return event_id

    async def fire(self, rule: Rule, slot: float) -> None:
        """A scheduled rule's slot: the Scheduled Event goes to that rule's targets only."""
        now = self._clock.now()
        arn = self._arns.rule(rule.bus, rule.name)
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._arns.account,
            "time": iso_time(slot),
            "region": self._arns.region,
            "resources": [arn],
            "detail": {},
        }
        text = json.dumps(event)
        deliveries = [
            NewDelivery(
                arn, target, text, target_payload(target, event, rule.name, arn, now), now, now
            )
            for target in await self._store.targets(rule.bus, rule.name)
        ]
        await self._store.fire_slot(rule.bus, rule.name, slot, deliveries)
        if deliveries:
            self._on_enqueued()

    async def _commit(self, deliveries: list[NewDelivery]) -> None:
        if deliveries:
            await self._store.enqueue(deliveries)
            self._on_enqueued()
