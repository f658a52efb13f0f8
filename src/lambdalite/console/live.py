"""The console's live stream: the feed's events for the page's topics, coalesced to at most
four messages a second, with log lines filtered on the server, and a one-second check of
what the feed does not carry (a function created, a journey's deliveries)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from lambdalite.asyncq import journey
from lambdalite.console.logfilter import stream_filter
from lambdalite.console.mappings_view import all_mappings
from lambdalite.console.views import all_functions
from lambdalite.platform import Platform

COALESCE_S = 0.25  # at most four messages a second per connection
CHECK_S = 1.0
HEARTBEAT_S = 15.0
MAX_TOPICS = 16

Check = Callable[[], Awaitable[str]]


def _check_for(p: Platform, topic: str) -> Check | None:
    """A fingerprint of what a topic shows beyond outcomes, or None."""
    if topic == "overview":

        async def functions() -> str:
            found = await all_functions(p)
            return json.dumps([(c.name, c.state.value, c.last_modified) for c in found])

        return functions
    if topic == "mappings":

        async def mappings() -> str:
            found = await all_mappings(p)
            states = [(m.uuid, m.state.value, m.last_processing_result) for m in found]
            return json.dumps([p.batches.version, states])

        return mappings
    if topic.startswith("journey:"):
        request_id = topic.removeprefix("journey:")

        async def event() -> str:
            doc = await journey.event_journey(p.async_queue.async_store, request_id)
            return json.dumps(doc)

        return event
    return None


def _message(events: list[dict[str, Any]], dropped: int, last_id: int) -> bytes:
    data = json.dumps({"events": events, "dropped": dropped}, separators=(",", ":"))
    return f"id: {last_id}\ndata: {data}\n\n".encode()


async def messages(
    p: Platform, topics: list[str], log_filter: str = ""
) -> AsyncGenerator[bytes, None]:
    subscription = p.feed.subscribe(topics[:MAX_TOPICS])
    keep = stream_filter(log_filter)
    checks = {t: c for t in subscription.topics if (c := _check_for(p, t)) is not None}
    seen = {t: await check() for t, check in checks.items()}
    next_check = time.monotonic() + CHECK_S
    last_sent = time.monotonic()
    last_id = 0
    try:
        while True:
            waiter = asyncio.ensure_future(subscription.wait())
            await asyncio.wait({waiter}, timeout=max(next_check - time.monotonic(), 0))
            waiter.cancel()
            events: list[dict[str, Any]] = [
                {"topic": topic, "data": data}
                for _, topic, data in subscription.take()
                if not topic.startswith("logs:") or keep(data.get("message", ""))
            ]
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + CHECK_S
                for topic, check in checks.items():
                    now = await check()
                    if now != seen[topic]:
                        seen[topic] = now
                        events.append({"topic": topic, "data": {"changed": True}})
            if any(not str(e["topic"]).startswith("logs:") for e in events):
                # The page re-reads the journal on these: write what is batched first.
                await p.journal.flush()
            if events:
                last_id += 1
                yield _message(events, subscription.dropped, last_id)
                last_sent = time.monotonic()
                await asyncio.sleep(COALESCE_S)
            elif time.monotonic() - last_sent >= HEARTBEAT_S:
                yield b": heartbeat\n\n"
                last_sent = time.monotonic()
    finally:
        subscription.close()
