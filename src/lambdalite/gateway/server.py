"""The gateway's own listener: a second uvicorn server on the gateway port, in the same
process and event loop as the API, started and stopped with the platform. It serves
GatewayApp (gateway/app.py) through the gateway's protocol (gateway/protocol.py) where
uvicorn's internals are the vetted ones (gateway/uvicorn_fit.py)."""

from __future__ import annotations

import logging
import socket
from collections.abc import Awaitable, Callable, Sequence

import uvicorn

from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.gateway.app import GatewayApp
from lambdalite.gateway.uvicorn_fit import http_protocol

__all__ = ["GatewayApp", "GatewayServer"]

log = logging.getLogger(__name__)


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
        config = uvicorn.Config(
            self._app, lifespan="off", http=http_protocol(), access_log=False,
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
