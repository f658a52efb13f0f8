"""MotoServices: S3 and DynamoDB requests in, moto's answers out, and what lambdalite owes
functions on the way (notification rows, stream wake-ups).

A component of the platform: it registers S3's outbox courier and DynamoDB Streams' reader
with the platform at construction; moto itself starts on first use.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import secrets
from collections.abc import Sequence
from typing import Any

from lambdalite.api.http import Request
from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.invoke.invoker import new_request_id
from lambdalite.outbox.model import Entry
from lambdalite.outbox.runner import Outbox
from lambdalite.outbox.store import OutboxStore
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.moto_backend import routes, wire
from lambdalite.services.moto_backend.ddb_stream import DynamoStreamReader
from lambdalite.services.moto_backend.durability import Durability, KeptRequest, KeptRequestStore
from lambdalite.services.moto_backend.engine import (
    INSTALL_HINT,
    MotoEngine,
    MotoMissing,
    MotoRequest,
    MotoResponse,
)
from lambdalite.services.moto_backend.routes import Route, S3Target
from lambdalite.services.moto_backend.s3_courier import KIND, S3Courier
from lambdalite.services.moto_backend.s3_events import complete, object_events
from lambdalite.services.moto_backend.s3_notify import (
    RequestFacts,
    deliveries,
    destinations,
    test_event,
)

log = logging.getLogger(__name__)

_ACCESS_KEY = re.compile(r"Credential=([^/,]+)/")
_NOT_INSTALLED = {
    "s3": ("NotImplemented", 501),
    "dynamodb": ("UnknownOperationException", 400),
    "dynamodbstreams": ("UnknownOperationException", 400),
}
_NAMES = {"s3": "S3", "dynamodb": "DynamoDB", "dynamodbstreams": "DynamoDB Streams"}
Owed = tuple[str, dict[str, Any]]  # a notification: destination ARN, document


class MotoServices:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        directory: ServiceDirectory,
        outbox_store: OutboxStore,
        outbox: Outbox,
        kept_requests: KeptRequestStore,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._outbox_store = outbox_store
        self._outbox = outbox
        self.engine = MotoEngine(settings.account_id)
        self.streams = DynamoStreamReader(self.engine, clock)
        # Every request that changed moto's state is kept before it is answered, and
        # replayed at start: S3 and DynamoDB outlive the process as the rest does.
        self.durability = Durability(self.engine, self.streams, kept_requests)
        outbox.register(KIND, S3Courier(clock, directory))

    route = staticmethod(routes.route)

    async def handle(self, request: Request, route: Route) -> wire.Response:
        """moto's answer, or the service's own error document: never an exception."""
        region = route.region or self._settings.region
        try:
            if not self.engine.available():
                raise MotoMissing(_NAMES[route.service])
            if route.service == "s3":
                return await self._s3(request, route, region)
            return await self._json(request, route, region)
        except MotoMissing:
            code, status = _NOT_INSTALLED[route.service]
            message = (
                f"{_NAMES[route.service]} is served by lambdalite's optional moto backend, "
                f"which is not installed: {INSTALL_HINT}"
            )
            return wire.error(route.service, code, message, status, new_request_id())
        except Exception:
            log.exception("%s request failed in moto", route.service)
            code = "InternalError" if route.service == "s3" else "InternalServerError"
            message = "We encountered an internal error. Please try again."
            return wire.error(route.service, code, message, 500, new_request_id())

    async def _json(self, request: Request, route: Route, region: str) -> wire.Response:
        headers = dict(request.headers)
        headers.pop("host", None)
        call = MotoRequest(
            route.service, region, request.method, routes.json_url(route.service, region),
            headers, request.body,
        )  # fmt: skip
        now = self._clock.now()

        def run() -> tuple[Any, list[str], KeptRequest | None]:
            answer, kept = self.durability.call(call, now)
            grown = self.streams.stamp(region, now) if route.service == "dynamodb" else []
            return answer, grown, kept

        answer, grown, kept = await self.engine.run(run)
        await self.durability.keep(kept)
        self.streams.wake(grown)
        return wire.response(answer, request.method)

    async def _s3(self, request: Request, route: Route, region: str) -> wire.Response:
        target = routes.s3_target(request, route.bucket)
        headers = dict(request.headers)
        headers["host"] = routes.S3_HOST
        call = MotoRequest(
            "s3", region, request.method, routes.s3_url(target, request.query_string),
            headers, request.body,
        )  # fmt: skip
        facts = self._facts(request, target, region)
        answer, owed, kept = await self.engine.run(
            lambda: self._s3_sync(call, request, target, facts)
        )
        await self.durability.keep(kept)
        answer.headers["x-amz-request-id"] = facts.request_id
        answer.headers["x-amz-id-2"] = facts.host_id
        await self._owe(owed, facts)
        return wire.response(answer, request.method)

    def _s3_sync(
        self, call: MotoRequest, request: Request, target: S3Target, facts: RequestFacts
    ) -> tuple[MotoResponse, list[Owed], KeptRequest | None]:
        """On moto's thread: the request, what to keep of it, and the notifications it
        owes, read from moto before any other request can change the objects."""
        answer, kept = self.durability.call(call, facts.time)
        return answer, self._s3_owed(call, request, target, facts, answer), kept

    def _s3_owed(
        self,
        call: MotoRequest,
        request: Request,
        target: S3Target,
        facts: RequestFacts,
        answer: MotoResponse,
    ) -> list[Owed]:
        if target.bucket is None or not 200 <= answer.status < 300:
            return []
        if request.method == "PUT" and target.key is None and "notification" in request.query:
            return self._test_events(call.region, target.bucket, facts)
        events = object_events(
            request.method, target, request.query, request.headers,
            answer.status, answer.headers, answer.body,
        )  # fmt: skip
        bucket = self._bucket(call.region, target.bucket) if events else None
        wanted = destinations(bucket.notification_configuration) if bucket is not None else []
        if not wanted:
            return []
        events = complete(self.engine.backend("s3", call.region), target.bucket, events)
        facts = dataclasses.replace(facts, region=str(getattr(bucket, "region_name", call.region)))
        return deliveries(events, wanted, facts)

    def _test_events(self, region: str, name: str, facts: RequestFacts) -> list[Owed]:
        """S3 sends queues and topics an s3:TestEvent when a configuration names them."""
        bucket = self._bucket(region, name)
        if bucket is None:
            return []
        arns = {d.arn for d in destinations(bucket.notification_configuration)}
        return [(arn, test_event(facts)) for arn in sorted(arns) if ":lambda:" not in arn]

    def _bucket(self, region: str, name: str) -> Any:
        return self.engine.backend("s3", region).buckets.get(name)

    def _facts(self, request: Request, target: S3Target, region: str) -> RequestFacts:
        key = _ACCESS_KEY.search(request.headers.get("authorization", ""))
        forwarded = request.headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip()
        return RequestFacts(
            account_id=self._settings.account_id,
            region=region,
            bucket=target.bucket or "",
            principal=key.group(1) if key is not None else "anonymous",
            source_ip=forwarded,
            request_id=secrets.token_hex(8).upper(),
            host_id=secrets.token_urlsafe(48),
            time=self._clock.now(),
        )

    async def _owe(self, owed: list[Owed], facts: RequestFacts) -> None:
        """Commit one outbox row per notification before the request is answered."""
        if not owed:
            return
        now = facts.time
        entries = [
            Entry(
                kind=KIND,
                ref=facts.bucket,
                target=arn,
                body=json.dumps(document),
                created_at=now,
                due_at=now,
            )  # fmt: skip
            for arn, document in owed
        ]
        await self._outbox_store.add(entries)
        self._outbox.wake()

    # component ----------------------------------------------------------------------------

    async def start(self) -> None:
        if self.engine.available():
            await self.durability.replay()

    async def stop(self) -> None:
        self.engine.close()

    def due_loops(self) -> Sequence[DueLoop]:
        return []
