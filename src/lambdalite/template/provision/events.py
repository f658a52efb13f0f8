"""AWS::Events::EventBus, AWS::Events::Rule, and AWS::Scheduler::Schedule.

EventBridge Scheduler is not served: a schedule becomes an EventBridge rule with the same
rate/cron expression and its target, which fires on the same clock (services/events/
schedule.py); one-time `at(...)` schedules and time zones other than UTC are warned about.
"""

from __future__ import annotations

import json
from typing import Any

from lambdalite.template.provision.base import Env, Provisioned, Request, check_properties
from lambdalite.template.state import ResourceState

_TARGET_MEMBERS = (
    "Id", "Arn", "Input", "InputPath", "InputTransformer", "RetryPolicy", "DeadLetterConfig",
    "SqsParameters", "RoleArn",
)  # fmt: skip
_RULE_PROPS = frozenset(
    {"Name", "EventBusName", "EventPattern", "ScheduleExpression", "State", "Description",
     "Targets", "RoleArn"}
)  # fmt: skip


class EventBusProvisioner:
    replace_on = frozenset({"Name"})

    def create(self, env: Env, request: Request) -> Provisioned:
        check_properties(env, request, frozenset({"Name", "Tags", "Description"}))
        name = request.properties["Name"]
        arn = env.client("events").create_event_bus(Name=name)["EventBusArn"]
        return Provisioned(name, {"Arn": arn, "Name": name})

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return Provisioned(old.physical_id, old.attributes)

    def delete(self, env: Env, old: ResourceState) -> None:
        env.client("events").delete_event_bus(Name=old.physical_id)


def _targets(targets: Any) -> list[dict[str, Any]]:
    out = []
    for target in targets or []:
        item = {k: target[k] for k in _TARGET_MEMBERS if k in target}
        if isinstance(item.get("Input"), dict):
            item["Input"] = json.dumps(item["Input"])
        out.append(item)
    return out


def put_rule(env: Env, name: str, props: Any) -> str:
    events = env.client("events")
    params: dict[str, Any] = {"Name": name}
    for key in ("EventBusName", "ScheduleExpression", "State", "Description", "RoleArn"):
        if key in props:
            params[key] = props[key]
    if "EventPattern" in props:
        pattern = props["EventPattern"]
        params["EventPattern"] = pattern if isinstance(pattern, str) else json.dumps(pattern)
    arn = str(events.put_rule(**params)["RuleArn"])
    bus = {"EventBusName": props["EventBusName"]} if "EventBusName" in props else {}
    current = events.list_targets_by_rule(Rule=name, **bus)["Targets"]
    wanted = _targets(props.get("Targets"))
    stale = [t["Id"] for t in current if t["Id"] not in {w["Id"] for w in wanted}]
    if stale:
        events.remove_targets(Rule=name, Ids=stale, **bus)
    if wanted:
        events.put_targets(Rule=name, Targets=wanted, **bus)
    return arn


def delete_rule(env: Env, name: str, bus: str | None) -> None:
    events = env.client("events")
    extra = {"EventBusName": bus} if bus else {}
    ids = [t["Id"] for t in events.list_targets_by_rule(Rule=name, **extra)["Targets"]]
    if ids:
        events.remove_targets(Rule=name, Ids=ids, **extra)
    events.delete_rule(Name=name, **extra)


class RuleProvisioner:
    replace_on = frozenset({"Name", "EventBusName"})

    def create(self, env: Env, request: Request) -> Provisioned:
        check_properties(env, request, _RULE_PROPS)
        name = request.properties.get("Name") or env.physical_name(request.logical_id)
        return self._put(env, name, request)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        check_properties(env, request, _RULE_PROPS)
        return self._put(env, old.attributes["Name"], request)

    def delete(self, env: Env, old: ResourceState) -> None:
        delete_rule(env, old.attributes["Name"], old.properties.get("EventBusName"))

    @staticmethod
    def _put(env: Env, name: str, request: Request) -> Provisioned:
        arn = put_rule(env, name, request.properties)
        bus = request.properties.get("EventBusName")
        ref = f"{bus}|{name}" if bus and bus != "default" else name
        return Provisioned(ref, {"Arn": arn, "Name": name})


class ScheduleProvisioner:
    replace_on = frozenset({"Name", "GroupName"})
    _KNOWN = frozenset(
        {"Name", "ScheduleExpression", "Target", "State", "Description", "FlexibleTimeWindow",
         "ScheduleExpressionTimezone", "GroupName"}
    )  # fmt: skip

    def create(self, env: Env, request: Request) -> Provisioned:
        name = request.properties.get("Name") or env.physical_name(request.logical_id)
        return self._put(env, name, request)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return self._put(env, old.attributes["Name"], request)

    def delete(self, env: Env, old: ResourceState) -> None:
        delete_rule(env, old.attributes["Name"], None)

    def _put(self, env: Env, name: str, request: Request) -> Provisioned:
        props = request.properties
        check_properties(env, request, self._KNOWN)
        expression = str(props.get("ScheduleExpression", ""))
        if expression.startswith("at("):
            raise request.fail("one-time at(...) schedules are not emulated")
        zone = props.get("ScheduleExpressionTimezone")
        if zone not in (None, "UTC", "Etc/UTC"):
            env.warn(f"AWS::Scheduler::Schedule {request.logical_id}: time zone {zone} runs as UTC")
        target = dict(props.get("Target") or {})
        rule_target = {k: target[k] for k in ("Arn", "Input", "RetryPolicy", "DeadLetterConfig")
                       if k in target}  # fmt: skip
        rule_target["Id"] = "schedule-target"
        state = "DISABLED" if props.get("State") == "DISABLED" else "ENABLED"
        rule = {"ScheduleExpression": expression, "State": state, "Targets": [rule_target]}
        put_rule(env, name, rule)
        group = props.get("GroupName", "default")
        arn = f"arn:aws:scheduler:{env.region}:{env.account_id}:schedule/{group}/{name}"
        return Provisioned(name, {"Arn": arn, "Name": name})
