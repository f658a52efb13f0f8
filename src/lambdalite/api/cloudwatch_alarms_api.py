"""CloudWatch alarms: PutMetricAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
SetAlarmState (observe/metrics/alarms.py keeps and evaluates them on the clock)."""

from __future__ import annotations

from typing import Any

from lambdalite.api.dispatch import Operation
from lambdalite.platform import Platform


async def put_metric_alarm(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.metrics.alarms.put(params)
    return {}


async def describe_alarms(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    types = params.get("AlarmTypes") or ["MetricAlarm"]
    alarms = p.metrics.alarms.describe(params) if "MetricAlarm" in types else []
    return {"MetricAlarms": alarms, "CompositeAlarms": []}


async def describe_alarms_for_metric(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return {"MetricAlarms": p.metrics.alarms.for_metric(params)}


async def delete_alarms(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.metrics.alarms.delete(params["AlarmNames"])
    return {}


async def set_alarm_state(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.metrics.alarms.set_state(params)
    return {}


OPERATIONS: dict[str, Operation] = {
    "PutMetricAlarm": put_metric_alarm,
    "DescribeAlarms": describe_alarms,
    "DescribeAlarmsForMetric": describe_alarms_for_metric,
    "DeleteAlarms": delete_alarms,
    "SetAlarmState": set_alarm_state,
}
