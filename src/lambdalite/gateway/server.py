"""The gateway's own listener: a second uvicorn server on the gateway port, in the same
process and event loop as the API, started and stopped with the platform.

REST events keep header names as the client cased them (spec 6.2.2), which ASGI's scope
loses (uvicorn lowercases them). A small protocol subclass hands the names as sent to the
app next to the scope; where uvicorn's internals are not the vetted ones, names arrive
lowercased and everything else works the same."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from lambdalite.api.uvicorn_check import mismatch
from lambdalite.api.write_coalescing import CoalescingTransport
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.gateway.handler import GatewayHandler
from lambdalite.gateway.locate import ApiTarget, UrlTarget, locate
from lambdalite.gateway.registry import GatewayRegistry
from lambdalite.gateway.request import GatewayRequest
from lambdalite.gateway.responses import HttpResponse
from lambdalite.gateway.urls import FunctionUrls

log = logging.getLogger(__name__)
RAW_NAMES = "lambdalite.raw_header_names"
# The largest body read: API Gateway's 10 MB quota, and one byte to see it passed.
_READ_LIMIT = 10 * 1024 * 1024 + 1


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


class GatewayApp:
    """The ASGI app on the gateway port."""

    def __init__(
        self, registry: GatewayRegistry, urls: FunctionUrls, handler: GatewayHandler
    ) -> None:
        self._registry = registry
        self._urls = urls
        self._handler = handler

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        try:
            response = await self._answer(scope, receive, send)
            if response is None:
                return  # streamed (gateway/streaming.py)
        except Exception:
            log.exception("gateway request failed")
            response = HttpResponse(
                500, [("content-type", "application/json")], b'{"message": "Internal server error"}'
            )
        headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
        headers.append((b"content-length", str(len(response.body)).encode()))
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        await send({"type": "http.response.body", "body": response.body})

    async def _answer(self, scope: dict[str, Any], receive: Any, send: Any) -> HttpResponse | None:
        raw = scope["headers"]
        names = scope.get(RAW_NAMES)
        if names is None or len(names) != len(raw):
            names = [name for name, _ in raw]
        headers = [
            (n.decode("latin-1"), v.decode("latin-1")) for n, (_, v) in zip(names, raw, strict=True)
        ]
        host = next((v for k, v in headers if k.lower() == "host"), "")
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        target = locate(host, raw_path, self._registry, self._urls)
        body = await _read_body(receive)
        client = scope.get("client") or ("127.0.0.1", 0)
        req = GatewayRequest(
            method=scope["method"],
            raw_path=target.raw_path if target is not None else raw_path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
            body=body,
            source_ip=client[0],
            protocol=f"HTTP/{scope.get('http_version', '1.1')}",
        )
        if isinstance(target, UrlTarget):
            return await self._handler.url(target, req, send)
        if isinstance(target, ApiTarget):
            return await self._handler.api(target, req)
        if raw_path.startswith("/lambda-url/"):
            return HttpResponse(
                403, [("content-type", "application/json")], b'{"Message":"Forbidden"}'
            )
        return HttpResponse(404, [("content-type", "application/json")], b'{"message":"Not Found"}')


async def _read_body(receive: Any) -> bytes:
    """The body, stopping once past the largest quota (what is kept then is only to say
    that it was too large; the rest is discarded as it arrives)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        if size < _READ_LIMIT:
            chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)


class GatewayServer:
    """A platform component: listens on `gateway_port` (0: not at all)."""

    def __init__(
        self, settings: Settings, app: GatewayApp, loaders: Sequence[Callable[[], Awaitable[None]]]
    ) -> None:
        self._settings = settings
        self._app = app
        self._loaders = loaders  # what the app reads from memory, loaded from the store first
        self._server: uvicorn.Server | None = None

    async def start(self) -> None:
        for load in self._loaders:
            await load()
        port = self._settings.gateway_port
        if not port:
            return
        sock = socket.socket(socket.AF_INET6 if ":" in self._settings.host else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self._settings.host, port))
        except OSError as exc:
            sock.close()
            # The API keeps serving: a second server on the same machine must not die of it.
            log.error(
                "the HTTP gateway cannot listen on port %d (%s): routes and function "
                "URLs are not served; choose another with --gateway-port",
                port,
                exc,
            )
            return
        sock.listen(2048)
        sock.setblocking(False)
        protocol: Any = CasePreservingProtocol if mismatch() is None else "httptools"
        config = uvicorn.Config(
            self._app, lifespan="off", http=protocol, access_log=False,
            log_level="warning", server_header=False, proxy_headers=False,
            timeout_graceful_shutdown=int(self._settings.shutdown_grace_s),
        )  # fmt: skip
        config.load()
        server = uvicorn.Server(config)
        server.lifespan = config.lifespan_class(config)  # "off": what startup expects set
        await server.startup(sockets=[sock])
        self._server = server
        log.info("HTTP gateway listening on http://%s:%d", self._settings.host, port)

    async def stop(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            await server.shutdown()
            for listener in server.servers:
                await listener.wait_closed()

    def due_loops(self) -> Sequence[DueLoop]:
        return ()
