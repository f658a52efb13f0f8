"""A stream mapping's poller: one ShardLoop per shard of the stream, a watcher that wakes
them at each write, and the context they share (invoking the function, destinations,
filtering, LastProcessingResult and statistics)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.errors import AwsError, TooManyRequestsException
from lambdalite.esm import event_counts as stage
from lambdalite.esm.destinations import MappingDestinations
from lambdalite.esm.event_counts import EventCounts
from lambdalite.esm.filtering import RecordFilter
from lambdalite.esm.model import EventSourceMapping
from lambdalite.esm.store import EventSourceMappingStore
from lambdalite.esm.streams.format import RecordContext, StreamFormat
from lambdalite.esm.streams.lane import Lane
from lambdalite.esm.streams.outcome import Kind, Outcome, parse_response, partial_failure
from lambdalite.esm.streams.records import BatchOrigin
from lambdalite.esm.streams.shard import ShardLoop
from lambdalite.esm.streams.stats import MappingStats
from lambdalite.esm.streams.window import window_event, window_outcome
from lambdalite.invoke.invoker import Invoker
from lambdalite.invoke.resolve import FunctionReader, resolve_target
from lambdalite.model.arn import function_arn
from lambdalite.observe import trace
from lambdalite.observe.batches import BatchJournal, BatchLog
from lambdalite.observe.outcome import Trigger
from lambdalite.observe.signals import NO_SIGNALS, MetricSignals
from lambdalite.outbox.model import Entry
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.streams import StreamReader

log = logging.getLogger(__name__)

OK = "OK"
FUNCTION_FAILED = "PROBLEM: Function call failed"
STREAM_GONE = "PROBLEM: Stream not found"  # wording unconfirmed (spec 4.2.3)


@dataclass
class StreamDeps:
    """What every stream poller uses, built once by the platform."""

    settings: Settings
    clock: Clock
    store: EventSourceMappingStore
    functions: FunctionReader
    invoker: Invoker
    directory: ServiceDirectory
    destinations: MappingDestinations
    stats: dict[str, MappingStats] = field(default_factory=dict)  # by mapping UUID
    signals: MetricSignals = NO_SIGNALS  # IteratorAge, event counts (observe/signals.py)
    batches: BatchLog = field(default_factory=BatchJournal)  # the console's batch view


class StreamContext:
    def __init__(
        self, deps: StreamDeps, mapping: EventSourceMapping, fmt: StreamFormat, service: str
    ) -> None:
        self.mapping = mapping
        self.fmt = fmt
        self.clock = deps.clock
        self.store = deps.store
        self.source_arn = mapping.event_source_arn
        self.reader: StreamReader[Any] = deps.directory.streams[service]
        self.extensions = deps.settings.extensions
        self.stats = deps.stats.setdefault(mapping.uuid, MappingStats())
        self.service = service
        self.batches = deps.batches
        self.filtered: dict[str, int] = {}  # by shard: dropped since its last batch formed
        self.counts = EventCounts(deps.signals, mapping)
        self._deps = deps
        self._filter = RecordFilter(mapping.config.filter_patterns)
        self._region = self.source_arn.split(":")[3]
        self._role = ""
        self._result = mapping.last_processing_result
        name = mapping.function_name
        s = deps.settings
        self._unqualified = function_arn(s.region, s.account_id, name)

    def origin(self, shard_id: str) -> BatchOrigin:
        return BatchOrigin(self._unqualified, shard_id, self.source_arn, self.fmt)

    def _context(self, shard_id: str) -> RecordContext:
        return RecordContext(shard_id, self.source_arn, self._region, self._role)

    def passes(self, record: Any, shard_id: str) -> bool:
        if not self._filter.active:
            return True
        if self.fmt.passes(self._filter, record, self._context(shard_id)):
            return True
        self.counts.add(stage.FILTERED_OUT, 1)
        return False

    async def invoke(self, batch: list[Any], shard_id: str, lane: Lane) -> Outcome:
        s = self._deps.settings
        try:
            target = await resolve_target(
                self._deps.functions, self.mapping.function_arn, None, s.region, s.account_id
            )
            self._role = target.config.role
            context = self._context(shard_id)
            event: dict[str, Any] = {"Records": [self.fmt.event_record(r, context) for r in batch]}
            tumbling = self.mapping.config.tumbling_window_in_seconds
            if tumbling:
                event = window_event(
                    event, lane, batch, tumbling, shard_id, self.source_arn, self.clock.now()
                )
            now = self.clock.now()
            since = min(batch[0].approximate_arrival_timestamp, now) if batch else now
            if batch:  # IteratorAge: the batch's last record, at invoke
                age_ms = max(0.0, now - batch[-1].approximate_arrival_timestamp) * 1000.0
                self.stats.iterator_age_ms = round(age_ms)  # grows while a batch retries
                self._deps.signals.iterator_age(
                    self.mapping.function_name, self.mapping.uuid, age_ms
                )
            began = time.perf_counter()
            try:
                request_id, result = await self._deps.invoker.invoke(
                    target,
                    json.dumps(event).encode(),
                    queued_since=since,
                    trigger=Trigger.MAPPING,
                    source_id=self.mapping.uuid,
                    # each batch starts its own trace (brief 3.2, point 6)
                    trace_id=trace.for_invocation(None, target.config.tracing_mode, now),
                )
            finally:
                self.stats.invoke_s += time.perf_counter() - began
        except TooManyRequestsException as exc:
            return Outcome(Kind.THROTTLED, reason=exc.reason)
        except AwsError as exc:  # the function is gone or not ready: it never ran
            return Outcome(Kind.THROTTLED, reason=f"{exc.wire_code}: {exc.message}")
        response = parse_response(result.payload)
        common = {
            "request_id": request_id,
            "executed_version": result.executed_version,
            "response": response,
        }
        if result.function_error:
            return Outcome(Kind.FAILED, function_error=result.function_error, **common)
        if tumbling:
            return window_outcome(response, batch, lane, common)
        if "ReportBatchItemFailures" in self.mapping.config.function_response_types:
            kind, resume = partial_failure(response, batch)
            return Outcome(kind, resume_at=resume, **common)
        return Outcome(Kind.SUCCESS, **common)

    async def note(self, outcome: Outcome, batch: list[Any], now: float) -> None:
        """Statistics, event counts and LastProcessingResult after an invocation."""
        stats = self.stats
        if outcome.kind is Kind.THROTTLED:
            self.counts.add(stage.FAILED_INVOKE, len(batch))
        else:
            self.counts.add(stage.INVOKED, len(batch))
            failed = len(batch) - outcome.resume_at if outcome.kind is Kind.PARTIAL else len(batch)
            if outcome.kind is not Kind.SUCCESS:
                self.counts.add(stage.FAILED_INVOKE, failed)
        if batch:
            stats.recent.append(
                {
                    "At": now,
                    "Outcome": outcome.kind.value,
                    "Records": len(batch),
                    "FirstSequenceNumber": batch[0].sequence_number,
                    "LastSequenceNumber": batch[-1].sequence_number,
                }
            )
        if outcome.kind is Kind.THROTTLED:
            stats.throttles += 1
            return
        stats.batches += 1
        if outcome.kind is Kind.SUCCESS and batch:
            stats.records += len(batch)
            age = now - batch[-1].approximate_arrival_timestamp
            stats.iterator_age_ms = max(0, round(age * 1000))
            await self._set_result(OK)
        elif outcome.kind is not Kind.SUCCESS:
            stats.errors += 1
            await self._set_result(FUNCTION_FAILED)

    async def problem(self, exc: Exception) -> None:
        log.info("stream mapping %s: %s", self.mapping.uuid, exc)
        await self._set_result(STREAM_GONE)

    async def _set_result(self, result: str) -> None:
        if result != self._result:
            self._result = result
            await self.store.set_last_processing_result(self.mapping.uuid, result)

    def record(self, destination: str, doc: dict[str, Any]) -> Entry:
        """The outbox row sending `doc`: the shard writes it with its next checkpoint."""
        return self._deps.destinations.entry(self.mapping.uuid, destination, doc)

    async def add_records(self, entries: Sequence[Entry]) -> None:
        """Rows written on their own (no checkpoint to write them with)."""
        await self._deps.destinations.add(entries)

    def records_written(self) -> None:
        self._deps.destinations.wake()


class StreamPoller:
    def __init__(self, ctx: StreamContext) -> None:
        self._ctx = ctx
        self._loops: list[ShardLoop] = []
        self._watcher: asyncio.Task[None] | None = None

    def due_loops(self) -> Sequence[DueLoop]:
        return list(self._loops)

    async def start(self) -> None:
        ctx = self._ctx
        try:
            shards = await ctx.reader.shards(ctx.source_arn)
        except Exception as exc:
            await ctx.problem(exc)
            return
        self._loops = [ShardLoop(ctx, shard.shard_id) for shard in shards]
        for loop in self._loops:
            await loop.start()
        self._watcher = asyncio.create_task(self._watch(), name=f"esm-watch-{ctx.mapping.uuid}")

    async def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watcher
        for loop in self._loops:
            await loop.stop()

    async def _watch(self) -> None:
        while True:
            await self._ctx.reader.changed(self._ctx.source_arn).wait()
            for loop in self._loops:
                loop.wake()


def stream_poller_factory(deps: StreamDeps, fmt: StreamFormat, service: str) -> Any:
    def build(mapping: EventSourceMapping) -> StreamPoller:
        return StreamPoller(StreamContext(deps, mapping, fmt, service))

    return build
