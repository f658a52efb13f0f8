"""MotoEngine: moto's request handlers and backends, called on one worker thread.

moto is synchronous and not written for concurrent callers, so every call (a request, a
read of a backend) runs on one dedicated thread, one at a time: moto never sees two
threads, and a read that follows a request sees everything that request did. moto is
imported on that thread at the first call, so a server whose clients never touch S3 or
DynamoDB pays nothing for it.
"""

from __future__ import annotations

import asyncio
import datetime
import importlib
import importlib.util
import re
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

INSTALL_HINT = "pip install 'lambdalite[services]'"
# moto's backend names and which backend key (region, or S3's partition) holds the state.
GLOBAL_SERVICES = {"s3": "aws"}


class MotoMissing(RuntimeError):
    """The ``services`` extra (moto) is not installed."""

    def __init__(self, service: str) -> None:
        super().__init__(
            f"{service} is served by the optional moto backend, which is not installed: "
            f"{INSTALL_HINT}"
        )


@dataclass(frozen=True, slots=True)
class MotoRequest:
    """A request as moto's handlers read it (botocore's prepared-request attributes)."""

    service: str  # "s3", "dynamodb", "dynamodbstreams"
    region: str
    method: str
    url: str  # on moto's AWS domain, e.g. https://s3.amazonaws.com/bucket/key?uploads
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class MotoResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class MotoEngine:
    def __init__(self, account_id: str) -> None:
        self.account_id = account_id
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="moto")
        self._routes: dict[str, list[tuple[re.Pattern[str], Callable[..., Any]]]] = {}
        # The time moto reads during a request, when the caller pins it (pinned_clock).
        self._pinned_at: float | None = None
        self._real_utcnow: Callable[[], datetime.datetime] | None = None
        self._modules_seen = 0

    @staticmethod
    def available() -> bool:
        """Whether moto can be imported (without importing it)."""
        return importlib.util.find_spec("moto") is not None

    async def run(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on moto's thread (backend reads and writes go through here)."""
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn)

    def run_holding_loop(self, fn: Callable[[], T]) -> T:
        """Run ``fn`` on moto's thread while the calling thread (the event loop) waits: for
        start-up work nothing else may run beside (durability.py's replay)."""
        return self._executor.submit(fn).result()

    def seed(self, seed: int) -> None:
        """Reseed moto's random source, where its ids come from (call on moto's thread)."""
        self._import("moto.moto_api._internal").mock_random.seed(seed)

    async def call(self, request: MotoRequest) -> MotoResponse:
        return await self.run(lambda: self.call_sync(request))

    def call_sync(self, request: MotoRequest, at: float | None = None) -> MotoResponse:
        """On moto's thread: hand ``request`` to the moto handler its URL names. `at`: the
        time (epoch seconds) moto reads throughout the request, so that a replay of it can
        stamp the same LastModified, CreationDateTime and stream label."""
        self._pin_clock()
        self._pinned_at = at
        try:
            return self._call(request)
        finally:
            self._pinned_at = None

    def _call(self, request: MotoRequest) -> MotoResponse:
        from botocore.awsrequest import AWSPreparedRequest, HeadersDict

        http_exception = self._import("moto.core.exceptions").HTTPException
        headers = HeadersDict(request.headers)
        headers["x-moto-account-id"] = self.account_id  # moto's state is per account
        prepared = AWSPreparedRequest(request.method, request.url, headers, request.body, False)
        # As moto's own botocore stubber does: its handlers act on its normalized request
        # (a werkzeug one; moto >= 5.2.6 reads attributes botocore's request lacks).
        normalized = self._import("moto.core.request").normalize_request(prepared)
        handler = self._handler(request.service, request.region, request.url.split("?", 1)[0])
        try:
            status, out_headers, body = handler(normalized, request.url, headers)
        except http_exception as exc:
            status, out_headers, body = exc.code, exc.get_headers(), exc.get_body()
        raw = body.encode() if isinstance(body, str) else bytes(body or b"")
        pairs = {str(k): str(v) for k, v in dict(out_headers).items()}
        return MotoResponse(int(status), pairs, raw)

    def backend(self, service: str, region: str) -> Any:
        """moto's backend object for this account (call on moto's thread)."""
        backends = self._import("moto.backends")
        return backends.get_backend(service)[self.account_id][GLOBAL_SERVICES.get(service, region)]

    def _handler(self, service: str, region: str, clean_url: str) -> Callable[..., Any]:
        routes = self._routes.get(service)
        if routes is None:
            urls = self.backend(service, region).urls
            routes = self._routes[service] = [(re.compile(p), f) for p, f in urls.items()]
        for pattern, handler in routes:
            if pattern.match(clean_url):
                return handler
        raise LookupError(f"moto serves no {service} URL {clean_url}")

    def _pin_clock(self) -> None:
        """Route moto's clock (moto.core.utils.utcnow, imported by name into its modules)
        through `_utcnow`; modules moto imports later are swept when they appear."""
        if len(sys.modules) == self._modules_seen:
            return
        utils = self._import("moto.core.utils")
        if self._real_utcnow is None:
            self._real_utcnow = utils.utcnow
        real = self._real_utcnow
        for name, module in list(sys.modules.items()):
            if name.startswith("moto") and getattr(module, "utcnow", None) is real:
                module.utcnow = self._utcnow  # type: ignore[attr-defined]
        self._modules_seen = len(sys.modules)

    def _utcnow(self) -> datetime.datetime:
        at = self._pinned_at
        if at is None:
            assert self._real_utcnow is not None
            return self._real_utcnow()
        # moto's utcnow is naive UTC.
        return datetime.datetime.fromtimestamp(at, datetime.UTC).replace(tzinfo=None)

    def _import(self, name: str) -> Any:
        try:
            return importlib.import_module(name)
        except ImportError as exc:
            raise MotoMissing("S3 and DynamoDB") from exc

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
