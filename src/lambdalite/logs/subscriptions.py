"""Subscription filters with a Lambda function destination (issue 16).

A filter keeps a cursor: the id of the last stored event it has looked at. Its delivery
loop (a DueLoop, woken whenever log events are stored) reads the group's events after the
cursor, keeps those the pattern matches, and hands them to the function as AWS does, one
payload per log stream and batch: ``{"awslogs": {"data": base64(gzip(json))}}`` holding a
DATA_MESSAGE. Each payload goes through the asynchronous invoke path (retries, DLQ and
destinations apply), and the cursor moves only once that path has accepted the batch
durably: a crash in between delivers the batch again (at least once, as AWS), never loses
it. A destination that no longer exists drops the batch with a warning, as AWS does.

A function cannot subscribe to its own log group: every delivery would log lines that are
delivered again, forever. PutSubscriptionFilter refuses it (CloudWatch documents the loop
as the user's problem; here it would spin a laptop).
"""

from __future__ import annotations

import asyncio
import base64
import gzip
import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.errors import ResourceNotFoundException as FunctionNotFound
from lambdalite.logs.catalog import LogCatalog, Page, paginate
from lambdalite.logs.errors import (
    InvalidParameterException,
    LimitExceededException,
    ResourceNotFoundException,
)
from lambdalite.logs.events import matcher
from lambdalite.logs.store import LogStore, StoredLogEvent, SubscriptionFilter
from lambdalite.logs.tokens import event_id
from lambdalite.services.directory import ServiceDirectory

log = logging.getLogger(__name__)

MAX_FILTERS = 2  # per log group, as CloudWatch Logs allows
BATCH_EVENTS = 500  # events read per pass and filter
MAX_PAYLOAD_EVENTS = 500
RETRY_S = 60.0

FunctionLogGroup = Callable[[str], Awaitable[str | None]]
"""The log group a function (name or ARN) writes to; None when there is no such function."""


def awslogs_payload(
    owner: str, group: str, stream: str, filter_name: str, events: Sequence[StoredLogEvent]
) -> bytes:
    message = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": [filter_name],
        "logEvents": [
            {"id": event_id(e.event_id), "timestamp": e.timestamp_ms, "message": e.message}
            for e in events
        ],
    }
    data = base64.b64encode(gzip.compress(json.dumps(message).encode())).decode()
    return json.dumps({"awslogs": {"data": data}}).encode()


class Subscriptions(DueLoop):
    name = "logs-subscriptions"

    def __init__(
        self,
        store: LogStore,
        catalog: LogCatalog,
        clock: Clock,
        directory: ServiceDirectory,
        function_log_group: FunctionLogGroup,
        account_id: str,
    ) -> None:
        super().__init__(clock)
        self._store = store
        self._catalog = catalog
        self._directory = directory
        self._function_log_group = function_log_group
        self._account_id = account_id
        self._any = False  # whether any filter exists: stored events wake the loop only then

    def stored(self) -> None:
        """Log events were stored (called per committed batch, not per line)."""
        if self._any:
            self.wake()

    async def start(self) -> None:
        self._any = bool(await self._store.filters())
        await super().start()

    # the API -----------------------------------------------------------------------------

    async def put(
        self, group: str, name: str, pattern: str, destination: str, role: str | None,
        distribution: str | None,
    ) -> None:  # fmt: skip
        matcher(pattern)
        await self._catalog.require_group(group)
        existing = await self._store.filters(group)
        if len(existing) >= MAX_FILTERS and all(f.name != name for f in existing):
            raise LimitExceededException("Resource limit exceeded.")
        await self._check_destination(group, destination)
        await self._store.put_filter(
            SubscriptionFilter(
                log_group=group,
                name=name,
                filter_pattern=pattern,
                destination_arn=destination,
                role_arn=role,
                distribution=distribution or "ByLogStream",
                creation_ms=int(self._clock.now() * 1000),
                cursor=await self._store.last_event_id(),  # only events from now on
            )
        )
        self._any = True

    async def _check_destination(self, group: str, destination: str) -> None:
        if ":lambda:" not in destination:
            raise InvalidParameterException(
                "lambdalite delivers subscription filters to Lambda functions only."
            )
        own = await self._function_log_group(destination)
        if own is None:
            raise InvalidParameterException(
                "Could not execute the lambda function. Make sure you have given CloudWatch "
                "Logs permission to execute your function."
            )
        if own == group:
            raise InvalidParameterException(
                "The destination function writes to this log group: its own log lines "
                "would be delivered to it again forever."
            )

    async def describe(
        self, group: str, prefix: str | None, token: str | None, limit: int | None
    ) -> Page:
        await self._catalog.require_group(group)
        filters = [f for f in await self._store.filters(group) if f.name.startswith(prefix or "")]
        return paginate(filters, lambda f: [f.name], token, limit or 50)

    async def delete(self, group: str, name: str) -> None:
        await self._catalog.require_group(group)
        if not await self._store.delete_filter(group, name):
            raise ResourceNotFoundException("The specified subscription filter does not exist.")

    # delivery ----------------------------------------------------------------------------

    async def run_due(self) -> float | None:
        filters = await self._store.filters()
        self._any = bool(filters)
        retry_at: float | None = None
        for sub in filters:
            if not await self._deliver_pending(sub):
                retry_at = self._clock.now() + RETRY_S
        return retry_at

    async def _deliver_pending(self, sub: SubscriptionFilter) -> bool:
        """Deliver what is after the cursor; False when a send failed (tried again later)."""
        match = matcher(sub.filter_pattern)
        cursor = sub.cursor
        while True:
            events = await self._store.events(sub.log_group, after_id=cursor, limit=BATCH_EVENTS)
            if not events:
                return True
            by_stream: dict[str, list[StoredLogEvent]] = {}
            for e in events:
                if match(e.message):
                    by_stream.setdefault(e.log_stream, []).append(e)
            for stream, matched in by_stream.items():
                for start in range(0, len(matched), MAX_PAYLOAD_EVENTS):
                    chunk = matched[start : start + MAX_PAYLOAD_EVENTS]
                    if not await self._send(sub, stream, chunk):
                        return False
            cursor = events[-1].event_id
            await self._store.advance_filter(sub.log_group, sub.name, cursor)
            await asyncio.sleep(0)

    async def _send(self, sub: SubscriptionFilter, stream: str, events: list[Any]) -> bool:
        invoker = self._directory.lambda_async
        if invoker is None:
            return False
        payload = awslogs_payload(self._account_id, sub.log_group, stream, sub.name, events)
        try:
            await invoker.invoke_async(sub.destination_arn, payload, source="aws:logs")
        except FunctionNotFound:
            log.warning(
                "subscription filter %s of %s: %s is gone; dropped %d events",
                sub.name, sub.log_group, sub.destination_arn, len(events),
            )  # fmt: skip
        except Exception:
            log.exception("subscription filter %s of %s failed", sub.name, sub.log_group)
            return False
        return True
