"""The SQS poller: one per enabled SQS mapping (spec 4.3, 4.4, 5.5, 7.5).

A pass receives what the queue has (with its visibility timeout, its redrive to the
dead-letter queue, its FIFO group order), deletes the messages the filter drops, gathers
the rest into a batch and starts it when the batch is full, the payload would pass 6 MB,
or the batching window (0: at once) has run out on the clock. It then sleeps on the
clock until the window ends or the next message becomes visible, or until the queue
changes: that is the long poll, without a wall-clock interval.

Each batch runs in its own task, at most `_limit` at once: 5 to start, growing with the
backlog by 300 a minute up to 1,000, never past ScalingConfig.MaximumConcurrency (spec
4.4.2); at the limit the poller stops receiving. A batch is one synchronous invoke, its
work counted as queued since the batch was gathered (so environments follow the backlog,
sandbox/scaling.py). Then: success deletes the batch (a partial response the successes
only, a FIFO failure holding the rest of its group); a function error deletes nothing, so
the messages come back after the visibility timeout and the queue's redrive counts them;
a throttle deletes nothing and backs the poller off on the clock (spec 4.12).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.errors import AwsError, TooManyRequestsException
from lambdalite.esm import event_counts as stage
from lambdalite.esm import sqs_batch
from lambdalite.esm.destinations import MappingDestinations
from lambdalite.esm.event_counts import EventCounts
from lambdalite.esm.filtering import RecordFilter
from lambdalite.esm.model import REPORT_BATCH_ITEM_FAILURES, EventSourceMapping, MappingState
from lambdalite.esm.stats import QueueStats
from lambdalite.esm.store import EventSourceMappingStore
from lambdalite.esm.success_record import BatchOutcome, success_record
from lambdalite.invoke.resolve import FunctionReader, Target, resolve_target
from lambdalite.model.arn import function_arn
from lambdalite.observe import trace
from lambdalite.observe.batches import BatchJournal, BatchLog
from lambdalite.observe.outcome import Trigger
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals
from lambdalite.sandbox.types import InvocationResult
from lambdalite.services.directory import (
    ConsumedMessage,
    QueueConsumer,
    QueueGone,
    ServiceDirectory,
)

log = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # the synchronous invoke limit (spec 4.3)
RECEIVE_CHUNK = 1000  # messages claimed per internal receive
START_CONCURRENCY = 5  # spec 4.4.2
MAX_CONCURRENCY = 1000
GROWTH_PER_S = 300 / 60.0
MAX_BACKOFF_S = 60.0
OK = "OK"
CALL_FAILED = "PROBLEM: Function call failed"
# AWS's words for a missing queue (recorded at create, spec 4.2.4); that a running
# mapping is then disabled with them is lambdalite's reading (unconfirmed).
QUEUE_GONE = (
    "PROBLEM: Error occurred while ReceiveMessage. SQS Error Code: "
    "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
    "not exist."
)

_background: set[asyncio.Task[None]] = set()  # tasks that outlive their poller


class BatchInvoker(Protocol):
    async def invoke(
        self,
        target: Target,
        payload: bytes,
        *,
        queued_since: float | None = None,
        trigger: Trigger = ...,
        source_id: str = "",
        trace_id: str | None = None,
    ) -> tuple[str, InvocationResult]: ...


@dataclass(frozen=True)
class SqsPollerDeps:
    settings: Settings
    clock: Clock
    queues: QueueConsumer
    functions: FunctionReader
    invoker: BatchInvoker
    store: EventSourceMappingStore
    directory: ServiceDirectory
    destinations: MappingDestinations  # the on-success records, through the outbox
    resync: Callable[
        [], Coroutine[Any, Any, None]
    ]  # PollerManager.sync: after the poller's own change
    stats: dict[str, QueueStats] = field(default_factory=dict)  # by mapping UUID
    batches: BatchLog = field(default_factory=BatchJournal)  # the console's batch view
    signals: MetricSignals = NO_SIGNALS  # the mapping's event counts (esm/event_counts.py)


@dataclass(frozen=True, slots=True)
class _Pending:
    message: ConsumedMessage
    text: str  # the serialized event record (its size counts toward the payload)
    received: float


class SqsPoller(DueLoop):
    def __init__(self, mapping: EventSourceMapping, deps: SqsPollerDeps) -> None:
        super().__init__(deps.clock)
        self.name = f"esm-sqs-{mapping.uuid}"
        self._mapping = mapping
        self._deps = deps
        self._arn = mapping.event_source_arn
        config = mapping.config
        self._batch_size = config.batch_size
        self._window = float(config.maximum_batching_window_in_seconds)
        self._partial = REPORT_BATCH_ITEM_FAILURES in config.function_response_types
        self._filter = RecordFilter(config.filter_patterns)
        self._cap = config.maximum_concurrency or MAX_CONCURRENCY
        self._limit = min(START_CONCURRENCY, self._cap)
        self._grown_at = deps.clock.now()
        self._pending: list[_Pending] = []
        self._pending_bytes = 0
        self._filtered = 0  # dropped by the filter since the last batch formed
        self._tasks: set[asyncio.Task[None]] = set()
        self._backoff = 0.0
        self._resume_at = 0.0
        self._last_result = mapping.last_processing_result
        self._watch: asyncio.Task[None] | None = None
        self._gone = False
        self._function_timeout = 0  # learnt at each invoke (it sets how long we hold a batch)
        self.stats = deps.stats.setdefault(mapping.uuid, QueueStats())
        self._counts = EventCounts(deps.signals, mapping)
        arn = self._arn
        self.stats.depth = lambda: deps.queues.depth(arn)

    # Poller --------------------------------------------------------------------------------

    def due_loops(self) -> list[DueLoop]:
        return [self]

    async def start(self) -> None:
        await super().start()
        self._watch = asyncio.create_task(self._watch_queue(), name=f"{self.name}-watch")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
        await super().stop()
        # Batches under way finish and settle on their own, as AWS's in-flight ones do.
        _background.update(self._tasks)

    def busy(self) -> bool:
        return bool(self._tasks)

    async def _watch_queue(self) -> None:
        """The long poll: a send (or any change) to the queue wakes the loop."""
        while True:
            try:
                changed = self._deps.queues.queue_changed(self._arn)
            except QueueGone:
                self.wake()
                return
            await changed.wait()
            self.wake()

    # passes ------------------------------------------------------------------------------

    async def run_due(self) -> float | None:
        if self._gone:
            return None
        now = self._clock.now()
        if now < self._resume_at:
            return self._resume_at
        if not self._function_timeout:
            with contextlib.suppress(AwsError):  # a missing function fails at invoke
                await self._target()
        try:
            while len(self._tasks) < self._limit:
                await self._fill(now)
                if not self._ready(now):
                    break
                self._start(self._take())
            else:
                return None  # at the limit: a batch that ends wakes the loop
            if self._pending:
                return self._pending[0].received + self._window
            return await self._deps.queues.next_visible(self._arn)
        except QueueGone:
            await self._source_gone()
            return None

    async def _fill(self, now: float) -> None:
        queues = self._deps.queues
        while (want := self._batch_size - len(self._pending)) > 0:
            if self._pending_bytes >= MAX_PAYLOAD_BYTES:
                return
            hold = int(self._window) + self._function_timeout
            began = time.perf_counter()
            try:
                got = await queues.consume(self._arn, min(want, RECEIVE_CHUNK), hold)
            finally:
                self.stats.poll_s += time.perf_counter() - began
            if not got:
                if not self._tasks and not self._pending:
                    self._limit = min(START_CONCURRENCY, self._cap)  # idle: back to the start
                return
            self._counts.add(stage.POLLED, len(got))
            dropped: list[str] = []
            for message in got:
                record = sqs_batch.event_record(message, self._arn)
                if not self._filter.matches_sqs(record):
                    dropped.append(message.receipt_handle)  # spec 5.5: deleted
                    continue
                text = sqs_batch.record_text(record)
                self._pending.append(_Pending(message, text, now))
                self._pending_bytes += len(text.encode("utf-8")) + 2
            await queues.delete_consumed(self._arn, dropped)
            self._filtered += len(dropped)
            self._counts.add(stage.FILTERED_OUT, len(dropped))
            if len(got) == min(want, RECEIVE_CHUNK):
                self._grow(now)  # a full receive: there is a backlog

    def _grow(self, now: float) -> None:
        earned = int((now - self._grown_at) * GROWTH_PER_S)
        if earned > 0:
            self._limit = min(self._cap, self._limit + earned)
            self._grown_at = now
        elif self._limit >= self._cap:
            self._grown_at = now

    def _ready(self, now: float) -> bool:
        if not self._pending:
            return False
        return (
            len(self._pending) >= self._batch_size
            or self._pending_bytes >= MAX_PAYLOAD_BYTES
            or now >= self._pending[0].received + self._window
        )

    def _take(self) -> list[_Pending]:
        """The next batch: up to BatchSize records within the payload limit (one at least)."""
        size = 0
        count = 0
        for item in self._pending[: self._batch_size]:
            grown = size + len(item.text.encode("utf-8")) + 2
            if count and grown > MAX_PAYLOAD_BYTES - 64:
                break
            size, count = grown, count + 1
        batch, self._pending = self._pending[:count], self._pending[count:]
        self._pending_bytes -= size
        return batch

    def _start(self, batch: list[_Pending]) -> None:
        journal = self._deps.batches
        ids = [p.message.message_id for p in batch]
        batch_id = journal.begin(
            self._mapping.uuid, "sqs", self._clock.now(), ids, filtered_out=self._filtered
        )
        self._filtered = 0
        received = max(int(p.message.attributes.get("ApproximateReceiveCount", "1")) for p in batch)
        if received > 1:  # a failed batch's messages, back after their visibility timeout
            journal.step(batch_id, self._clock.now(), "redelivered", receiveCount=received)
        task = asyncio.create_task(self._run_batch(batch, batch_id), name=f"{self.name}-batch")
        self._tasks.add(task)

        def ended(done: asyncio.Task[None]) -> None:
            self._tasks.discard(done)
            _background.discard(done)
            self.wake()  # room for another batch

        task.add_done_callback(ended)

    # batches -----------------------------------------------------------------------------

    async def _run_batch(self, batch: list[_Pending], batch_id: str) -> None:
        try:
            await self._process(batch, batch_id)
        except QueueGone:
            await self._source_gone()
        except Exception:  # one batch's trouble must not stop the poller
            log.exception("%s: batch failed", self.name)

    async def _process(self, batch: list[_Pending], batch_id: str) -> None:
        d = self._deps
        journal = d.batches
        s = d.settings
        started = batch[0].received
        payload = sqs_batch.encode_event([p.text for p in batch])
        messages = [p.message for p in batch]
        began = time.perf_counter()
        try:
            target = await self._target()
            invoke_started = self._clock.now()
            request_id, result = await d.invoker.invoke(
                target,
                payload,
                queued_since=started,
                trigger=Trigger.MAPPING,
                source_id=self._mapping.uuid,
                # each batch starts its own trace (brief 3.2, point 6)
                trace_id=trace.for_invocation(None, target.config.tracing_mode, invoke_started),
            )
        except TooManyRequestsException:
            self._throttled()
            self._nothing_deleted(batch_id, messages, "throttled", "Throttled")
            return
        except Exception as exc:  # the function is gone, or not invocable now
            log.info("%s: invoke failed: %r", self.name, exc)
            journal.invoked(batch_id, self._clock.now(), outcome="NotInvoked", error=str(exc))
            self._nothing_deleted(batch_id, messages, "failed", "Failed")
            await self._report(CALL_FAILED)
            return
        finally:
            self.stats.invoke_s += time.perf_counter() - began
        self._backoff = 0.0
        self._counts.add(stage.INVOKED, len(messages))
        kept = self._kept(messages, result)
        journal.invoked(
            batch_id,
            invoke_started,
            requestId=request_id,
            records=len(messages),
            outcome="Failed" if kept is None else "Partial" if kept else "Success",
            functionError=result.function_error,
            batchItemFailures=sorted(kept or ()),
        )
        if kept is None:
            self._nothing_deleted(batch_id, messages, "failed", "Failed")
            await self._report(CALL_FAILED)
            return
        if self._mapping.config.on_success:
            # Written before the batch is deleted, in a transaction of its own (the deletion
            # is the queue's): a crash between the two re-delivers the batch and repeats
            # the record, which is allowed; deleting first could lose it, which is not.
            outcome = BatchOutcome(
                request_id=request_id,
                function_arn=function_arn(s.region, s.account_id, target.record.name),
                executed_version=result.executed_version,
                response=result.payload,
                messages=messages,
                failed_ids=[m.message_id for m in messages if m.message_id in kept],
                invoke_started=invoke_started,
                invoke_ended=self._clock.now(),
            )
            await self._owe_success(outcome)
        done = [m.receipt_handle for m in messages if m.message_id not in kept]
        began = time.perf_counter()
        await d.queues.delete_consumed(self._arn, done)
        self.stats.settle_s += time.perf_counter() - began
        # A partial response's failures (and a FIFO group held behind one) stay queued.
        self._counts.add(stage.FAILED_INVOKE, len(kept))
        self._counts.add(stage.DELETED, len(done))
        self._note(messages, "partial" if kept else "success", len(done))
        now = self._clock.now()
        if self._mapping.config.on_success:
            journal.step(batch_id, now, "onSuccess", destination=self._mapping.config.on_success)
        journal.step(batch_id, now, "deleted", count=len(done), kept=sorted(kept))
        journal.end(batch_id, now, "Partial" if kept else "Succeeded")
        await self._report(OK)

    def _nothing_deleted(
        self, batch_id: str, messages: list[ConsumedMessage], note: str, state: str
    ) -> None:
        """The whole batch stays queued (counted, noted and journalled as such)."""
        self._note(messages, note, 0)
        self._journal_kept(batch_id, state, len(messages))
        self._counts.add(stage.FAILED_INVOKE, len(messages))

    def _journal_kept(self, batch_id: str, state: str, count: int) -> None:
        """Nothing deleted: the messages come back after the visibility timeout."""
        now = self._clock.now()
        self._deps.batches.step(batch_id, now, "kept", count=count)
        self._deps.batches.end(batch_id, now, state)

    async def _target(self) -> Target:
        s = self._deps.settings
        target = await resolve_target(
            self._deps.functions, self._mapping.function_arn, None, s.region, s.account_id
        )
        self._function_timeout = target.config.timeout
        return target

    def _kept(self, messages: list[ConsumedMessage], result: InvocationResult) -> set[str] | None:
        """The message ids that stay in the queue; None: the whole batch failed."""
        if result.function_error:
            return None
        if not self._partial:
            return set()
        failed = sqs_batch.failed_ids(result.payload, [m.message_id for m in messages])
        if failed is None:
            return None
        if any(m.group_id is not None for m in messages):
            return sqs_batch.hold_groups(messages, failed)
        return failed

    def _note(self, messages: list[ConsumedMessage], outcome: str, deleted: int) -> None:
        stats = self.stats
        stats.recent.append(
            {
                "At": self._clock.now(),
                "Outcome": outcome,
                "Records": len(messages),
                "Deleted": deleted,
                "FirstMessageId": messages[0].message_id,
                "LastMessageId": messages[-1].message_id,
            }
        )
        if outcome == "throttled":
            stats.throttles += 1
            return
        stats.batches += 1
        stats.records += deleted
        if outcome == "failed":
            stats.errors += 1

    def _throttled(self) -> None:
        """The batch stays in flight and comes back after the visibility timeout (spec
        4.4.3); meanwhile the poller backs off and starts again at the lowest concurrency."""
        self._backoff = min(MAX_BACKOFF_S, max(1.0, self._backoff * 2))
        self._resume_at = self._clock.now() + self._backoff
        self._limit = min(START_CONCURRENCY, self._cap)

    async def _report(self, result: str) -> None:
        if result != self._last_result:
            self._last_result = result
            await self._deps.store.set_last_processing_result(self._mapping.uuid, result)

    async def _owe_success(self, outcome: BatchOutcome) -> None:
        destination = self._mapping.config.on_success
        assert destination is not None
        record = success_record(outcome, mapping_arn=self._mapping.arn, queue_arn=self._arn)
        destinations = self._deps.destinations
        await destinations.add([destinations.entry(self._mapping.uuid, destination, record)])

    async def _source_gone(self) -> None:
        """The queue was deleted: the mapping is disabled with AWS's words for it."""
        if self._gone:
            return
        self._gone = True
        store = self._deps.store
        current = await store.get_mapping(self._mapping.uuid)
        if current is None or current.state is not MappingState.ENABLED:
            return
        disabled = current.replace(
            config=current.config.replace(enabled=False),
            state=MappingState.DISABLED,
            state_transition_reason=QUEUE_GONE,
            last_processing_result=QUEUE_GONE,
            last_modified=self._clock.now(),
            revision=current.revision + 1,
        )
        if await store.replace_mapping(disabled, current.revision):
            # Not awaited here: the sync stops this very poller.
            task = asyncio.get_running_loop().create_task(self._deps.resync())
            _background.add(task)
            task.add_done_callback(_background.discard)


class SqsPollerFactory:
    def __init__(self, deps: SqsPollerDeps) -> None:
        self._deps = deps

    def __call__(self, mapping: EventSourceMapping) -> SqsPoller:
        return SqsPoller(mapping, self._deps)
