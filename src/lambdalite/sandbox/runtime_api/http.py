"""A small HTTP/1.1 server on httptools, run by the event loop: no thread and no task per
request.

A handler is a plain call that answers at once or keeps its `Reply` to answer later (the
long poll of invocation/next). Replies on one connection go out in request order, so a
pipelining client gets them right. Request bodies are kept up to a per-route limit and only
counted beyond it, so an oversized body never fills memory; or, when the route gives the
request a `sink` once its headers are in, handed to it piece by piece as they arrive (a
streamed response), with the chunked body's trailers kept apart from its headers.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable
from typing import Protocol

import httptools

_REASONS = {
    200: b"OK",
    202: b"Accepted",
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    413: b"Request Entity Too Large",
    500: b"Internal Server Error",
}
_MAX_PENDING = 16  # replies owed on one connection before it stops reading


class BodySink(Protocol):
    """Takes a request body as it arrives, instead of the request keeping it."""

    def feed(self, data: bytes) -> None: ...

    def abort(self) -> None:
        """The connection closed before the body ended."""
        ...


class Request:
    __slots__ = ("body", "flow", "headers", "method", "path", "size", "limit", "sink", "trailers")

    def __init__(self) -> None:
        self.method = b""
        self.path = b""
        self.headers: dict[bytes, bytes] = {}  # lower-cased names
        self.body = bytearray()
        self.size = 0  # body bytes received, kept or not
        self.limit = 0  # body bytes kept
        self.sink: BodySink | None = None  # set by the route: the body goes there instead
        self.trailers: dict[bytes, bytes] | None = None  # lower-cased; set once headers are in
        self.flow: Connection | None = None  # its connection, to pause reading its body

    def header(self, name: bytes) -> str | None:
        value = self.headers.get(name)
        return None if value is None else value.decode("latin-1")

    @property
    def truncated(self) -> bool:
        return self.size > self.limit


class Routes(Protocol):
    def body_limit(self, request: Request) -> int:
        """How many body bytes to keep, decided once the headers are in (or set
        `request.sink` to take the body as it arrives)."""
        ...

    def handle(self, request: Request, reply: Reply) -> None: ...

    def disconnected(self, reply: Reply) -> None:
        """A reply still owed when its connection closed (a runtime gave up waiting)."""
        ...


class Reply:
    __slots__ = ("_conn", "_data", "sent")

    def __init__(self, conn: Connection) -> None:
        self._conn: Connection | None = conn
        self._data: bytes | None = None
        self.sent = False

    @property
    def open(self) -> bool:
        """Whether anyone can still read this reply."""
        return self._conn is not None and not self.sent

    def send(
        self,
        status: int,
        body: bytes = b"",
        headers: Iterable[tuple[bytes, bytes]] = (),
        content_type: bytes = b"application/json",
    ) -> None:
        if self.sent:
            return
        self.sent = True
        reason = _REASONS[status]
        head = [b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\n" % (status, reason, content_type)]
        for name, value in headers:
            head.append(b"%s: %s\r\n" % (name, value))
        head.append(b"Content-Length: %d\r\n\r\n" % len(body))
        self._data = b"".join(head) + body
        if self._conn is not None:
            self._conn.flush()

    def _detach(self) -> None:
        self._conn = None


class Connection(asyncio.Protocol):
    """One client connection: parse requests, dispatch them, write replies in order."""

    def __init__(self, routes: Routes, connections: set[Connection] | None = None) -> None:
        self._routes = routes
        self._connections = connections  # the listener's, so that it can close them all
        self._parser = httptools.HttpRequestParser(self)
        self._transport: asyncio.Transport | None = None
        self._request = Request()
        self._name = b""
        self._pending: deque[tuple[Reply, bool]] = deque()  # (reply, keep-alive after it)
        self._paused = False  # too many replies owed
        self._body_paused = False  # a sink's reader lags behind (pause_body)
        self._reading = True
        self._closing = False

    # -- asyncio.Protocol --------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]
        if self._connections is not None:
            self._connections.add(self)

    def data_received(self, data: bytes) -> None:
        if self._closing:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._fail()
        except httptools.HttpParserError:
            self._fail()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        if self._connections is not None:
            self._connections.discard(self)
        pending, self._pending = self._pending, deque()
        for reply, _ in pending:
            reply._detach()
            if not reply.sent:
                self._routes.disconnected(reply)
        sink, self._request.sink = self._request.sink, None
        if sink is not None:
            sink.abort()  # a body cut short: its request never completes

    # -- httptools callbacks -------------------------------------------------------------

    def on_message_begin(self) -> None:
        self._request = Request()

    def on_url(self, url: bytes) -> None:
        self._request.path += url

    def on_header(self, name: bytes, value: bytes) -> None:
        request = self._request
        if request.trailers is None:
            request.headers[name.lower()] = value
        else:
            request.trailers[name.lower()] = value  # after a chunked body

    def on_headers_complete(self) -> None:
        request = self._request
        request.method = self._parser.get_method()
        request.trailers = {}
        request.flow = self
        request.limit = self._routes.body_limit(request)

    def on_body(self, body: bytes) -> None:
        request = self._request
        if request.sink is not None:
            request.size += len(body)
            request.sink.feed(body)
            return
        room = request.limit - len(request.body)
        if room > 0:
            request.body += body[:room]
        request.size += len(body)

    def on_message_complete(self) -> None:
        reply = Reply(self)
        self._pending.append((reply, self._parser.should_keep_alive()))
        if len(self._pending) >= _MAX_PENDING:
            self._paused = True
            self._sync_reading()
        request, self._request = self._request, Request()
        request.path = request.path.split(b"?", 1)[0]
        self._routes.handle(request, reply)

    # -- writing ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the replies that are ready, in request order."""
        transport = self._transport
        while self._pending and self._pending[0][0]._data is not None:
            reply, keep_alive = self._pending.popleft()
            data, reply._data = reply._data, b""
            if transport is None:
                continue
            transport.write(data)  # type: ignore[arg-type]
            if not keep_alive:
                self._closing = True
                transport.close()
                return
        if self._paused and len(self._pending) < _MAX_PENDING:
            self._paused = False
            self._sync_reading()

    # -- flow control: reading stops while replies are owed or a body's reader lags --------

    def pause_body(self) -> None:
        self._body_paused = True
        self._sync_reading()

    def resume_body(self) -> None:
        self._body_paused = False
        self._sync_reading()

    def _sync_reading(self) -> None:
        transport = self._transport
        wanted = not (self._paused or self._body_paused)
        if transport is None or wanted == self._reading or transport.is_closing():
            return
        self._reading = wanted
        if wanted:
            transport.resume_reading()
        else:
            transport.pause_reading()

    def close(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    def _fail(self) -> None:
        """Bytes that are not HTTP: answer as Go's server does, then hang up."""
        self._closing = True
        transport = self._transport
        if transport is not None:
            transport.write(
                b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n"
                b"Connection: close\r\n\r\n400 Bad Request"
            )
            transport.close()


class Listener:
    """A loopback listener whose every connection speaks to `routes`."""

    def __init__(self, routes: Routes) -> None:
        self._routes = routes
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[Connection] = set()
        self.port = 0

    async def start(self, host: str = "127.0.0.1") -> int:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self._routes, self._connections), host, 0, backlog=16
        )
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for conn in list(self._connections):
            conn.close()
        self._connections.clear()
