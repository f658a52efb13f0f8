"""S3 event notifications: which configured destinations an event goes to, and the record
they get (spec 6.4).

The configuration is the bucket's own, as PutBucketNotificationConfiguration stored it in
moto (it lives and dies with the bucket); lambdalite matches events against it and builds
the records, and moto's own notification sending is left unused.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from lambdalite.services.moto_backend.s3_events import ObjectEvent

SUBJECT = "Amazon S3 Notification"


@dataclass(frozen=True, slots=True)
class Destination:
    configuration_id: str
    arn: str  # a function, queue or topic
    events: tuple[str, ...]  # "s3:ObjectCreated:*", "s3:ObjectRemoved:Delete", ...
    prefix: str | None = None
    suffix: str | None = None

    def wants(self, event_name: str, key: str) -> bool:
        family = event_name.split(":", 1)[0]
        named = f"s3:{event_name}" in self.events or f"s3:{family}:*" in self.events
        if not named:
            return False
        if self.prefix is not None and not key.startswith(self.prefix):
            return False
        return self.suffix is None or key.endswith(self.suffix)


def destinations(configuration: Any) -> list[Destination]:
    """The Lambda, queue and topic destinations of moto's NotificationConfiguration."""
    if configuration is None:
        return []
    found = []
    for group in ("cloud_function", "queue", "topic"):
        for item in getattr(configuration, group, None) or ():
            rules = _rules(item.filters or {})
            found.append(
                Destination(
                    str(item.id),
                    str(item.arn),
                    tuple(item.events),
                    rules.get("prefix"),
                    rules.get("suffix"),
                )  # fmt: skip
            )
    return found


def _rules(filters: dict[str, Any]) -> dict[str, str]:
    rules = (filters.get("S3Key") or {}).get("FilterRule") or []
    if isinstance(rules, dict):  # one rule parses as a mapping, several as a list
        rules = [rules]
    return {str(r["Name"]).lower(): str(r["Value"]) for r in rules}


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """Who asked, and how S3 answered: what every record of one request shares."""

    account_id: str
    region: str
    bucket: str
    principal: str  # the caller's access key id
    source_ip: str
    request_id: str
    host_id: str
    time: float  # epoch seconds, platform clock


def owner_id(account_id: str) -> str:
    """A stable stand-in for the bucket owner's canonical id (S3 shows a short form)."""
    return "A" + hashlib.sha256(account_id.encode()).hexdigest()[:13].upper()


def record(event: ObjectEvent, destination: Destination, facts: RequestFacts) -> dict[str, Any]:
    obj: dict[str, Any] = {"key": quote_plus(event.key, safe="/")}
    if event.size is not None:
        obj["size"] = event.size
    if event.etag is not None:
        obj["eTag"] = event.etag
    if event.version_id is not None:
        obj["versionId"] = event.version_id
    obj["sequencer"] = event.sequencer
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": facts.region,
        "eventTime": _iso(facts.time),
        "eventName": event.event_name,
        "userIdentity": {"principalId": f"AWS:{facts.principal}"},
        "requestParameters": {"sourceIPAddress": facts.source_ip},
        "responseElements": {
            "x-amz-request-id": facts.request_id,
            "x-amz-id-2": facts.host_id,
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": destination.configuration_id,
            "bucket": {
                "name": facts.bucket,
                "ownerIdentity": {"principalId": owner_id(facts.account_id)},
                "arn": f"arn:aws:s3:::{facts.bucket}",
            },
            "object": obj,
        },
    }


def deliveries(
    events: Sequence[ObjectEvent], targets: Iterable[Destination], facts: RequestFacts
) -> list[tuple[str, dict[str, Any]]]:
    """(destination ARN, notification document) for each event and destination it matches:
    one record per notification, as S3 sends them."""
    targets = list(targets)
    out = []
    for event in events:
        for target in targets:
            if target.wants(event.event_name, event.key):
                out.append((target.arn, {"Records": [record(event, target, facts)]}))
    return out


def test_event(facts: RequestFacts) -> dict[str, Any]:
    return {
        "Service": "Amazon S3",
        "Event": "s3:TestEvent",
        "Time": _iso(facts.time),
        "Bucket": facts.bucket,
        "RequestId": facts.request_id,
        "HostId": facts.host_id,
    }


def _iso(epoch: float) -> str:
    stamp = datetime.fromtimestamp(epoch, UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"
