"""What an answered S3 request did to objects: the notification events it raises.

Decided from the request and moto's answer (pure), then completed from moto's state on
moto's thread right after the request (size, ETag, version), so that a write that follows
cannot change what the event reports.
"""

from __future__ import annotations

import itertools
import time
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from lambdalite.services.moto_backend.routes import S3Target

PUT = "ObjectCreated:Put"
COPY = "ObjectCreated:Copy"
COMPLETE_MULTIPART = "ObjectCreated:CompleteMultipartUpload"
DELETE = "ObjectRemoved:Delete"
DELETE_MARKER = "ObjectRemoved:DeleteMarkerCreated"
_sequence = itertools.count(time.time_ns())  # sequencers only grow, also across restarts


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    event_name: str
    key: str
    size: int | None = None  # created objects only
    etag: str | None = None
    version_id: str | None = None
    sequencer: str = ""


def object_events(
    method: str,
    target: S3Target,
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    status: int,
    answer_headers: Mapping[str, str],
    answer_body: bytes,
) -> list[ObjectEvent]:
    """The events an answered request raises (none for a failed or read-only one)."""
    if not 200 <= status < 300 or target.bucket is None:
        return []
    key = target.key
    if key is None:
        if method == "POST" and "delete" in query:
            return _deleted(answer_body)
        return []
    if "partNumber" in query:
        return []
    if method == "PUT" and "uploadId" not in query and not _subresource(query):
        name = COPY if "x-amz-copy-source" in headers else PUT
        return [ObjectEvent(name, key)]
    if method == "POST" and "uploadId" in query:
        return [ObjectEvent(COMPLETE_MULTIPART, key)]
    if method == "DELETE" and "uploadId" not in query and not _subresource(query):
        lower = {k.lower(): v for k, v in answer_headers.items()}
        marker = lower.get("x-amz-delete-marker") == "true"
        version = lower.get("x-amz-version-id")
        return [ObjectEvent(DELETE_MARKER if marker else DELETE, key, version_id=version)]
    return []


_SUBRESOURCES = ("tagging", "acl", "retention", "legal-hold", "restore", "torrent")


def _subresource(query: Mapping[str, list[str]]) -> bool:
    return any(name in query for name in _SUBRESOURCES)


def _deleted(body: bytes) -> list[ObjectEvent]:
    """DeleteObjects: one event per key its answer lists under Deleted."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    events = []
    for deleted in root.iter():
        if not deleted.tag.endswith("Deleted"):
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "") for child in deleted}
        if "Key" not in fields:
            continue
        marker = fields.get("DeleteMarker") == "true"
        version = fields.get("DeleteMarkerVersionId") or fields.get("VersionId") or None
        name = DELETE_MARKER if marker else DELETE
        events.append(ObjectEvent(name, fields["Key"], version_id=version))
    return events


def complete(backend: Any, bucket: str, events: list[ObjectEvent]) -> list[ObjectEvent]:
    """On moto's thread: each event with the object's facts and a sequencer."""
    done = []
    for event in events:
        sequencer = f"{next(_sequence):018X}"
        if event.event_name.startswith("ObjectCreated"):
            try:
                obj = backend.get_object(bucket, event.key)
            except Exception:  # deleted meanwhile: nothing to report about it
                obj = None
            if obj is not None:
                version = getattr(obj, "version_id", None)
                event = replace(
                    event,
                    size=int(obj.size),
                    etag=str(obj.etag).strip('"'),
                    version_id=version if version and version != "null" else None,
                )
        done.append(replace(event, sequencer=sequencer))
    return done
