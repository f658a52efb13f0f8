"""PutEvents entries: validation as AWS reports it per entry, and the event they become."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

MAX_REQUEST_BYTES = 256 * 1024
_TIME_BYTES = 14  # AWS counts a Time member as 14 bytes ("Calculating PutEvents entry size")


def entry_size(entry: Mapping[str, Any]) -> int:
    size = _TIME_BYTES if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    return size + sum(len(str(r).encode()) for r in entry.get("Resources") or ())


def entry_error(entry: Mapping[str, Any]) -> tuple[str, str] | None:
    """(ErrorCode, ErrorMessage) for an entry AWS would fail, else None."""
    for key in ("Source", "DetailType", "Detail"):
        if not entry.get(key):
            return (
                "InvalidArgument",
                f"Parameter {key} is not valid. Reason: {key} is a required argument.",
            )
    try:
        detail = json.loads(entry["Detail"])
    except ValueError:
        detail = None
    if not isinstance(detail, dict):
        return "MalformedDetail", "Detail is malformed."
    return None


def iso_time(t: float | datetime) -> str:
    moment = t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_event(
    entry: Mapping[str, Any], event_id: str, now: float, region: str, account: str
) -> dict[str, Any]:
    """The event document rules match and targets receive (AWS's field order)."""
    when = entry.get("Time")
    return {
        "version": "0",
        "id": event_id,
        "detail-type": entry["DetailType"],
        "source": entry["Source"],
        "account": account,
        "time": iso_time(when if isinstance(when, (datetime, int, float)) else now),
        "region": region,
        "resources": list(entry.get("Resources") or []),
        "detail": json.loads(entry["Detail"]),
    }


def as_entry(document: Mapping[str, Any]) -> dict[str, Any]:
    """A PutEvents entry from what another service hands `put_event`: an entry already, an
    event document (a bus-to-bus target), or a bare document such as an asynchronous
    invocation record (a Lambda destination), which becomes the detail."""
    if "Source" in document or "DetailType" in document:
        entry = dict(document)
        if isinstance(entry.get("Detail"), dict):
            entry["Detail"] = json.dumps(entry["Detail"])
        return entry
    if "source" in document and "detail-type" in document:
        return {
            "Source": document["source"],
            "DetailType": document["detail-type"],
            "Detail": json.dumps(document.get("detail", {})),
            "Resources": list(document.get("resources") or []),
        }
    condition = (document.get("requestContext") or {}).get("condition")
    outcome = "Success" if condition == "Success" else "Failure"
    return {
        "Source": "lambda",
        "DetailType": f"Lambda Function Invocation Result - {outcome}",
        "Detail": json.dumps(dict(document)),
    }
