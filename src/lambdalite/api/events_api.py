"""Amazon EventBridge over the json 1.1 protocol (``AWSEvents.<Operation>``).

Params arrive decoded and checked against botocore's events model; these handlers turn them
into calls on ``platform.events`` (services/events) and its records into wire shapes."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.patterns import compile_pattern
from lambdalite.platform import Platform
from lambdalite.services.events import EventsService
from lambdalite.services.events.errors import ValidationException
from lambdalite.services.events.model import Bus, Rule
from lambdalite.services.events.service import check_pattern

_TEST_EVENT_FIELDS = ("id", "account", "source", "time", "region", "resources", "detail-type")


def _events(p: Platform) -> EventsService:
    return p.events


def _page(params: dict[str, Any]) -> tuple[str, int]:
    token = params.get("NextToken")
    limit = int(params.get("Limit") or 100)
    if token is None:
        return "", limit
    try:
        return base64.urlsafe_b64decode(token.encode()).decode(), limit
    except ValueError:
        raise ValidationException("The NextToken provided is invalid.") from None


def _next(names: list[str], limit: int) -> dict[str, str]:
    if len(names) < limit or not names:
        return {}
    return {"NextToken": base64.urlsafe_b64encode(names[-1].encode()).decode()}


def _bus_shape(p: Platform, bus: Bus) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Name": bus.name,
        "Arn": _events(p).arns.bus(bus.name),
        "CreationTime": datetime.fromtimestamp(bus.created_at, UTC),
        "LastModifiedTime": datetime.fromtimestamp(bus.modified_at, UTC),
    }
    if bus.description:
        shape["Description"] = bus.description
    return shape


def _rule_shape(p: Platform, rule: Rule) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Name": rule.name,
        "Arn": _events(p).rule_arn(rule),
        "State": rule.state,
        "EventBusName": rule.bus,
    }
    optional = {
        "EventPattern": rule.event_pattern,
        "ScheduleExpression": rule.schedule,
        "Description": rule.description,
        "RoleArn": rule.role_arn,
    }
    shape.update({k: v for k, v in optional.items() if v})
    return shape


async def create_event_bus(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    bus = await _events(p).create_bus(params["Name"], params.get("Description"))
    out: dict[str, Any] = {"EventBusArn": _events(p).arns.bus(bus.name)}
    if bus.description:
        out["Description"] = bus.description
    return out


async def delete_event_bus(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).delete_bus(params["Name"])
    return {}


async def describe_event_bus(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return _bus_shape(p, await _events(p).bus(params.get("Name")))


async def list_event_buses(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    after, limit = _page(params)
    buses = await _events(p).list_buses(params.get("NamePrefix") or "", after, limit)
    return {
        "EventBuses": [_bus_shape(p, b) for b in buses],
        **_next([b.name for b in buses], limit),
    }


async def put_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    rule = await _events(p).put_rule(params)
    return {"RuleArn": _events(p).rule_arn(rule)}


async def describe_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    rule = await _events(p).rule(params["Name"], params.get("EventBusName"))
    return {**_rule_shape(p, rule), "CreatedBy": p.settings.account_id}


async def enable_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).set_state(params["Name"], params.get("EventBusName"), "ENABLED")
    return {}


async def disable_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).set_state(params["Name"], params.get("EventBusName"), "DISABLED")
    return {}


async def delete_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).delete_rule(params["Name"], params.get("EventBusName"))
    return {}


async def list_rules(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    after, limit = _page(params)
    rules = await _events(p).list_rules(
        params.get("EventBusName"), params.get("NamePrefix") or "", after, limit
    )
    return {"Rules": [_rule_shape(p, r) for r in rules], **_next([r.name for r in rules], limit)}


async def put_targets(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).put_targets(params["Rule"], params.get("EventBusName"), params["Targets"])
    return {"FailedEntryCount": 0, "FailedEntries": []}


async def remove_targets(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _events(p).remove_targets(params["Rule"], params.get("EventBusName"), params["Ids"])
    return {"FailedEntryCount": 0, "FailedEntries": []}


async def list_targets_by_rule(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    after, limit = _page(params)
    targets = await _events(p).targets(params["Rule"], params.get("EventBusName"))
    start = next((i + 1 for i, t in enumerate(targets) if t["Id"] == after), 0) if after else 0
    page = targets[start : start + limit]
    return {"Targets": page, **_next([t["Id"] for t in page], limit)}


async def put_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    results = await _events(p).publisher.put_entries(params["Entries"])
    failed = sum(1 for r in results if "ErrorCode" in r)
    return {"FailedEntryCount": failed, "Entries": results}


async def test_event_pattern(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    check_pattern(params["EventPattern"])
    try:
        event = json.loads(params["Event"])
    except ValueError:
        event = None
    if not isinstance(event, dict) or any(f not in event for f in _TEST_EVENT_FIELDS):
        raise ValidationException("Parameter Event is not valid.")
    pattern = compile_pattern(params["EventPattern"], dialect="eventbridge")
    return {"Result": pattern.matches(event)}


OPERATIONS: dict[str, Operation] = {
    "CreateEventBus": create_event_bus,
    "DeleteEventBus": delete_event_bus,
    "DescribeEventBus": describe_event_bus,
    "ListEventBuses": list_event_buses,
    "PutRule": put_rule,
    "DescribeRule": describe_rule,
    "EnableRule": enable_rule,
    "DisableRule": disable_rule,
    "DeleteRule": delete_rule,
    "ListRules": list_rules,
    "PutTargets": put_targets,
    "RemoveTargets": remove_targets,
    "ListTargetsByRule": list_targets_by_rule,
    "PutEvents": put_events,
    "TestEventPattern": test_event_pattern,
}
SERVICE = ServiceSpec("events", "json", OPERATIONS)
