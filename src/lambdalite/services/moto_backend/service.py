"""MotoServices: S3 and DynamoDB requests in, moto's answers out, and what lambdalite owes
functions on the way (notification rows, stream wake-ups).

A component of the platform: it registers S3's outbox courier and DynamoDB Streams' reader
with the platform at construction; moto itself starts on first use.
"""

from __future__ import annotations

import json
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
from lambdalite.services.moto_backend.engine import (
    INSTALL_HINT,
    MotoEngine,
    MotoRequest,
    MotoResponse,
)
from lambdalite.services.moto_backend.routes import Route, S3Target
from lambdalite.services.moto_backend.s3_courier import KIND, S3Courier
from lambdalite.services.moto_backend.s3_events import ObjectEvent, complete, object_events
from lambdalite.services.moto_backend.s3_notify import (
    Destination,
    RequestFacts,
    deliveries,
    destinations,
)

_ACCESS_KEY = re.compile(r"Credential=([^/,]+)/")
_NOT_INSTALLED = {
    "s3": ("NotImplemented", 501),
    "dynamodb": ("UnknownOperationException", 400),
    "dynamodbstreams": ("UnknownOperationException", 400),
}
_NAMES = {"s3": "S3", "dynamodb": "DynamoDB", "dynamodbstreams": "DynamoDB Streams"}
# moto's answer, each event with the destinations it goes to, the bucket's region
_Plan = tuple[MotoResponse, list[tuple[ObjectEvent, list[Destination]]], str]


class MotoServices:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        directory: ServiceDirectory,
        outbox_store: OutboxStore,
        outbox: Outbox,
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._outbox_store = outbox_store
        self._outbox = outbox
        self.engine = MotoEngine(settings.account_id)
        self.streams = DynamoStreamReader(self.engine, clock)
        outbox.register(KIND, S3Courier(clock, directory))

    route = staticmethod(routes.route)

    async def handle(self, request: Request, route: Route) -> wire.Response:
        if not self.engine.available():
            code, status = _NOT_INSTALLED[route.service]
            message = (
                f"{_NAMES[route.service]} is served by lambdalite's optional moto backend, "
                f"which is not installed: {INSTALL_HINT}"
            )
            return wire.error(route.service, code, message, status, new_request_id())
        region = route.region or self._settings.region
        try:
            if route.service == "s3":
                return await self._s3(request, route, region)
            return await self._json(request, route, region)
        except Exception:
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

        def run() -> tuple[Any, list[str]]:
            answer = self.engine.call_sync(call)
            grown = self.streams.stamp(region, now) if route.service == "dynamodb" else []
            return answer, grown

        answer, grown = await self.engine.run(run)
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
        answer, owed, bucket_region = await self.engine.run(
            lambda: self._s3_sync(call, request, target)
        )
        if owed:
            facts = self._facts(request, answer.headers, target, bucket_region)
            await self._owe(owed, facts)
        return wire.response(answer, request.method)

    def _s3_sync(self, call: MotoRequest, request: Request, target: S3Target) -> _Plan:
        """On moto's thread: the request, then what it raised, read before any other."""
        answer = self.engine.call_sync(call)
        events = object_events(
            request.method, target, request.query, request.headers,
            answer.status, answer.headers, answer.body,
        )  # fmt: skip
        if not events or target.bucket is None:
            return answer, [], ""
        backend = self.engine.backend("s3", call.region)
        bucket = backend.buckets.get(target.bucket)
        if bucket is None:
            return answer, [], ""
        wanted = destinations(bucket.notification_configuration)
        if not wanted:
            return answer, [], ""
        completed = complete(backend, target.bucket, events)
        plan = [(event, wanted) for event in completed]
        return answer, plan, str(getattr(bucket, "region_name", call.region))

    def _facts(
        self, request: Request, answer_headers: dict[str, str], target: S3Target, region: str
    ) -> RequestFacts:
        lower = {k.lower(): v for k, v in answer_headers.items()}
        key = _ACCESS_KEY.search(request.headers.get("authorization", ""))
        forwarded = request.headers.get("x-forwarded-for", "127.0.0.1").split(",")[0].strip()
        return RequestFacts(
            account_id=self._settings.account_id,
            region=region,
            bucket=target.bucket or "",
            principal=key.group(1) if key is not None else "anonymous",
            source_ip=forwarded,
            request_id=lower.get("x-amz-request-id")
            or lower.get("x-amzn-requestid")
            or secrets.token_hex(8).upper(),
            host_id=lower.get("x-amz-id-2") or secrets.token_urlsafe(48),
            time=self._clock.now(),
        )

    async def _owe(
        self, owed: list[tuple[ObjectEvent, list[Destination]]], facts: RequestFacts
    ) -> None:
        """Commit one outbox row per notification before the request is answered."""
        now = facts.time
        entries = []
        for event, wanted in owed:
            for arn, document in deliveries([event], wanted, facts):
                entries.append(
                    Entry(
                        kind=KIND,
                        ref=f"{facts.bucket}/{event.key}",
                        target=arn,
                        body=json.dumps(document),
                        created_at=now,
                        due_at=now,
                    )  # fmt: skip
                )
        if entries:
            await self._outbox_store.add(entries)
            self._outbox.wake()

    # component ----------------------------------------------------------------------------

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        self.engine.close()

    def due_loops(self) -> Sequence[DueLoop]:
        return []
