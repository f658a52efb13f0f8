"""CloudWatch Logs operations on events and subscription filters (wire shapes only; the
rules live in logs/events.py and logs/subscriptions.py)."""

from __future__ import annotations

from typing import Any

from lambdalite.api.logs_shapes import UPLOAD_SEQUENCE_TOKEN, group_of, token_of
from lambdalite.logs.store import StoredLogEvent, SubscriptionFilter
from lambdalite.logs.tokens import event_id
from lambdalite.platform import Platform


async def get_log_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.cloudwatch_logs.events.get(
        group_of(params),
        params["logStreamName"],
        start_ms=params.get("startTime"),
        end_ms=params.get("endTime"),
        limit=params.get("limit"),
        start_from_head=bool(params.get("startFromHead", False)),
        token=token_of(params),
    )
    return {
        "events": [
            {"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms}
            for e in page.events
        ],
        "nextForwardToken": page.forward,
        "nextBackwardToken": page.backward,
    }


async def filter_log_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.cloudwatch_logs.events.filter(
        group_of(params),
        streams=params.get("logStreamNames"),
        stream_prefix=params.get("logStreamNamePrefix"),
        start_ms=params.get("startTime"),
        end_ms=params.get("endTime"),
        pattern=params.get("filterPattern"),
        limit=params.get("limit"),
        token=token_of(params),
    )
    doc: dict[str, Any] = {"events": [_filtered(e) for e in page.events], "searchedLogStreams": []}
    if page.next_token is not None:
        doc["nextToken"] = page.next_token
    return doc


def _filtered(e: StoredLogEvent) -> dict[str, Any]:
    return {
        "logStreamName": e.log_stream,
        "timestamp": e.timestamp_ms,
        "message": e.message,
        "ingestionTime": e.ingestion_ms,
        "eventId": event_id(e.event_id),
    }


async def put_log_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    result = await p.cloudwatch_logs.events.put(
        group_of(params), params["logStreamName"], params["logEvents"]
    )
    doc: dict[str, Any] = {"nextSequenceToken": UPLOAD_SEQUENCE_TOKEN}  # deprecated; ignored
    if result.rejected:
        doc["rejectedLogEventsInfo"] = result.rejected
    return doc


async def put_subscription_filter(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.subscriptions.put(
        params["logGroupName"],
        params["filterName"],
        params["filterPattern"],
        params["destinationArn"],
        params.get("roleArn"),
        params.get("distribution"),
    )
    return {}


async def describe_subscription_filters(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.cloudwatch_logs.subscriptions.describe(
        params["logGroupName"], params.get("filterNamePrefix"), token_of(params),
        params.get("limit"),
    )  # fmt: skip
    doc: dict[str, Any] = {"subscriptionFilters": [_subscription(f) for f in page.items]}
    if page.next_token:
        doc["nextToken"] = page.next_token
    return doc


def _subscription(f: SubscriptionFilter) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "filterName": f.name,
        "logGroupName": f.log_group,
        "filterPattern": f.filter_pattern,
        "destinationArn": f.destination_arn,
        "distribution": f.distribution,
        "creationTime": f.creation_ms,
    }
    if f.role_arn:
        doc["roleArn"] = f.role_arn
    return doc


async def delete_subscription_filter(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.cloudwatch_logs.subscriptions.delete(params["logGroupName"], params["filterName"])
    return {}
