"""The gateway port's application: one request in (through ASGI, or straight from the
gateway's HTTP protocol), one HttpResponse out."""

from __future__ import annotations

import logging
from typing import Any

from lambdalite.gateway.handler import GatewayHandler
from lambdalite.gateway.locate import ApiTarget, UrlTarget, locate
from lambdalite.gateway.registry import GatewayRegistry
from lambdalite.gateway.request import GatewayRequest
from lambdalite.gateway.responses import HttpResponse
from lambdalite.gateway.urls import FunctionUrls

log = logging.getLogger(__name__)
# Where the HTTP protocol leaves each request's header names as the client cased them.
RAW_NAMES = "lambdalite.raw_header_names"
# Where it leaves a callable that cuts the connection short (gateway/streaming.py's Cut).
CUT = "lambdalite.cut"
# The largest body read: API Gateway's 10 MB quota, and one byte to see it passed.
READ_LIMIT = 10 * 1024 * 1024 + 1
_JSON = [("content-type", "application/json")]


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
        raw = scope["headers"]
        names = scope.get(RAW_NAMES)
        if names is None or len(names) != len(raw):
            names = [name for name, _ in raw]
        headers = [
            (n.decode("latin-1"), v.decode("latin-1")) for n, (_, v) in zip(names, raw, strict=True)
        ]
        response = await self.answer(
            scope["method"],
            (scope.get("raw_path") or scope["path"].encode()).decode("latin-1"),
            scope.get("query_string", b"").decode("latin-1"),
            headers,
            await _read_body(receive),
            scope.get("client"),
            scope.get("http_version", "1.1"),
            send,
            scope.get(CUT),
        )
        if response is not None:  # None: already streamed (gateway/streaming.py)
            await send_response(response, send)

    def streams(self, host: str, raw_path: str) -> bool:
        """Whether the request goes to a function URL in RESPONSE_STREAM mode, which only
        the ASGI path (with its `send`) can answer."""
        target = locate(host, raw_path, self._registry, self._urls)
        return isinstance(target, UrlTarget) and target.config.invoke_mode == "RESPONSE_STREAM"

    async def answer(
        self, method: str, raw_path: str, query_string: str, headers: list[tuple[str, str]],
        body: bytes, client: tuple[str, int] | None, http_version: str, send: Any = None,
        cut: Any = None,
    ) -> HttpResponse | None:  # fmt: skip
        """The answer to one request; a failure of ours is API Gateway's bare 500."""
        try:
            host = next((v for k, v in headers if k.lower() == "host"), "")
            target = locate(host, raw_path, self._registry, self._urls)
            req = GatewayRequest(
                method=method,
                raw_path=target.raw_path if target is not None else raw_path,
                query_string=query_string,
                headers=headers,
                body=body,
                source_ip=client[0] if client else "127.0.0.1",
                protocol=f"HTTP/{http_version}",
            )
            if isinstance(target, UrlTarget):
                return await self._handler.url(target, req, send, cut)
            if isinstance(target, ApiTarget):
                return await self._handler.api(target, req)
            if raw_path.startswith("/lambda-url/"):
                return HttpResponse(403, list(_JSON), b'{"Message":"Forbidden"}')
            return HttpResponse(404, list(_JSON), b'{"message":"Not Found"}')
        except Exception:
            log.exception("gateway request failed")
            return HttpResponse(500, list(_JSON), b'{"message": "Internal server error"}')


async def send_response(response: HttpResponse, send: Any) -> None:
    """Send `response` through an ASGI `send`."""
    headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in response.headers]
    headers.append((b"content-length", str(len(response.body)).encode()))
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": response.body})


async def _read_body(receive: Any) -> bytes:
    """The body, stopping once past the largest quota (what is kept then is only to say
    that it was too large; the rest is discarded as it arrives)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        if size < READ_LIMIT:
            chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body"):
            break
    return b"".join(chunks)
