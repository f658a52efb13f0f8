"""The journey of asynchronous events, for `lambdalite events` (GET /_lambdalite/async-events).

A journey is text: one JSON array `[at, kind, outcome, detail]` per line, appended by the
store in the same write that changes the event. The line encoding lives here (no storage in
it), so every backend writes and reads the same lines.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring as _json_str
from typing import Any

from lambdalite.asyncq.model import Journal
from lambdalite.asyncq.store import AsyncEventStore, EventSummary

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000

_JOURNAL_TAILS: dict[Journal, str] = {}  # most rounds write the same few entries


def journal_line(now: float, entry: Journal) -> str:
    """`[at, kind, outcome, detail]` as JSON, built by hand: two per event on the hot path,
    with the encoded `kind, outcome, detail` of each distinct entry kept."""
    tail = _JOURNAL_TAILS.get(entry)
    if tail is None:
        tail = f",{_json_str(entry.kind)},{_json_str(entry.outcome)},{_json_str(entry.detail)}]\n"
        if len(_JOURNAL_TAILS) >= 1024:  # details of errors vary: stay bounded
            _JOURNAL_TAILS.clear()
        _JOURNAL_TAILS[entry] = tail
    return f"[{float(now)!r}{tail}"


def parse_journal(text: str) -> list[tuple[float, Journal]]:
    return [
        (at, Journal(kind, outcome, detail))
        for at, kind, outcome, detail in map(json.loads, text.splitlines())
    ]


async def recent_events(store: AsyncEventStore, function_name: str, limit: int) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    events = await store.recent(function_name, limit)
    return {"functionName": function_name, "events": [_listed(e) for e in events]}


async def event_journey(store: AsyncEventStore, request_id: str) -> dict[str, Any] | None:
    """Every attempt (time, outcome, error), the final condition and where the event went."""
    found = await store.journey(request_id)
    if found is None:
        return None
    e = found.event
    doc: dict[str, Any] = {"requestId": e.request_id, "functionName": e.function_name}
    doc.update(_listed(e))
    doc["journal"] = [
        {"at": at, "kind": j.kind, "outcome": j.outcome, "detail": j.detail}
        for at, j in found.journal
    ]
    doc["pendingDeliveries"] = [
        {"role": p.role, "target": p.target_arn, "attempts": p.attempts, "dueAt": p.due_at}
        for p in found.pending
    ]
    return doc


def _listed(e: EventSummary) -> dict[str, Any]:
    return {
        "requestId": e.request_id,
        "qualifier": e.qualifier,
        "source": e.source,
        "acceptedAt": e.accepted_at,
        "state": e.state,
        "attempts": e.attempts,
        "condition": e.condition,
        "finishedAt": e.finished_at,
        "dueAt": e.due_at,
    }
