"""EventBridge on the resources screen (S6): the buses, and one bus's rules with their
pattern or schedule, state, next fire time on the platform clock, and targets with their
retry policy and dead-letter queue."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.console.links import resource_path
from lambdalite.platform import Platform
from lambdalite.services.events.model import Bus, Rule
from lambdalite.services.events.schedule import ScheduleError, parse_schedule

PAGE = 100


async def all_buses(p: Platform) -> list[Bus]:
    found: list[Bus] = []
    while True:
        page = await p.events.list_buses("", found[-1].name if found else "", PAGE)
        found += page
        if len(page) < PAGE:
            return found


async def all_rules(p: Platform, bus: str) -> list[Rule]:
    found: list[Rule] = []
    while True:
        page = await p.events.list_rules(bus, "", found[-1].name if found else "", PAGE)
        found += page
        if len(page) < PAGE:
            return found


async def bus_row(p: Platform, bus: Bus) -> dict[str, Any]:
    rules = await all_rules(p, bus.name)
    return {
        "name": bus.name,
        "arn": p.events.arns.bus(bus.name),
        "description": bus.description,
        "rules": len(rules),
        "schedules": sum(1 for r in rules if r.schedule),
    }


def next_fire(rule: Rule, now: float) -> float | None:
    """When the scheduler fires this rule next (scheduler.py's own arithmetic), None for a
    pattern rule, a disabled one or an expression with no future slot."""
    if not rule.schedule or not rule.enabled:
        return None
    try:
        schedule = parse_schedule(rule.schedule)
    except ScheduleError:
        return None
    since = rule.last_fired if rule.last_fired is not None else rule.anchor
    return schedule.next_after(max(now, since), rule.anchor)


def _target(t: dict[str, Any]) -> dict[str, Any]:
    dead_letter = (t.get("DeadLetterConfig") or {}).get("Arn")
    return {
        "id": t.get("Id"),
        "arn": t.get("Arn"),
        "link": resource_path(t.get("Arn")),
        "retryPolicy": t.get("RetryPolicy"),
        "deadLetterArn": dead_letter,
        "deadLetterLink": resource_path(dead_letter),
        "input": t.get("Input"),
        "inputPath": t.get("InputPath"),
        "inputTransformer": t.get("InputTransformer"),
    }


async def _rule(p: Platform, rule: Rule, now: float) -> dict[str, Any]:
    pattern: Any = None
    if rule.event_pattern:
        try:
            pattern = json.loads(rule.event_pattern)
        except ValueError:
            pattern = rule.event_pattern
    upcoming = next_fire(rule, now)
    return {
        "name": rule.name,
        "arn": p.events.rule_arn(rule),
        "state": rule.state,
        "description": rule.description,
        "eventPattern": pattern,
        "scheduleExpression": rule.schedule,
        "lastFired": rule.last_fired,
        "nextFire": upcoming,
        "nextFireIn": None if upcoming is None else round(upcoming - now, 3),
        "targets": [_target(t) for t in await p.events.targets(rule.name, rule.bus)],
    }


async def bus_detail(p: Platform, name: str) -> dict[str, Any]:
    bus = await p.events.bus(name)  # ResourceNotFoundException when there is none
    now = p.clock.now()
    rules = [await _rule(p, r, now) for r in await all_rules(p, bus.name)]
    return {**await bus_row(p, bus), "createdAt": bus.created_at, "ruleList": rules}
