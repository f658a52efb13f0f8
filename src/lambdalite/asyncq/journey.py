"""The journey of asynchronous events, for `lambdalite events` (GET /_lambdalite/async-events)."""

from __future__ import annotations

from typing import Any

from lambdalite.asyncq.store import AsyncStore

DEFAULT_LIMIT = 50
MAX_LIMIT = 1000


async def recent_events(store: AsyncStore, function_name: str, limit: int) -> dict[str, Any]:
    limit = max(1, min(limit, MAX_LIMIT))
    return {"functionName": function_name, "events": await store.recent(function_name, limit)}


def event_journey(store: AsyncStore, request_id: str) -> dict[str, Any] | None:
    """Every attempt (time, outcome, error), the final condition and where the event went."""
    return store.journey(request_id)
