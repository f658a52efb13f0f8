"""The SQS service: queues and messages, durable in the platform's store (an SqsStore).

The methods here are the internal API (the wire handlers in ``api/sqs_api.py`` and the
event-source-mapping poller both call them): ``send``, ``receive(queue, max, visibility,
wait)``, ``delete``, ``change_visibility``. All AWS time reads ``platform.clock``. A long
poll waits on the queue's ``Waiter`` (woken by sends, visibility resets and redrive moves)
or on the clock until the next delayed/in-flight message becomes visible.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any

from lambdalite.clock import Clock, wait_until
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.services.directory import ConsumedMessage, MessageAttributes, QueueGone
from lambdalite.services.sqs import attributes as qattrs
from lambdalite.services.sqs import messages
from lambdalite.services.sqs.consumer import consumed
from lambdalite.services.sqs.errors import (
    InvalidParameterValue,
    MissingParameter,
    PurgeQueueInProgress,
    QueueDoesNotExist,
    QueueNameExists,
    ReceiptHandleIsInvalid,
)
from lambdalite.services.sqs.model import FIFO_SUFFIX, NewMessage, Queue, Received, Sent
from lambdalite.services.sqs.reaper import Reaper
from lambdalite.services.sqs.receipts import Receipt, decode_receipt
from lambdalite.services.sqs.store import Outcome, PeekedMessage, SqsStore

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,75}\.fifo$")
PURGE_INTERVAL_S = 60.0
_NO_DEDUP = (
    "The queue should either have ContentBasedDeduplication enabled or "
    "MessageDeduplicationId provided explicitly"
)


class Waiter:
    """Wakes every long poll of one queue at once; a fresh Event per generation."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def notify(self) -> None:
        self.event.set()
        self.event = asyncio.Event()


def _bad_handle(handle: str, reason: str) -> InvalidParameterValue:
    return InvalidParameterValue(
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: {reason}"
    )


def _delete_error(outcome: Outcome, handle: str) -> Exception | None:
    # Deleting a message that is gone succeeds: a delete is idempotent.
    if outcome == "expired":
        return _bad_handle(handle, "The receipt handle has expired.")
    return None


def _visibility_error(outcome: Outcome, handle: str) -> Exception | None:
    if outcome in ("gone", "stale"):
        return _bad_handle(
            handle, "Message does not exist or is not available for visibility timeout change."
        )
    return _delete_error(outcome, handle)


class SqsService:
    def __init__(self, settings: Settings, store: SqsStore, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self._queues: dict[str, Queue] = {}
        self._waiters: dict[str, Waiter] = {}
        self._purged: dict[str, float] = {}
        self._reaper = Reaper(store, clock, lambda: list(self._queues.values()))
        self._stopping = False

    # lifecycle --------------------------------------------------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return [self._reaper]

    async def start(self) -> None:
        for q in await self.store.queues():
            self._queues[q.name] = Queue(
                q.name, self.arn(q.name), q.attributes, q.created, q.modified, q.tags
            )
        await self._reaper.start()

    async def stop(self) -> None:
        self._stopping = True
        await self._reaper.stop()
        for waiter in self._waiters.values():
            waiter.notify()

    # names ------------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.settings.region}:{self.settings.account_id}:{name}"

    def url(self, name: str, base_url: str) -> str:
        return f"{base_url}/{self.settings.account_id}/{name}"

    def queue(self, name: str) -> Queue:
        queue = self._queues.get(name)
        if queue is None:
            raise QueueDoesNotExist("The specified queue does not exist.")
        return queue

    def queue_from_url(self, url: str) -> Queue:
        parts = [p for p in url.split("?", 1)[0].split("/") if p]
        if len(parts) >= 2 and parts[-2].isdigit() and parts[-2] != self.settings.account_id:
            raise QueueDoesNotExist("The specified queue does not exist.")
        return self.queue(parts[-1] if parts else "")

    def queue_from_arn(self, arn: str) -> Queue | None:
        prefix = f"arn:aws:sqs:{self.settings.region}:{self.settings.account_id}:"
        return self._queues.get(arn[len(prefix) :]) if arn.startswith(prefix) else None

    def names(self, prefix: str = "") -> list[str]:
        return sorted(n for n in self._queues if n.startswith(prefix))

    def _waiter(self, name: str) -> Waiter:
        waiter = self._waiters.get(name)
        if waiter is None:
            waiter = self._waiters[name] = Waiter()
        return waiter

    def _notify(self, name: str) -> None:
        waiter = self._waiters.get(name)
        if waiter is not None:
            waiter.notify()

    # queues -----------------------------------------------------------------------------

    async def create_queue(
        self, name: str, given: Mapping[str, str], tags: Mapping[str, str] | None = None
    ) -> Queue:
        fifo = given.get("FifoQueue", "").lower() == "true"
        if not (_FIFO_NAME if fifo else _NAME).match(name):
            raise InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length."
                if fifo or name.endswith(FIFO_SUFFIX)
                else "Can only include alphanumeric characters, hyphens, or underscores. "
                "1 to 80 in length"
            )
        arn = self.arn(name)
        checked = qattrs.validate(given, fifo=fifo, arn=arn, lookup=self.queue_from_arn)
        existing = self._queues.get(name)
        if existing is not None:
            diff = qattrs.differing(existing, checked)
            if diff:
                raise QueueNameExists(
                    "A queue already exists with the same name and a different value for "
                    f"attribute {diff[0]}"
                )
            return existing
        now = self.clock.now()
        settable = {k: v for k, v in qattrs.with_defaults(checked, fifo).items() if v != ""}
        queue = Queue(name, arn, settable, now, now, dict(tags or {}))
        await self.store.create_queue(queue)
        self._queues[name] = queue
        return queue

    async def delete_queue(self, queue: Queue) -> None:
        await self.store.delete_queue(queue.name)
        self._queues.pop(queue.name, None)
        self._notify(queue.name)

    async def set_attributes(self, queue: Queue, given: Mapping[str, str]) -> None:
        checked = qattrs.validate(given, fifo=queue.fifo, arn=queue.arn, lookup=self.queue_from_arn)
        for name, value in checked.items():
            if value == "" and name in ("RedrivePolicy", "RedriveAllowPolicy", "Policy"):
                queue.attributes.pop(name, None)
            else:
                queue.attributes[name] = value
        queue.modified = self.clock.now()
        await self.store.update_queue(queue)
        self._notify(queue.name)  # a shorter delay or retention changes what is visible
        if "MessageRetentionPeriod" in checked:
            self._reaper.wake()  # its messages may now expire before the next pass

    async def set_tags(self, queue: Queue, tags: Mapping[str, str], removed: Sequence[str]) -> None:
        queue.tags.update(tags)
        for key in removed:
            queue.tags.pop(key, None)
        await self.store.update_queue(queue)

    async def get_attributes(self, queue: Queue, names: list[str] | None) -> dict[str, str]:
        wanted = qattrs.wanted_names(names)
        values = dict(queue.attributes)
        values["QueueArn"] = queue.arn
        values["CreatedTimestamp"] = str(int(queue.created))
        values["LastModifiedTimestamp"] = str(int(queue.modified))
        if any(n in qattrs.COUNTS for n in wanted):
            counts = await self.store.counts(queue, self.clock.now())
            values.update(zip(qattrs.COUNTS, map(str, counts), strict=True))
        return {n: values[n] for n in wanted if n in values}

    async def purge(self, queue: Queue) -> None:
        now = self.clock.now()
        last = self._purged.get(queue.name)
        if last is not None and now - last < PURGE_INTERVAL_S:
            raise PurgeQueueInProgress(
                f"Only one PurgeQueue operation on {queue.name} is allowed every 60 seconds."
            )
        self._purged[queue.name] = now
        await self.store.purge(queue.name)

    async def peek(self, queue: Queue, limit: int) -> list[PeekedMessage]:
        """Messages as stored, without receiving them (the console; not an SQS API)."""
        return await self.store.peek(queue.name, limit)

    async def dead_letter_sources(self, queue: Queue) -> list[str]:
        return sorted(await self.store.dead_letter_sources(queue.arn))

    # sending ----------------------------------------------------------------------------

    def prepare(self, queue: Queue, entry: Mapping[str, Any]) -> NewMessage:
        """Validate one SendMessage(-Batch entry) against ``queue``; raises per AWS."""
        body = messages.check_body(entry.get("MessageBody"))
        attributes = messages.check_attributes(entry.get("MessageAttributes"))
        system = messages.check_system_attributes(entry.get("MessageSystemAttributes"))
        limit = queue.number("MaximumMessageSize")
        if messages.size_of(body, attributes) > limit:
            raise InvalidParameterValue(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{limit} bytes."
            )
        group = messages.check_token("MessageGroupId", entry.get("MessageGroupId"))
        dedup = messages.check_token("MessageDeduplicationId", entry.get("MessageDeduplicationId"))
        delay = entry.get("DelaySeconds")
        if delay is not None and not 0 <= delay <= 900:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: DelaySeconds "
                "must be >= 0 and <= 900."
            )
        if queue.fifo:
            group, dedup = self._fifo_ids(queue, body, group, dedup, delay)
        elif dedup is not None:
            raise InvalidParameterValue(
                f"Value {dedup} for parameter MessageDeduplicationId is invalid. Reason: The "
                "request includes a parameter that is not valid for this queue type."
            )
        # FIFO messages take the queue's delay only (an explicit 0 is allowed, not applied).
        own = None if queue.fifo else delay
        delay_s = queue.number("DelaySeconds") if own is None else int(own)
        return NewMessage(body, attributes, system, delay_s, group, dedup)

    @staticmethod
    def _fifo_ids(
        queue: Queue, body: str, group: str | None, dedup: str | None, delay: int | None
    ) -> tuple[str, str]:
        if group is None:
            raise MissingParameter("The request must contain the parameter MessageGroupId.")
        if delay is not None and delay != 0:
            raise InvalidParameterValue(
                f"Value {delay} for parameter DelaySeconds is invalid. Reason: The request "
                "include parameter that is not valid for this queue type."
            )
        if dedup is None:
            if not queue.content_dedup:
                raise InvalidParameterValue(_NO_DEDUP)
            dedup = hashlib.sha256(body.encode("utf-8")).hexdigest()
        return group, dedup

    @staticmethod
    def check_batch(queue: Queue, entries: Sequence[Mapping[str, Any]]) -> None:
        """What fails a whole SendMessageBatch instead of one entry: on a FIFO queue, an
        entry without a group id, or without a deduplication id the queue cannot derive.
        AWS answers InvalidParameterValue for both (a lone SendMessage without a group id
        gets MissingParameter)."""
        if not queue.fifo:
            return
        for entry in entries:
            if entry.get("MessageGroupId") is None:
                raise InvalidParameterValue(
                    "The request must contain the parameter MessageGroupId."
                )
            if entry.get("MessageDeduplicationId") is None and not queue.content_dedup:
                raise InvalidParameterValue(_NO_DEDUP)

    async def send(self, queue: Queue, batch: Sequence[NewMessage]) -> list[Sent]:
        """Commit prepared messages in one transaction and wake the queue's long polls."""
        sent = await self.store.send(queue, batch, self.clock.now())
        self._notify(queue.name)
        return sent

    async def send_to_queue(
        self,
        queue_arn: str,
        body: str,
        *,
        attributes: MessageAttributes | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        trace_header: str | None = None,
    ) -> str:
        """QueueSender (services/directory.py): SNS, EventBridge, destinations and DLQs."""
        queue = self.queue_from_arn(queue_arn)
        if queue is None:
            raise QueueDoesNotExist(f"The specified queue does not exist: {queue_arn}")
        entry: dict[str, Any] = {"MessageBody": body, "MessageAttributes": attributes}
        if group_id is not None:
            entry["MessageGroupId"] = group_id
        if deduplication_id is not None:
            entry["MessageDeduplicationId"] = deduplication_id
        if trace_header:
            entry["MessageSystemAttributes"] = {
                "AWSTraceHeader": {"DataType": "String", "StringValue": trace_header}
            }
        return (await self.send(queue, [self.prepare(queue, entry)]))[0].message_id

    # receiving --------------------------------------------------------------------------

    async def receive(
        self, queue: Queue, max_messages: int, visibility_s: int | None, wait_s: float
    ) -> list[Received]:
        """Up to ``max_messages`` messages, waiting up to ``wait_s`` (clock) for the first."""
        visibility = queue.number("VisibilityTimeout") if visibility_s is None else visibility_s
        deadline = self.clock.now() + wait_s
        while True:
            waiter = self._waiter(queue.name)
            event = waiter.event  # taken before looking, so a send in between is not missed
            if self._stopping or self._queues.get(queue.name) is not queue:
                return []  # deleted (or shutting down) while we waited
            now = self.clock.now()
            dlq = self._dead_letter_queue(queue)
            got, moved = await self.store.claim(queue, now, max_messages, visibility, dlq)
            if moved and dlq is not None:
                self._notify(dlq.name)
            if got or now >= deadline:
                return got
            upcoming = await self.store.next_visible(queue.name, now)
            await wait_until(self.clock, event, min(deadline, upcoming or deadline))

    # event source mappings (directory.QueueConsumer) ------------------------------------

    def _consumed_queue(self, queue_arn: str) -> Queue:
        queue = self.queue_from_arn(queue_arn)
        if queue is None:
            raise QueueGone(queue_arn)
        return queue

    async def consume(self, queue_arn: str, limit: int, hold_s: int = 0) -> list[ConsumedMessage]:
        queue = self._consumed_queue(queue_arn)
        visibility = queue.number("VisibilityTimeout")
        if hold_s > visibility:
            visibility = min(hold_s + 30, 43_200)
        got = await self.receive(queue, limit, visibility, 0)
        return [consumed(m, self.settings.account_id) for m in got]

    async def delete_consumed(self, queue_arn: str, receipt_handles: Sequence[str]) -> None:
        if receipt_handles:
            await self.delete_many(self._consumed_queue(queue_arn), receipt_handles)

    async def release_consumed(
        self, queue_arn: str, receipt_handles: Sequence[str], visibility_s: int
    ) -> None:
        queue = self._consumed_queue(queue_arn)
        await self.change_visibility_many(queue, [(h, visibility_s) for h in receipt_handles])

    def queue_changed(self, queue_arn: str) -> asyncio.Event:
        return self._waiter(self._consumed_queue(queue_arn).name).event

    async def next_visible(self, queue_arn: str) -> float | None:
        queue = self._consumed_queue(queue_arn)
        return await self.store.next_visible(queue.name, self.clock.now())

    async def depths(self) -> dict[tuple[str, str], int]:
        """Every queue's messages by state (visible, in_flight, delayed), for the scrape."""
        now = self.clock.now()
        out: dict[tuple[str, str], int] = {}
        for queue in list(self._queues.values()):
            counts = await self.store.counts(queue, now)
            for state, n in zip(("visible", "in_flight", "delayed"), counts, strict=True):
                out[(queue.name, state)] = n
        return out

    async def depth(self, queue_arn: str) -> int:
        visible, _, _ = await self.store.counts(self._consumed_queue(queue_arn), self.clock.now())
        return visible

    def _dead_letter_queue(self, queue: Queue) -> Queue | None:
        policy = queue.redrive
        return self.queue_from_arn(policy.dead_letter_arn) if policy is not None else None

    def _receipt(self, queue: Queue, handle: str) -> Receipt:
        decoded = decode_receipt(handle)
        if decoded is None or decoded[0] != queue.name:
            raise ReceiptHandleIsInvalid(
                f'The input receipt handle "{handle}" is not a valid receipt handle.'
            )
        return decoded

    async def delete(self, queue: Queue, handle: str) -> None:
        error = (await self.delete_many(queue, [handle]))[0]
        if error is not None:
            raise error

    async def delete_many(self, queue: Queue, handles: Sequence[str]) -> list[Exception | None]:
        """Delete by receipt handle in one transaction; one error (or None) per handle."""
        results: list[Exception | None] = [None] * len(handles)
        items: list[Receipt] = []
        positions: list[int] = []
        for i, handle in enumerate(handles):
            try:
                items.append(self._receipt(queue, handle))
                positions.append(i)
            except ReceiptHandleIsInvalid as exc:
                results[i] = exc
        outcomes = await self.store.delete_messages(queue, items, self.clock.now())
        for i, outcome in zip(positions, outcomes, strict=True):
            results[i] = _delete_error(outcome, handles[i])
        return results

    async def change_visibility(self, queue: Queue, handle: str, timeout_s: int) -> None:
        error = (await self.change_visibility_many(queue, [(handle, timeout_s)]))[0]
        if error is not None:
            raise error

    async def change_visibility_many(
        self, queue: Queue, changes: Sequence[tuple[str, int]]
    ) -> list[Exception | None]:
        results: list[Exception | None] = [None] * len(changes)
        items: list[tuple[Receipt, int]] = []
        positions: list[int] = []
        for i, (handle, timeout) in enumerate(changes):
            try:
                _check_visibility(timeout)
                items.append((self._receipt(queue, handle), timeout))
                positions.append(i)
            except (ReceiptHandleIsInvalid, InvalidParameterValue) as exc:
                results[i] = exc
        outcomes = await self.store.change_visibilities(queue, items, self.clock.now())
        for i, outcome in zip(positions, outcomes, strict=True):
            results[i] = _visibility_error(outcome, changes[i][0])
        self._notify(queue.name)
        return results


def _check_visibility(timeout: int) -> None:
    if not 0 <= timeout <= 43_200:
        raise InvalidParameterValue(
            f"Value {timeout} for parameter VisibilityTimeout is invalid. Reason: "
            "VisibilityTimeout must be an integer between 0 and 43200."
        )
