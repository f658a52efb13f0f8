"""Backpressure of a streamed response: a runtime that writes faster than its caller reads
is held by its own connection (the Runtime API server stops reading it), so the server keeps
at most about HIGH_WATER bytes of one stream, whatever the kernel would buffer; it reads
again as the caller catches up, and every byte arrives in order.

A real socket client plays the runtime, posting a chunked body to the Runtime API's own
HTTP server (sandbox/runtime_api/http.py), whose route hands it to a ResponseStream as
server.py does."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from lambdalite.sandbox.runtime_api.http import Listener, Reply, Request
from lambdalite.sandbox.runtime_api.streamed import StreamedBody
from lambdalite.sandbox.streaming import HIGH_WATER, ResponseStream

CHUNK = 64 * 1024
TOTAL = 6 * 1024 * 1024  # several times the high-water mark


class WatchedBody(StreamedBody):
    """Tells when the unread bytes first pass the high-water mark."""

    def __init__(self, stream: ResponseStream) -> None:
        super().__init__(stream, lambda: None)
        self.past_the_mark = asyncio.Event()

    def feed(self, data: bytes) -> None:
        super().feed(data)
        if self.stream.unread > HIGH_WATER:
            self.past_the_mark.set()


class StreamingRoute:
    def __init__(self) -> None:
        self.stream = ResponseStream()
        self.body = WatchedBody(self.stream)
        self.answered = asyncio.get_running_loop().create_future()

    def body_limit(self, request: Request) -> int:
        request.sink = self.body
        assert request.flow is not None
        self.stream.attach(request.flow)
        self.stream.start("application/octet-stream")
        return 0

    def handle(self, request: Request, reply: Reply) -> None:
        reply.send(202, b'{"status":"OK"}')
        self.answered.set_result(request.size)

    def disconnected(self, reply: Reply) -> None:
        pass


async def _post_chunked(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /2018-06-01/runtime/invocation/r1/response HTTP/1.1\r\nHost: x\r\n"
        b"Lambda-Runtime-Function-Response-Mode: streaming\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
    )
    piece = b"%x\r\n" % CHUNK + b"x" * CHUNK + b"\r\n"
    for _ in range(TOTAL // CHUNK):
        writer.write(piece)
    writer.write(b"0\r\n\r\n")
    return reader, writer


async def _turns(n: int = 50) -> None:
    """Let the loop run: with reading on, queued socket data would be delivered meanwhile."""
    for _ in range(n):
        await asyncio.sleep(0)


@asynccontextmanager
async def _streaming() -> AsyncIterator[tuple[StreamingRoute, asyncio.StreamReader]]:
    """A runtime posting TOTAL bytes to a listener, once the server holds HIGH_WATER unread."""
    route = StreamingRoute()
    listener = Listener(route)
    reader, writer = await _post_chunked(await listener.start())
    try:
        await asyncio.wait_for(route.body.past_the_mark.wait(), timeout=30)
        yield route, reader
        await writer.drain()  # the runtime got every byte out
    finally:
        writer.close()
        listener.close()


def test_a_slow_reader_pauses_the_runtime_and_loses_nothing() -> None:
    async def run() -> None:
        async with _streaming() as (route, reader):
            stream = route.stream
            await _turns()
            held = stream.size
            await _turns()
            # Reading has stopped: nothing more came in while nobody read.
            assert stream.size == held < TOTAL
            assert stream.unread <= HIGH_WATER + 256 * 1024  # one socket read past the mark
            received = bytearray()
            chunks = stream.chunks()
            while len(received) < TOTAL:  # the caller catches up; reading resumes each time
                received += await anext(chunks)
            assert received == b"x" * TOTAL
            assert await route.answered == TOTAL
            assert (await reader.readline()).startswith(b"HTTP/1.1 202")

    asyncio.run(run())


def test_an_abandoned_stream_reads_on_and_drops() -> None:
    """A caller that went away must not leave the runtime blocked: it is read to the end."""

    async def run() -> None:
        async with _streaming() as (route, reader):
            route.stream.abandon()
            assert await route.answered == TOTAL
            assert route.stream.size == TOTAL and route.stream.unread == 0
            assert (await reader.readline()).startswith(b"HTTP/1.1 202")

    asyncio.run(run())
