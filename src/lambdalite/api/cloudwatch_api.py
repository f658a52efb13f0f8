"""CloudWatch metrics (botocore's ``cloudwatch`` model, endpoint prefix ``monitoring``):
GetMetricData, GetMetricStatistics, ListMetrics, PutMetricData, and the alarm operations
of ``cloudwatch_alarms_api``.

Served through ``dispatch`` over awsJson 1.0 (``GraniteServiceVersion20100801``, what
botocore 1.42.7+ and aws-cli pick) and over query (``Action=...``, older SDKs); errors
carry ``x-amzn-query-error`` so boto3 reports the query codes (InvalidParameterValue ...).
The logic lives in observe/metrics; these handlers only read the platform clock and fold
what the outcome boundary recorded so far."""

from __future__ import annotations

from typing import Any

from lambdalite.api import cloudwatch_alarms_api
from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.observe.metrics import custom, metric_data, query
from lambdalite.platform import Platform


async def get_metric_statistics(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return query.metric_statistics(p.metrics.fresh(), params)


async def get_metric_data(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return metric_data.metric_data(p.metrics.fresh(), params)


async def list_metrics(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return custom.list_metrics(p.metrics.fresh(), params, p.clock.now())


async def put_metric_data(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    custom.put_metric_data(p.metrics.registry, params, p.clock.now())
    return {}


OPERATIONS: dict[str, Operation] = {
    "GetMetricStatistics": get_metric_statistics,
    "GetMetricData": get_metric_data,
    "ListMetrics": list_metrics,
    "PutMetricData": put_metric_data,
    **cloudwatch_alarms_api.OPERATIONS,
}
SERVICE = ServiceSpec("cloudwatch", "json", OPERATIONS)
