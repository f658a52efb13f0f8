"""CloudWatch alarms: PutMetricAlarm, DescribeAlarms, DeleteAlarms, SetAlarmState,
DescribeAlarmsForMetric (observe/metrics/alarms.py evaluates them on the clock)."""

from __future__ import annotations

from lambdalite.api.dispatch import Operation

OPERATIONS: dict[str, Operation] = {}
