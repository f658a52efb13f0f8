"""What every CloudWatch Logs handler reads the same way: the log group (by name or by
identifier, which may be an ARN), tokens, and the groups' and streams' wire shapes."""

from __future__ import annotations

from typing import Any

from lambdalite.logs.errors import InvalidParameterException
from lambdalite.logs.store import LogGroupInfo, LogStreamInfo

UPLOAD_SEQUENCE_TOKEN = "49039859613988223625323429542423470546565226011335393170"


def group_of(params: dict[str, Any]) -> str:
    name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
    if name and identifier:
        raise InvalidParameterException(
            "LogGroup name and LogGroup ARN are mutually exclusive parameters."
        )
    group = name or identifier
    if not isinstance(group, str) or not group:
        raise InvalidParameterException("Should provide either name or ARN for the log group.")
    if group.startswith("arn:"):  # arn:aws:logs:<region>:<account>:log-group:<name>[:*]
        group = group.split(":log-group:", 1)[-1].removesuffix(":*")
    return group


def token_of(params: dict[str, Any]) -> str | None:
    token = params.get("nextToken")
    return token if isinstance(token, str) else None


def group_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{name}"


def group_shape(g: LogGroupInfo, region: str, account: str) -> dict[str, Any]:
    arn = group_arn(region, account, g.name)
    doc: dict[str, Any] = {
        "logGroupName": g.name,
        "creationTime": g.creation_ms,
        "metricFilterCount": 0,
        "arn": f"{arn}:*",
        "storedBytes": g.stored_bytes,
        "logGroupClass": g.log_group_class,
        "logGroupArn": arn,
    }
    if g.retention_days is not None:
        doc["retentionInDays"] = g.retention_days
    return doc


def stream_shape(s: LogStreamInfo, region: str, account: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "logStreamName": s.name,
        "creationTime": s.creation_ms,
        "arn": f"{group_arn(region, account, s.log_group)}:log-stream:{s.name}",
        "storedBytes": 0,  # deprecated: AWS answers 0
        "uploadSequenceToken": UPLOAD_SEQUENCE_TOKEN,
    }
    for key, value in (
        ("firstEventTimestamp", s.first_event_ms),
        ("lastEventTimestamp", s.last_event_ms),
        ("lastIngestionTime", s.last_ingestion_ms),
    ):
        if value is not None:
            doc[key] = value
    return doc
