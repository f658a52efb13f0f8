"""The gateway port's HTTP protocol: uvicorn's httptools protocol, keeping header names as
sent, with a direct path that answers a request without an ASGI cycle.

REST events keep header names as the client cased them (spec 6.2.2), which ASGI's scope
loses (uvicorn lowercases them): the names as sent are kept next to the scope.

As the Invoke API's (api/server_protocol.py), a request with its whole body declared is
answered directly: GatewayApp.answer starts in the turn the request completes (api/eager.py)
and the response leaves in one write the turn it is ready. Everything else takes uvicorn's
path: chunked or oversized bodies, 100-continue, upgrades, HEAD, requests pipelined behind
another. An answer uvicorn would not send as is (a header it refuses or reads itself, a
status it has no line for) is sent through a uvicorn request cycle after all, so that its
checks and their outcome stay uvicorn's. gateway/uvicorn_fit.py vets the internals used.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast
from urllib.parse import unquote

import httptools
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from lambdalite.api.eager import start_eagerly
from lambdalite.api.write_coalescing import CoalescingTransport
from lambdalite.gateway.app import CUT, RAW_NAMES, READ_LIMIT, GatewayApp, send_response
from lambdalite.gateway.responses import HttpResponse

log = logging.getLogger(__name__)
# Response headers uvicorn reads itself (framing, keep-alive): such an answer goes through it.
_FRAMING = (b"content-length", b"transfer-encoding", b"connection")


class _NoEvent:
    """uvicorn sets its cycle's message event on connection loss; nothing waits on ours."""

    def set(self) -> None:
        pass


class GatewayExchange:
    """One request answered directly (attributes named as uvicorn's cycle's, which the
    protocol reads on shutdown, connection loss and pipelining)."""

    __slots__ = (
        "method",
        "raw_path",
        "query",
        "names",
        "headers",
        "http_version",
        "body",
        "keep_alive",
        "response_complete",
        "disconnected",
        "message_event",
    )

    def __init__(
        self, method: str, target: tuple[str, str], names: list[bytes],
        headers: list[tuple[bytes, bytes]], http_version: str, keep_alive: bool,
    ) -> None:  # fmt: skip
        self.method = method
        self.raw_path, self.query = target
        self.names = names
        self.headers = headers
        self.http_version = http_version
        self.body = bytearray()
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.message_event = _NoEvent()


# Request targets seen (clients call the same few URLs again and again): URL -> (raw path,
# query), both latin-1 text. Bounded: cleared when full.
_TARGETS: dict[bytes, tuple[str, str]] = {}


def _target(url: bytes) -> tuple[str, str] | None:
    """The raw path and query of a request target, or None where uvicorn's reading of it
    fails (uvicorn's path answers that with its 400)."""
    found = _TARGETS.get(url)
    if found is None:
        try:
            parsed = httptools.parse_url(url)
            raw_path: bytes = parsed.path
            raw_path.decode("ascii")  # as uvicorn decodes it
        except (httptools.HttpParserInvalidURLError, UnicodeDecodeError):
            return None
        found = (raw_path.decode("latin-1"), (parsed.query or b"").decode("latin-1"))
        if len(_TARGETS) >= 1024:
            _TARGETS.clear()
        _TARGETS[url] = found
    return found


def encode_plain(
    response: HttpResponse, keep_alive: bool, default_headers: list[tuple[bytes, bytes]]
) -> bytes | None:
    """The bytes uvicorn's cycle would write for `response` (GatewayApp's send_response
    through it), or None when uvicorn would check or act on more than it writes."""
    status_line = STATUS_LINE.get(response.status)
    if status_line is None:
        return None
    parts = [status_line]
    for name, value in default_headers:
        parts += (name.lower(), b": ", value, b"\r\n")
    for text_name, text_value in response.headers:
        try:
            name, value = text_name.encode("latin-1").lower(), text_value.encode("latin-1")
        except UnicodeEncodeError:
            return None
        if name in _FRAMING or HEADER_RE.search(name) or HEADER_VALUE_RE.search(value):
            return None
        parts += (name, b": ", value, b"\r\n")
    body = response.body
    parts.append(b"content-length: %d\r\n" % len(body))
    if not keep_alive:
        parts.append(b"connection: close\r\n")
    parts += (b"\r\n", body)
    return b"".join(parts)


class CasePreservingProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, keeping each request's header names as sent, with
    each response's head and body sent in one write (api/write_coalescing.py)."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, asyncio.get_running_loop()))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._raw_names: list[bytes] = []

    def on_header(self, name: bytes, value: bytes) -> None:
        self._raw_names.append(name)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        # The scope dict is the one the cycle just created holds (or the pipeline's).
        self.scope[RAW_NAMES] = self._raw_names  # type: ignore[literal-required]
        super().on_headers_complete()


class GatewayHttpProtocol(CasePreservingProtocol):
    """CasePreservingProtocol with the direct path."""

    def on_message_begin(self) -> None:
        # An earlier answer may have completed inside this same feed (eager start) and
        # armed the idle timer; a request is arriving, so the connection is not idle.
        self._unset_keepalive_if_required()
        super().on_message_begin()

    def on_headers_complete(self) -> None:
        exchange = self._direct_exchange()
        if exchange is None:
            self.scope[CUT] = self._cut  # type: ignore[literal-required]
            super().on_headers_complete()
        else:
            self.cycle = exchange  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if isinstance(cycle, GatewayExchange):
            cycle.body += body  # bounded: only declared lengths within the limit come here
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if isinstance(cycle, GatewayExchange):
            # Started now, not on the next turn (api/eager.py); graceful shutdown waits
            # for it like for any request's task.
            run = start_eagerly(self.loop, self._answer(cycle))
            if not run.done():
                run.add_done_callback(self.tasks.discard)
                self.tasks.add(run)
        else:
            super().on_message_complete()

    def _cut(self) -> None:
        """End the connection mid-response: what was sent goes out, the end never does.
        The cycle counts as disconnected, so uvicorn neither writes more nor complains."""
        if self.cycle is not None:
            self.cycle.disconnected = True
        self.transport.close()

    def _direct_exchange(self) -> GatewayExchange | None:
        if not isinstance(self.app, GatewayApp) or self.expect_100_continue:
            return None
        if self.limit_concurrency is not None or self.root_path:
            return None  # uvicorn's own concerns (not set on the gateway port)
        if self.cycle is not None and not self.cycle.response_complete:
            return None  # pipelined behind a request still running: uvicorn queues it
        parser = self.parser
        method = parser.get_method()
        if parser.should_upgrade() or method == b"HEAD":
            return None
        length = None
        for name, value in self.headers:
            if name == b"content-length":
                if length is not None or not value.isdigit():
                    return None
                length = int(value)
            elif name == b"transfer-encoding":
                return None  # a streamed body: uvicorn's path reads it
        if length is not None and length > READ_LIMIT:
            return None
        target = _target(self.url)
        if target is None:
            return None
        host = next((v for n, v in self.headers if n == b"host"), b"").decode("latin-1")
        if self.app.streams(host, target[0]):
            return None  # a streamed answer: uvicorn's path, whose send can stream
        version = parser.get_http_version()
        keep_alive = version != "1.0" and parser.should_keep_alive()
        return GatewayExchange(
            method.decode("ascii"), target, self._raw_names, self.headers, version, keep_alive
        )

    async def _answer(self, exchange: GatewayExchange) -> None:
        app = cast(GatewayApp, self.app)
        headers = [
            (n.decode("latin-1"), v.decode("latin-1"))
            for n, (_, v) in zip(exchange.names, exchange.headers, strict=True)
        ]
        response = await app.answer(
            exchange.method, exchange.raw_path, exchange.query, headers, bytes(exchange.body),
            self.client, exchange.http_version,
        )  # fmt: skip
        assert response is not None  # only the ASGI path (with a send) streams
        if exchange.disconnected:
            return
        data = encode_plain(response, exchange.keep_alive, self.server_state.default_headers)
        if data is None:
            await self._through_uvicorn(exchange, response)
            return
        exchange.response_complete = True
        # The whole response is in this one write: sent now rather than on the next loop
        # turn, which under load is a turn's worth of other work later.
        cast(CoalescingTransport, self.transport).send_now(data)
        if not exchange.keep_alive:
            self.transport.close()
        self.on_response_complete()

    async def _through_uvicorn(self, exchange: GatewayExchange, response: HttpResponse) -> None:
        """Send `response` as the ASGI path does: through a uvicorn request cycle."""
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": exchange.http_version,
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
            "headers": exchange.headers,
            "method": exchange.method,
            "path": unquote(exchange.raw_path, "latin-1"),
            "raw_path": exchange.raw_path.encode("latin-1"),
            "query_string": exchange.query.encode("latin-1"),
        }
        cycle = RequestResponseCycle(
            scope=scope,  # type: ignore[arg-type]
            transport=self.transport,
            flow=self.flow,
            logger=self.logger,
            access_logger=self.access_logger,
            access_log=self.access_log,
            default_headers=self.server_state.default_headers,
            message_event=asyncio.Event(),
            expect_100_continue=False,
            keep_alive=exchange.keep_alive,
            on_response=self.on_response_complete,
        )
        cycle.more_body = False
        if self.cycle is cast(Any, exchange):  # else a pipelined request's cycle stands there
            self.cycle = cycle

        async def replay(scope: Any, receive: Any, send: Any) -> None:
            await send_response(response, send)

        await cycle.run_asgi(replay)
