"""Server-sent events over lambdalite's ASGI app: the one streaming response it has.

Every other route answers in one piece (api/http.py); a stream sends its head, then one
`http.response.body` chunk per message, until the client goes away or the server shuts
down (api/server_protocol.py closes marked streams instead of waiting for them to end).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from lambdalite.api.http import Receive, Scope, Send

STREAM_SCOPE_KEY = "lambdalite.stream"  # marks a streaming exchange for graceful shutdown
HEARTBEAT_S = 15.0
RETRY_MS = 1000


def message(data: Any, event_id: int | None = None) -> bytes:
    """One unnamed SSE message: `data:` lines (JSON has no raw newlines) and an `id:`."""
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}data: {json.dumps(data, separators=(',', ':'))}\n\n".encode()


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def stream(
    scope: Scope,
    receive: Receive,
    send: Send,
    messages: AsyncIterator[bytes],
) -> None:
    """Send `messages` (which yields heartbeats itself when idle) as an event stream until
    it ends or the client disconnects."""
    scope[STREAM_SCOPE_KEY] = True
    headers = [
        (b"content-type", b"text/event-stream; charset=utf-8"),
        (b"cache-control", b"no-store"),
        (b"x-accel-buffering", b"no"),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    first = f"retry: {RETRY_MS}\n\n".encode()
    await send({"type": "http.response.body", "body": first, "more_body": True})
    gone = asyncio.ensure_future(_until_disconnect(receive))
    try:
        while True:
            nxt = asyncio.ensure_future(anext(messages))
            await asyncio.wait({nxt, gone}, return_when=asyncio.FIRST_COMPLETED)
            if gone.done():
                nxt.cancel()
                with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                    await nxt
                return
            try:
                chunk = nxt.result()
            except StopAsyncIteration:
                break
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
    finally:
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone
    await send({"type": "http.response.body", "body": b"", "more_body": False})
