"""The smallest request/response layer over raw ASGI: the invoke hot path pays for nothing else."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from lambdalite.errors import RequestTooLargeException

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]

JSON = b"application/json"


@dataclass(slots=True)
class Request:
    method: str
    path: str
    raw_path: bytes
    query_string: bytes
    headers: dict[str, str]
    body: bytes

    _query: dict[str, list[str]] | None = None

    @property
    def query(self) -> dict[str, list[str]]:
        if self._query is None:
            self._query = parse_qs(self.query_string.decode("latin-1"), keep_blank_values=True)
        return self._query

    def query_value(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None


def decode_headers(raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
    """Wire headers as a dict of lowercase names (the last of repeated names wins)."""
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}


async def read_request(scope: Scope, receive: Receive, limit: int, operation: str) -> Request:
    headers = decode_headers(scope["headers"])
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise RequestTooLargeException(
            f"Request must be smaller than {limit} bytes for the {operation} operation"
        )
    message = await receive()
    body = message.get("body", b"")
    if message.get("more_body"):
        chunks = [body]
        size = len(body)
        while message.get("more_body"):
            message = await receive()
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise RequestTooLargeException(
                    f"Request must be smaller than {limit} bytes for the {operation} operation"
                )
            chunks.append(chunk)
        body = b"".join(chunks)
    return Request(
        method=scope["method"],
        path=scope["path"],
        raw_path=scope.get("raw_path") or scope["path"].encode(),
        query_string=scope.get("query_string", b""),
        headers=headers,
        body=body,
    )


async def respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    # A HEAD answer may carry its own length (S3's HeadObject: the object's size).
    if not any(name == b"content-length" for name, _ in headers):
        headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# The scheme and host the client used, so that URLs we hand out (queue URLs, code locations)
# point where the client can reach us, also behind 0.0.0.0 or a proxy.
_endpoint: ContextVar[str | None] = ContextVar("lambdalite_endpoint", default=None)


def remember_endpoint(request: Request) -> None:
    host = request.headers.get("host")
    _endpoint.set(f"http://{host}" if host else None)


def endpoint_url(fallback: str) -> str:
    """The endpoint as the current request addressed it, else `fallback`."""
    return _endpoint.get() or fallback
