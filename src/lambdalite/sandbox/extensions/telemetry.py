"""The Telemetry API (2022-07-01) of one execution environment: an extension subscribes an
HTTP listener of its own to platform, function and extension events, which are buffered
(maxItems, maxBytes, timeoutMs) and POSTed as JSON arrays.

The deprecated Logs API (2020-08-15) still works on AWS; it is served by the same
subscriptions, its events in the Telemetry API's shapes. The buffer's timeout runs on the
platform clock, so a virtual clock delivers when a test advances it (and drains).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from lambdalite.clock import Clock
from lambdalite.sandbox.extensions.api import IDENTIFIER, ExtensionsApi, error_body
from lambdalite.sandbox.runtime_api.http import Reply, Request
from lambdalite.settling import until_done

log = logging.getLogger(__name__)

PREFIX = b"/2022-07-01/telemetry"
LOGS_PREFIX = b"/2020-08-15/logs"
TYPES = ("platform", "function", "extension")
SCHEMA_VERSIONS = ("2022-07-01", "2022-12-13", "2025-01-29")
# (minimum, maximum, default) of each buffering member, as the Telemetry API documents them.
BUFFERING = {
    "maxItems": (1000, 10000, 10000),
    "maxBytes": (262144, 1048576, 262144),
    "timeoutMs": (25, 30000, 1000),
}
# The sandbox's own name for its address (AWS examples listen on sandbox.localdomain).
_LOCAL_HOSTS = {"sandbox.localdomain", "sandbox", "localhost", "127.0.0.1"}
_DELIVERY_TIMEOUT_S = 2.0
_BODY_LIMIT = 64 * 1024

Subscribed = Callable[["Subscription"], None]


class InvalidSubscription(ValueError):
    pass


@dataclass(eq=False)
class Subscription:
    name: str
    url: str
    types: frozenset[str]
    max_items: int
    max_bytes: int
    timeout_s: float
    buffer: list[bytes] = field(default_factory=list)
    size: int = 0
    due: float | None = None  # clock time the buffer must go out by
    timer: asyncio.Task[None] | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def category(event_type: str) -> str:
    return "platform" if event_type.startswith("platform.") else event_type


class TelemetryApi:
    """Routes for PREFIX (and the Logs API's); `publish` takes each event as it happens."""

    def __init__(self, api: ExtensionsApi, clock: Clock, on_subscribed: Subscribed) -> None:
        self._api = api
        self._clock = clock
        self._on_subscribed = on_subscribed
        self.subscriptions: dict[str, Subscription] = {}  # by extension identifier
        self._inflight: set[asyncio.Task[None]] = set()
        self._client: httpx.AsyncClient | None = None
        self._closed = False

    # -- from the environment ------------------------------------------------------------

    def publish(self, event_type: str, record: Any, time: str) -> None:
        if not self.subscriptions:
            return
        for sub in self.subscriptions.values():
            self.publish_to(sub, event_type, record, time)

    def publish_to(self, sub: Subscription, event_type: str, record: Any, time: str) -> None:
        if category(event_type) not in sub.types:
            return
        data = json.dumps({"time": time, "type": event_type, "record": record}).encode()
        sub.buffer.append(data)
        sub.size += len(data)
        if len(sub.buffer) >= sub.max_items or sub.size >= sub.max_bytes:
            self._deliver_soon(sub)
        elif sub.due is None:
            sub.due = self._clock.now() + sub.timeout_s
            sub.timer = asyncio.get_running_loop().create_task(self._after(sub, sub.due))

    async def flush_due(self) -> None:
        """Send every buffer whose timeout has passed on the clock, and wait for what is in
        flight (the drain hook: a virtual clock's timers may not have run yet)."""
        now = self._clock.now()
        for sub in self.subscriptions.values():
            if sub.buffer and sub.due is not None and sub.due <= now:
                self._deliver_soon(sub)
        await self._settle()

    async def flush_all(self) -> None:
        """Send everything buffered (before SHUTDOWN: the last invocation's report)."""
        for sub in self.subscriptions.values():
            if sub.buffer:
                self._deliver_soon(sub)
        await self._settle()

    async def close(self) -> None:
        self._closed = True
        for sub in self.subscriptions.values():
            if sub.timer is not None:
                sub.timer.cancel()
        for task in list(self._inflight):
            task.cancel()
        await asyncio.gather(*self._inflight, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # -- delivery --------------------------------------------------------------------------

    async def _after(self, sub: Subscription, due: float) -> None:
        await self._clock.sleep_until(due)
        if sub.due == due:
            sub.timer = None
            self._deliver_soon(sub)

    def _deliver_soon(self, sub: Subscription) -> None:
        if self._closed:
            return
        batch, sub.buffer, sub.size, sub.due = sub.buffer, [], 0, None
        if sub.timer is not None:  # (a timer that fired cleared itself first)
            sub.timer.cancel()
        sub.timer = None
        task = asyncio.get_running_loop().create_task(self._post(sub, batch))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _post(self, sub: Subscription, batch: list[bytes]) -> None:
        body = b"[" + b",".join(batch) + b"]"
        async with sub.lock:  # one batch at a time per subscriber, in order
            if self._client is None:
                self._client = httpx.AsyncClient(timeout=_DELIVERY_TIMEOUT_S, trust_env=False)
            try:
                await self._client.post(
                    sub.url, content=body, headers={"Content-Type": "application/json"}
                )
            except httpx.HTTPError as e:  # AWS drops what its subscriber cannot take
                log.info("telemetry for extension %s not delivered: %s", sub.name, e)

    async def _settle(self) -> None:
        await until_done(lambda: self._inflight)

    # -- Routes ----------------------------------------------------------------------------

    def body_limit(self, request: Request) -> int:
        return _BODY_LIMIT

    def handle(self, request: Request, reply: Reply) -> None:
        if request.path not in (PREFIX, LOGS_PREFIX):
            reply.send(404, b"404 page not found\n", content_type=b"text/plain; charset=utf-8")
            return
        if request.method != b"PUT":
            reply.send(405)
            return
        ext = self._api.by_identifier(request.header(IDENTIFIER))
        if ext is None:
            reply.send(
                403,
                error_body("Extension.UnknownExtensionIdentifier", "Unknown extension identifier"),
            )
            return
        try:
            sub = _parse(ext.name, request)
        except InvalidSubscription as e:
            reply.send(400, error_body("ValidationError", str(e)))
            return
        self.subscriptions[ext.identifier] = sub
        reply.send(200, b"OK", content_type=b"text/plain; charset=utf-8")
        self._on_subscribed(sub)

    def disconnected(self, reply: Reply) -> None:
        pass


def _parse(name: str, request: Request) -> Subscription:
    try:
        body = json.loads(bytes(request.body))
    except ValueError:
        raise InvalidSubscription("request body is not valid JSON") from None
    if request.truncated or not isinstance(body, dict):
        raise InvalidSubscription("request body must be a JSON object")
    version = body.get("schemaVersion", "2022-12-13")
    if request.path == PREFIX and version not in SCHEMA_VERSIONS:
        raise InvalidSubscription(f"unsupported schemaVersion: {version}")
    types = body.get("types")
    if not isinstance(types, list) or not types or not all(t in TYPES for t in types):
        raise InvalidSubscription(f"types must be a non-empty list of {', '.join(TYPES)}")
    destination = body.get("destination")
    if not isinstance(destination, dict) or destination.get("protocol") != "HTTP":
        raise InvalidSubscription("destination.protocol must be HTTP")
    url = _local_url(destination.get("URI"))
    buffering = body.get("buffering") or {}
    if not isinstance(buffering, dict):
        raise InvalidSubscription("buffering must be an object")
    values: dict[str, int] = {}
    for key, (low, high, default) in BUFFERING.items():
        value = buffering.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise InvalidSubscription(f"buffering.{key} must be an integer in [{low}, {high}]")
        values[key] = value
    return Subscription(
        name, url, frozenset(types), values["maxItems"], values["maxBytes"],
        values["timeoutMs"] / 1000,
    )  # fmt: skip


def _local_url(uri: object) -> str:
    """The destination on this host: AWS only delivers inside the sandbox."""
    if not isinstance(uri, str):
        raise InvalidSubscription("destination.URI is required")
    parts = urlsplit(uri)
    if parts.scheme != "http" or parts.hostname not in _LOCAL_HOSTS or parts.port is None:
        raise InvalidSubscription(
            "destination.URI must be http://sandbox.localdomain:<port>/... (the sandbox itself)"
        )
    return urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}"))
