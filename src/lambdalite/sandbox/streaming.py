"""A streamed response on its way from a runtime to a caller (response streaming, spec 2.9).

A caller that can stream (InvokeWithResponseStream, a RESPONSE_STREAM function URL) hands a
`ResponseStream` down with the invocation; a runtime that answers in streaming mode (the
Runtime API's `Lambda-Runtime-Function-Response-Mode: streaming`) feeds it chunk by chunk
as they arrive. The invocation's outcome (success, a mid-stream error, a timeout) still
comes back as the InvocationResult, once the stream has ended: so timeouts, REPORT lines,
concurrency and the outcome boundary are those of buffered invokes. A runtime that answers
in one piece never starts the stream; the caller then sends the result's payload.

`StreamedRun` is the caller's side: the invocation runs as a task while its chunks are read.

Backpressure: a stream given a `ReadFlow` (the runtime's connection) stops reading from the
runtime once more than HIGH_WATER bytes wait for a slow caller, and reads again when the
caller has taken them; so a slow client holds the runtime's writes, not the server's memory.
The caller's own writes wait for its socket to drain (the ASGI server's flow control).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable
from typing import Any, Protocol

from lambdalite.sandbox.types import InvocationResult

log = logging.getLogger(__name__)

# Spec 2.9 / 11: a streamed response's soft limit (20 MiB; buffered answers stop at 6 MB).
STREAM_LIMIT = 20 * 1024 * 1024
# AWS's HttpResponseStream: a JSON prelude (statusCode, headers, cookies), 8 NUL bytes, body.
HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"
DEFAULT_CONTENT_TYPE = "application/octet-stream"
# Unread bytes above which the runtime's connection stops being read (a few socket buffers:
# enough that a reader keeping up never stalls the writer).
HIGH_WATER = 1024 * 1024


class ReadFlow(Protocol):
    """The runtime's side of a stream, whose reading can be paused."""

    def pause_body(self) -> None: ...

    def resume_body(self) -> None: ...


class ResponseStream:
    """Chunks in arrival order, read by one consumer; bounded by `limit` bytes in all."""

    def __init__(self, limit: int = STREAM_LIMIT) -> None:
        self.limit = limit
        self.started = False  # the runtime answers in streaming mode
        self.ended = False
        self.overflowed = False  # more than `limit` bytes were streamed (the rest dropped)
        self.content_type = DEFAULT_CONTENT_TYPE
        self.size = 0
        self.unread = 0  # bytes fed and not yet taken by the caller
        self._chunks: list[bytes] = []
        self._abandoned = False
        self._wakeup: asyncio.Future[None] | None = None
        self._flow: ReadFlow | None = None
        self._paused = False

    def attach(self, flow: ReadFlow) -> None:
        """Pause `flow` while the caller lags more than HIGH_WATER bytes behind."""
        self._flow = flow

    # -- the runtime's side ------------------------------------------------------------

    def start(self, content_type: str | None) -> None:
        self.started = True
        if content_type:
            self.content_type = content_type
        self._wake()

    def feed(self, data: bytes) -> bool:
        """Take a chunk; False once past the limit (the stream then ends, overflowed)."""
        if self.ended:
            return not self.overflowed
        self.size += len(data)
        if self.size > self.limit:
            self.overflowed = True
            self.end()
            return False
        if data and not self._abandoned:
            self._chunks.append(data)
            self.unread += len(data)
            if self.unread > HIGH_WATER and self._flow is not None and not self._paused:
                self._paused = True
                self._flow.pause_body()
            self._wake()
        return True

    def end(self) -> None:
        """No more chunks (the body ended, was cut, or the invocation is over)."""
        if not self.ended:
            self.ended = True
            self._wake()
        self._resume()  # whatever still comes (trailers, the rest past a cut) is read

    def _resume(self) -> None:
        if self._paused and self._flow is not None:
            self._paused = False
            self._flow.resume_body()

    # -- the caller's side -------------------------------------------------------------

    def abandon(self) -> None:
        """Nobody reads any more (the client went away): drop chunks as they come."""
        self._abandoned = True
        self._chunks.clear()
        self.unread = 0
        self._resume()

    async def ready(self) -> None:
        """Until the runtime starts streaming or the stream ends, whichever is first."""
        while not self.started and not self.ended:
            await self._wait()

    async def chunks(self) -> AsyncIterator[bytes]:
        """What arrived since the last step, joined, until the stream ends."""
        while True:
            if self._chunks:
                data = b"".join(self._chunks) if len(self._chunks) > 1 else self._chunks[0]
                self._chunks.clear()
                self.unread = 0
                self._resume()
                yield data
            elif self.ended:
                return
            else:
                await self._wait()

    def _wait(self) -> asyncio.Future[None]:
        if self._wakeup is None or self._wakeup.done():
            self._wakeup = asyncio.get_running_loop().create_future()
        return self._wakeup

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)


class StreamedRun:
    """One invocation that may stream, run as a task while its chunks are read.

    `run` is the invoker's call with `stream` passed along; the stream ends when the run
    does, so a reader never waits for chunks of an invocation that is over."""

    def __init__(
        self, run: Awaitable[tuple[str, InvocationResult]], stream: ResponseStream
    ) -> None:
        self.stream = stream
        self._task: asyncio.Future[tuple[str, InvocationResult]] = asyncio.ensure_future(run)
        self._task.add_done_callback(self._ended)

    def _ended(self, _task: asyncio.Future[Any]) -> None:
        self.stream.end()

    async def started(self) -> bool:
        """Wait for the first answer: True when the runtime streams; False when the run is
        over without streaming (its result, or the refusal it raised, is ready)."""
        await self.stream.ready()
        if self.stream.started:
            return True
        await asyncio.wait({self._task})
        return False

    async def result(self) -> InvocationResult:
        return (await self._task)[1]

    def abandon(self) -> None:
        """The caller stops reading; the invocation runs on to its end, as on AWS."""
        self.stream.abandon()
        if not self._task.done():
            self._task.add_done_callback(_settle)


def _settle(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.info("an abandoned streamed invocation failed: %r", task.exception())
