"""uvicorn's httptools protocol, with one write per response and a direct path for Invoke.

Two costs of the stock protocol matter on the invoke hot path:

* It writes the status line and headers as soon as the app starts its response, then the
  body in a second write. With TCP_NODELAY that is two segments, so the client wakes up
  twice per response; on this VM the extra wake-up costs more than the whole invoke path.
  Writes made during one turn of the event loop are joined and leave in one send
  (api/write_coalescing.py, self-contained so that uvicorn could take it as is).
* Each request gets an ASGI cycle (scope, event, receive/send messages, header checks),
  about a fifth of the server's CPU for a warm invoke. An Invoke with a declared body
  length is answered directly instead: the same LambdaliteApp.invoke the ASGI path
  calls, the response written in one piece. Everything else (other routes, chunked
  bodies, 100-continue, requests pipelined behind another) takes uvicorn's path.

The direct exchange stands in for uvicorn's cycle in the few attributes the protocol reads
(shutdown, connection loss, pipelining), so graceful shutdown and keep-alive behave alike.
It starts in the turn its request completes (api/eager.py) and its answer leaves in the
turn it is ready: under load each skipped turn is a lap of other work not waited behind
(async accept p50 1.25 -> 1.1 ms, end-to-end +4-13% with 8 clients).
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
from typing import cast

import httptools
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.eager import start_eagerly
from lambdalite.api.http import Headers, Request, decode_headers
from lambdalite.api.lambda_api.invoke import SYNC_PAYLOAD_LIMIT
from lambdalite.api.sse import STREAM_SCOPE_KEY
from lambdalite.api.write_coalescing import CoalescingTransport

log = logging.getLogger(__name__)


class _NoEvent:
    """uvicorn sets its cycle's message event on connection loss; nothing waits on ours."""

    def set(self) -> None:
        pass


class DirectExchange:
    """One Invoke answered without an ASGI cycle (attributes named as uvicorn's cycle)."""

    __slots__ = (
        "raw_name",
        "path",
        "raw_path",
        "query",
        "headers",
        "body",
        "keep_alive",
        "response_complete",
        "disconnected",
        "message_event",
    )

    def __init__(
        self,
        raw_name: str,
        path: str,
        raw_path: bytes,
        query: bytes,
        headers: list[tuple[bytes, bytes]],
        keep_alive: bool,
    ) -> None:
        self.raw_name = raw_name
        self.path = path
        self.raw_path = raw_path
        self.query = query
        self.headers = headers
        self.body = bytearray()
        self.keep_alive = keep_alive
        self.response_complete = False
        self.disconnected = False
        self.message_event = _NoEvent()


# Invoke URLs seen (a client calls the same few again and again): URL -> (FunctionName
# member, path, raw path, query). Bounded: cleared when full.
_INVOKE_URLS: dict[bytes, tuple[str, str, bytes, bytes]] = {}


def _invoke_url(app: LambdaliteApp, url: bytes) -> tuple[str, str, bytes, bytes] | None:
    parsed = httptools.parse_url(url)
    raw_path: bytes = parsed.path
    path = raw_path.decode("ascii")
    if "%" in path:
        path = urllib.parse.unquote(path)
    raw_name = app.invoke_target("POST", path)
    if raw_name is None:
        return None
    return raw_name, path, raw_path, parsed.query or b""


class LambdaliteHttpProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        loop = asyncio.get_running_loop()
        super().connection_made(CoalescingTransport(transport, loop))

    def on_message_begin(self) -> None:
        # An earlier answer may have completed inside this same feed (eager start) and
        # armed the idle timer; a request is arriving, so the connection is not idle.
        self._unset_keepalive_if_required()
        super().on_message_begin()

    def shutdown(self) -> None:
        # A live stream (api/sse.py) never ends by itself: close it rather than let a
        # graceful shutdown wait the whole grace period for it.
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            scope = getattr(cycle, "scope", None)
            if scope is not None and scope.get(STREAM_SCOPE_KEY):
                self.transport.close()
                return
        super().shutdown()

    def on_headers_complete(self) -> None:
        exchange = self._direct_exchange()
        if exchange is None:
            super().on_headers_complete()
        else:
            self.cycle = exchange  # type: ignore[assignment]

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if isinstance(cycle, DirectExchange):
            cycle.body += body  # bounded: only declared lengths within the limit come here
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if isinstance(cycle, DirectExchange):
            # Started now, not on the next turn (api/eager.py); graceful shutdown waits
            # for it like for any request's task.
            run = start_eagerly(self.loop, self._answer(cycle))
            if not run.done():
                run.add_done_callback(self.tasks.discard)
                self.tasks.add(run)
        else:
            super().on_message_complete()

    def _direct_exchange(self) -> DirectExchange | None:
        app = self.app
        if not isinstance(app, LambdaliteApp) or self.expect_100_continue:
            return None
        if self.cycle is not None and not self.cycle.response_complete:
            return None  # pipelined behind a request still running: uvicorn queues it
        parser = self.parser
        if parser.should_upgrade() or parser.get_method() != b"POST":
            return None
        target = _INVOKE_URLS.get(self.url)
        if target is None:
            target = _invoke_url(app, self.url)
            if target is None:
                return None
            if len(_INVOKE_URLS) >= 1024:
                _INVOKE_URLS.clear()
            _INVOKE_URLS[self.url] = target
        raw_name, path, raw_path, query = target
        length = next((v for k, v in self.headers if k == b"content-length"), None)
        if length is None or not length.isdigit() or int(length) > SYNC_PAYLOAD_LIMIT:
            return None  # chunked or too large: the ASGI path streams and rejects it
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        return DirectExchange(raw_name, path, raw_path, query, self.headers, keep_alive)

    async def _answer(self, exchange: DirectExchange) -> None:
        app = self.app
        assert isinstance(app, LambdaliteApp)
        request = Request(
            method="POST",
            path=exchange.path,
            raw_path=exchange.raw_path,
            query_string=exchange.query,
            headers=decode_headers(exchange.headers),
            body=bytes(exchange.body),
        )
        try:
            status, headers, body = await app.invoke(request, exchange.raw_name)
        except Exception:
            log.exception("invoke failed outside its error handling")
            status, headers, body = 500, [(b"content-type", b"text/plain")], b"Internal Error"
            exchange.keep_alive = False
        if exchange.disconnected:
            return
        self._write_response(exchange, status, headers, body)
        exchange.response_complete = True
        if not exchange.keep_alive:
            self.transport.close()
        self.on_response_complete()

    def _write_response(
        self, exchange: DirectExchange, status: int, headers: Headers, body: bytes
    ) -> None:
        parts = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            parts += (name, b": ", value, b"\r\n")
        for name, value in headers:
            parts += (name, b": ", value, b"\r\n")
        parts.append(b"content-length: %d\r\n" % len(body))
        if not exchange.keep_alive:
            parts.append(b"connection: close\r\n")
        parts += (b"\r\n", body)
        # The whole response is in this one write: sent now rather than on the next loop
        # turn, which under load is a turn's worth of other work later.
        cast(CoalescingTransport, self.transport).send_now(b"".join(parts))
