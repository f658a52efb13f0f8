"""CloudWatch Logs (awsJson1_1, ``Logs_20140328``): groups, streams, retention and tags
here; events and subscription filters in logs_events_api.py.

Served through ``dispatch``: params arrive decoded and checked against botocore's logs
model, so handlers only map wire members to the service in logs/ and back. Errors are
CloudWatch's own (logs/errors.py), raised by the service."""

from __future__ import annotations

from typing import Any

from lambdalite.api import logs_events_api as ev
from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.api.logs_shapes import group_of, group_shape, stream_shape, token_of
from lambdalite.logs.errors import InvalidParameterException
from lambdalite.platform import Platform


async def create_log_group(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.create_group(
        params["logGroupName"], params.get("tags"), params.get("logGroupClass")
    )
    return {}


async def delete_log_group(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.delete_group(params["logGroupName"])
    return {}


async def describe_log_groups(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.cloudwatch_logs.catalog.describe_groups(
        params.get("logGroupNamePrefix"),
        params.get("logGroupNamePattern"),
        token_of(params),
        params.get("limit"),
    )
    s = p.settings
    doc: dict[str, Any] = {
        "logGroups": [group_shape(g, s.region, s.account_id) for g in page.items]
    }
    if page.next_token:
        doc["nextToken"] = page.next_token
    return doc


async def create_log_stream(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.create_stream(params["logGroupName"], params["logStreamName"])
    return {}


async def delete_log_stream(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.delete_stream(params["logGroupName"], params["logStreamName"])
    return {}


async def describe_log_streams(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.cloudwatch_logs.catalog.describe_streams(
        group_of(params),
        prefix=params.get("logStreamNamePrefix"),
        order_by=params.get("orderBy"),
        descending=bool(params.get("descending", False)),
        token=token_of(params),
        limit=params.get("limit"),
    )
    s = p.settings
    doc: dict[str, Any] = {
        "logStreams": [stream_shape(st, s.region, s.account_id) for st in page.items]
    }
    if page.next_token:
        doc["nextToken"] = page.next_token
    return doc


async def put_retention_policy(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.set_retention(params["logGroupName"], params["retentionInDays"])
    return {}


async def delete_retention_policy(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.set_retention(params["logGroupName"], None)
    return {}


async def tag_log_group(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.tag(params["logGroupName"], params["tags"])
    return {}


async def untag_log_group(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.untag(params["logGroupName"], params["tags"])
    return {}


async def list_tags_log_group(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    group = await p.cloudwatch_logs.catalog.require_group(params["logGroupName"])
    return {"tags": group.tags}


def _arn_group(arn: str) -> str:
    if ":log-group:" not in arn:
        raise InvalidParameterException(f"Invalid resource ARN: {arn}")
    return group_of({"logGroupIdentifier": arn})


async def tag_resource(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.tag(_arn_group(params["resourceArn"]), params["tags"])
    return {}


async def untag_resource(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.catalog.untag(_arn_group(params["resourceArn"]), params["tagKeys"])
    return {}


async def list_tags_for_resource(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    group = await p.cloudwatch_logs.catalog.require_group(_arn_group(params["resourceArn"]))
    return {"tags": group.tags}


OPERATIONS: dict[str, Operation] = {
    "CreateLogGroup": create_log_group,
    "DeleteLogGroup": delete_log_group,
    "DescribeLogGroups": describe_log_groups,
    "CreateLogStream": create_log_stream,
    "DeleteLogStream": delete_log_stream,
    "DescribeLogStreams": describe_log_streams,
    "PutRetentionPolicy": put_retention_policy,
    "DeleteRetentionPolicy": delete_retention_policy,
    "TagLogGroup": tag_log_group,
    "UntagLogGroup": untag_log_group,
    "ListTagsLogGroup": list_tags_log_group,
    "TagResource": tag_resource,
    "UntagResource": untag_resource,
    "ListTagsForResource": list_tags_for_resource,
    "GetLogEvents": ev.get_log_events,
    "FilterLogEvents": ev.filter_log_events,
    "PutLogEvents": ev.put_log_events,
    "PutSubscriptionFilter": ev.put_subscription_filter,
    "DescribeSubscriptionFilters": ev.describe_subscription_filters,
    "DeleteSubscriptionFilter": ev.delete_subscription_filter,
}
SERVICE = ServiceSpec("logs", "json", OPERATIONS)
