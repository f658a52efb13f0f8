"""A CloudWatch Logs subset over the function logs: enough for `aws logs tail`,
`filter-log-events`, `get-log-events` and `lambdalite logs`.

Served through ``dispatch`` with the json protocol (1.1, ``Logs_20140328``): params arrive
decoded and checked against botocore's logs model, so the handlers only check what the
model cannot say (one of logGroupName / logGroupIdentifier, token format)."""

from __future__ import annotations

from typing import Any

from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.errors import AwsError
from lambdalite.logs.store import StoredLogEvent
from lambdalite.platform import Platform


class LogsResourceNotFound(AwsError):
    """The specified log group does not exist."""

    code = "ResourceNotFoundException"
    has_type = False


class InvalidParameterException(AwsError):
    """A parameter is specified incorrectly."""

    has_type = False


def _group(params: dict[str, Any]) -> str:
    group = params.get("logGroupName") or params.get("logGroupIdentifier")
    if not isinstance(group, str) or not group:
        raise InvalidParameterException("logGroupName is required")
    return group


def _token(params: dict[str, Any]) -> int:
    token = params.get("nextToken")
    if token is None:
        return 0
    if not isinstance(token, str) or not token.startswith("f/") or not token[2:].isdigit():
        raise InvalidParameterException("The specified nextToken is invalid.")
    return int(token[2:])


async def filter_log_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    limit = int(params.get("limit", 10_000))
    events = await p.backend.logs.events(
        _group(params),
        stream_prefix=params.get("logStreamNamePrefix"),
        start_ms=params.get("startTime"),
        end_ms=params.get("endTime"),
        after_id=_token(params),
        limit=limit,
    )
    pattern = params.get("filterPattern") or ""
    terms = [t.strip('"') for t in pattern.split() if t]
    wanted = params.get("logStreamNames")
    matched = [
        e
        for e in events
        if all(t in e.message for t in terms) and (not wanted or e.log_stream in wanted)
    ]
    doc: dict[str, Any] = {"events": [_filtered(e) for e in matched], "searchedLogStreams": []}
    if len(events) == limit:
        doc["nextToken"] = f"f/{events[-1].event_id}"
    return doc


def _filtered(e: StoredLogEvent) -> dict[str, Any]:
    return {
        "logStreamName": e.log_stream,
        "timestamp": e.timestamp_ms,
        "message": e.message,
        "ingestionTime": e.ingestion_ms,
        "eventId": str(e.event_id),
    }


async def get_log_events(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    stream = params.get("logStreamName")
    if not isinstance(stream, str):
        raise InvalidParameterException("logStreamName is required")
    after = _token(params)
    events = await p.backend.logs.events(
        _group(params),
        stream_prefix=stream,
        start_ms=params.get("startTime"),
        end_ms=params.get("endTime"),
        after_id=after,
        limit=int(params.get("limit", 10_000)),
    )
    events = [e for e in events if e.log_stream == stream]
    last = events[-1].event_id if events else after
    return {
        "events": [
            {"timestamp": e.timestamp_ms, "message": e.message, "ingestionTime": e.ingestion_ms}
            for e in events
        ],
        "nextForwardToken": f"f/{last}",
        "nextBackwardToken": f"b/{after}",
    }


async def describe_log_streams(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    streams = await p.backend.logs.streams(_group(params))
    prefix = params.get("logStreamNamePrefix") or ""
    return {
        "logStreams": [
            {
                "logStreamName": name,
                "creationTime": first,
                "firstEventTimestamp": first,
                "lastEventTimestamp": last,
                "lastIngestionTime": last,
                "storedBytes": 0,
                "arn": f"arn:aws:logs:{p.settings.region}:{p.settings.account_id}:log-group:"
                f"{_group(params)}:log-stream:{name}",
            }
            for name, first, last in streams
            if name.startswith(prefix)
        ]
    }


OPERATIONS: dict[str, Operation] = {
    "FilterLogEvents": filter_log_events,
    "GetLogEvents": get_log_events,
    "DescribeLogStreams": describe_log_streams,
}
SERVICE = ServiceSpec("logs", "json", OPERATIONS)
