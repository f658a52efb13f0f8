"""Function URLs in RESPONSE_STREAM mode: the function's streamed answer goes to the HTTP
client as it comes (chunked), as AWS sends it.

A stream of the `application/vnd.awslambda.http-integration-response` content type (what
AWS's HttpResponseStream writes) opens with a JSON prelude, {statusCode, headers,
cookies}, and 8 NUL bytes: the prelude makes the response's status and headers, the rest is
the body. Any other stream is the body itself, 200, with the stream's content type. A
function that answers in one piece is mapped as in BUFFERED mode (the caller does that).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from lambdalite.gateway.responses import HttpResponse, MalformedResponse
from lambdalite.sandbox.streaming import HTTP_INTEGRATION, StreamedRun
from lambdalite.sandbox.types import InvocationResult

DELIMITER = b"\x00" * 8
PRELUDE_LIMIT = 1024 * 1024  # more than this before the delimiter is not a prelude

Send = Callable[[dict[str, Any]], Awaitable[None]]
Decorate = Callable[[HttpResponse], None]
# Ends the connection with the response unfinished (no terminating chunk): what a client
# sees of a stream the function failed mid-way (gateway/protocol.py puts it in the scope).
Cut = Callable[[], None]


def parse_prelude(prelude: bytes) -> HttpResponse:
    """The response head a prelude describes (body empty). Raises MalformedResponse."""
    try:
        doc = json.loads(prelude) if prelude.strip() else {}
    except ValueError:
        raise MalformedResponse("the prelude is not JSON") from None
    if not isinstance(doc, dict):
        raise MalformedResponse("the prelude is not an object")
    status = doc.get("statusCode", 200)
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponse("statusCode must be an integer status")
    headers = doc.get("headers") or {}
    cookies = doc.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise MalformedResponse("headers must be an object, cookies a list")
    pairs = [(str(k), str(v)) for k, v in headers.items()]
    pairs += [("set-cookie", str(c)) for c in cookies]
    return HttpResponse(status, pairs)


async def _split_prelude(chunks: AsyncIterator[bytes]) -> tuple[bytes, bytes] | None:
    """Read up to the delimiter: (prelude, what followed it); None if the stream ended or
    grew past the limit first."""
    seen = b""
    async for chunk in chunks:
        seen += chunk
        at = seen.find(DELIMITER)
        if at >= 0:
            return seen[:at], seen[at + len(DELIMITER) :]
        if len(seen) > PRELUDE_LIMIT:
            return None
    return None


async def stream_url(
    run: StreamedRun,
    send: Send,
    decorate: Decorate,
    failure: Callable[[], HttpResponse],
    cut: Cut | None = None,
) -> InvocationResult | None:
    """Answer with the run's stream. Returns the result instead when the function did not
    stream (nothing sent: the caller maps it); raises only before anything was sent."""
    try:
        if not await run.started():
            return await run.result()
        stream = run.stream
        chunks = stream.chunks()
        first = b""
        head = HttpResponse(200, [("content-type", stream.content_type)])
        if stream.content_type.split(";", 1)[0].strip().lower() == HTTP_INTEGRATION:
            split = await _split_prelude(chunks)
            try:
                if split is None:
                    raise MalformedResponse("no prelude delimiter")
                head, first = parse_prelude(split[0]), split[1]
            except MalformedResponse:
                head = failure()  # nothing usable to answer with: the function failed
                await _respond(send, head, decorate)
                return None
        await _stream(send, head, decorate, first, chunks)
        if await _failed(run):
            # A mid-stream failure cannot change what was sent; as on AWS the connection
            # ends without the body's end, so the client sees the response cut short.
            if cut is not None:
                cut()
            return None  # (elsewhere the ASGI server closes a response left unfinished)
        await send({"type": "http.response.body", "body": b"", "more_body": False})
        return None
    finally:
        run.abandon()  # no-op once the run is over; else it finishes unread


async def _respond(send: Send, response: HttpResponse, decorate: Decorate) -> None:
    decorate(response)
    headers = _wire(response.headers)
    headers.append((b"content-length", b"%d" % len(response.body)))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _stream(
    send: Send,
    head: HttpResponse,
    decorate: Decorate,
    first: bytes,
    chunks: AsyncIterator[bytes],
) -> None:
    decorate(head)
    start = {"type": "http.response.start", "status": head.status, "headers": _wire(head.headers)}
    await send(start)
    if first:
        await send({"type": "http.response.body", "body": first, "more_body": True})
    async for chunk in chunks:
        await send({"type": "http.response.body", "body": chunk, "more_body": True})


async def _failed(run: StreamedRun) -> bool:
    try:
        return (await run.result()).function_error is not None
    except Exception:
        return True


def _wire(headers: list[tuple[str, str]]) -> list[tuple[bytes, bytes]]:
    return [(k.encode("latin-1", "replace"), v.encode("latin-1", "replace")) for k, v in headers]
