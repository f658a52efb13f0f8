"""Running a lane's batches (spec 4.3, 4.7, 4.12): form a batch when it is full or its
batching window has passed, drop records past MaximumRecordAgeInSeconds, invoke, and settle
the outcome: checkpoint a success, resume a partial failure after its last good record,
bisect or retry a failure (on the clock, in order) until MaximumRetryAttempts sends the
batch to the on-failure destination, and retry throttles without counting them."""

from __future__ import annotations

import uuid as uuidlib
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from lambdalite.esm.event_counts import DROPPED
from lambdalite.esm.streams import records as docs
from lambdalite.esm.streams.lane import Lane
from lambdalite.esm.streams.outcome import Kind, Outcome
from lambdalite.esm.streams.window import closing_due, same_window_prefix
from lambdalite.outbox.model import Entry

if TYPE_CHECKING:
    from lambdalite.esm.streams.poller import StreamContext

# (records done with, the outbox rows they owe): the rows commit with the checkpoint.
Settle = Callable[[list[Any], Sequence[Entry]], Awaitable[None]]


class BatchRunner:
    def __init__(self, ctx: StreamContext, shard_id: str, settled: Settle) -> None:
        self._ctx = ctx
        self._shard_id = shard_id
        self._settled = settled
        self._origin = ctx.origin(shard_id)

    def due_at(self, lane: Lane) -> float | None:
        if lane.batches:
            return lane.retry_at
        cfg = self._ctx.mapping.config
        if cfg.tumbling_window_in_seconds:
            closing = closing_due(lane, cfg.tumbling_window_in_seconds)
            if closing is not None:
                return closing
        if not lane.pending:
            return None
        window = cfg.maximum_batching_window_in_seconds or 0
        if not window or len(lane.pending) >= cfg.batch_size or lane.window_from is None:
            return lane.retry_at
        return max(lane.retry_at, lane.window_from + window)

    async def step(self, lane: Lane) -> None:
        now = self._ctx.clock.now()
        if not lane.batches and not self._take(lane, now):
            return
        batch = await self._drop_aged(lane, now)
        if batch is None:
            return
        started = now
        outcome = await self._ctx.invoke(batch, self._shard_id, lane)
        now = self._ctx.clock.now()
        lane.window_from = now if lane.pending else None  # the next window starts now
        self._journal_invoke(lane, batch, outcome, started)
        if outcome.kind is Kind.THROTTLED:
            lane.throttles += 1
            lane.back_off(now, lane.throttles)
            self._ctx.batches.step(
                lane.journal_id, now, "retry", retryAt=lane.retry_at, throttled=True
            )
            await self._ctx.note(outcome, batch, now)
            return
        lane.attempts += 1
        lane.last = outcome
        await self._ctx.note(outcome, batch, now)
        if outcome.kind is Kind.SUCCESS:
            await self._succeed(lane, batch, outcome, started, now)
        elif outcome.kind is Kind.PARTIAL:
            done = batch[: outcome.resume_at]
            await self._settled(done, ())
            self._ctx.batches.step(lane.journal_id, now, "checkpoint", sequence=_last_seq(done))
            lane.batches[0] = batch[outcome.resume_at :]
            await self._failed(lane, now, bisect=False)
        else:
            await self._failed(lane, now, bisect=True)

    def _take(self, lane: Lane, now: float) -> bool:
        """Start the lane's next batch if it is due: False when nothing is."""
        due = self.due_at(lane)
        if due is None or due > now:
            return False
        cfg = self._ctx.mapping.config
        seconds = cfg.tumbling_window_in_seconds
        if seconds and closing_due(lane, seconds) is not None:
            lane.batches.insert(0, [])  # the window's final invocation, with no records
            return True
        size = cfg.batch_size
        if seconds:  # a batch never spans two windows
            size = min(size, same_window_prefix(list(lane.pending), seconds))
        batch = lane.take(size)
        lane.journal_id = self._ctx.batches.begin(
            self._ctx.mapping.uuid,
            self._ctx.service,
            now,
            [r.sequence_number for r in batch],
            shard_id=self._shard_id,
            filtered_out=self._ctx.filtered.pop(self._shard_id, 0),
        )
        return True

    def _journal_invoke(
        self, lane: Lane, batch: list[Any], outcome: Outcome, started: float
    ) -> None:
        failures = (
            outcome.response.get("batchItemFailures")
            if isinstance(outcome.response, dict)
            else None
        )
        self._ctx.batches.invoked(
            lane.journal_id,
            started,
            requestId=outcome.request_id,
            records=len(batch),
            first=batch[0].sequence_number if batch else "",
            last=_last_seq(batch),
            outcome=outcome.kind.value,
            functionError=outcome.function_error,
            reason=outcome.reason,
            batchItemFailures=failures if isinstance(failures, list) else [],
        )

    def _journal_end(self, lane: Lane, now: float, state: str) -> None:
        """The journal's batch ends when its last bisected half is settled."""
        if not lane.batches:
            self._ctx.batches.end(lane.journal_id, now, state)

    async def _succeed(
        self, lane: Lane, batch: list[Any], outcome: Outcome, started: float, now: float
    ) -> None:
        invokes = lane.attempts
        lane.settle_first()
        lane.retry_at = 0.0
        cfg = self._ctx.mapping.config
        owed: list[Entry] = []
        if cfg.on_success and self._ctx.extensions and batch:
            doc = docs.success_record(
                self._origin,
                batch,
                mapping_arn=self._ctx.mapping.arn,
                outcome=outcome,
                invoke_count=invokes,
                started=started,
                now=now,
            )
            owed.append(self._ctx.record(cfg.on_success, doc))
        await self._settled(batch, owed)
        journal = self._ctx.batches
        if owed:
            journal.step(lane.journal_id, now, "onSuccess", destination=cfg.on_success)
        journal.step(lane.journal_id, now, "checkpoint", sequence=_last_seq(batch))
        self._journal_end(lane, now, "Succeeded")

    async def _failed(self, lane: Lane, now: float, *, bisect: bool) -> None:
        cfg = self._ctx.mapping.config
        batch = lane.batches[0]
        if bisect and cfg.bisect_batch_on_function_error and len(batch) > 1:
            lane.split_first()
            lane.retry_at = now
            halves = [len(b) for b in lane.batches[:2]]
            self._ctx.batches.step(lane.journal_id, now, "bisect", halves=halves)
            return
        limit = -1 if cfg.maximum_retry_attempts is None else cfg.maximum_retry_attempts
        if limit != -1 and lane.attempts > limit:
            await self._discard(lane, batch, docs.RETRY_ATTEMPTS_EXHAUSTED, now)
            return
        lane.back_off(now, lane.attempts)
        self._ctx.batches.step(
            lane.journal_id, now, "retry", retryAt=lane.retry_at, attempt=lane.attempts
        )

    async def _drop_aged(self, lane: Lane, now: float) -> list[Any] | None:
        """MaximumRecordAgeInSeconds: the batch's records older than it go to the on-failure
        destination instead of being (re)invoked (spec 4.7)."""
        batch: list[Any] = lane.batches[0]
        limit = self._ctx.mapping.config.maximum_record_age_in_seconds
        if limit is None or limit == -1:
            return batch
        aged = [r for r in batch if now - r.approximate_arrival_timestamp > limit]
        if not aged:
            return batch
        fresh = [r for r in batch if now - r.approximate_arrival_timestamp <= limit]
        lane.batches[0] = aged
        await self._discard(lane, aged, docs.RECORD_AGE_EXCEEDED, now, keep_count=bool(fresh))
        if not fresh:
            return None  # the whole batch went: the next one is due at once
        lane.batches.insert(0, fresh)
        return fresh

    async def _discard(
        self, lane: Lane, batch: list[Any], condition: str, now: float, *, keep_count: bool = False
    ) -> None:
        cfg = self._ctx.mapping.config
        attempts, last = lane.attempts, lane.last
        lane.settle_first()
        if keep_count:
            lane.attempts, lane.last = attempts, last
        lane.retry_at = 0.0
        self._ctx.counts.add(DROPPED, len(batch))
        owed: list[Entry] = []
        doc: dict[str, Any] | None = None
        if cfg.on_failure and batch:
            doc = docs.failure_record(
                self._origin,
                batch,
                condition=condition,
                invoke_count=attempts,
                last=last,
                request_id=last.request_id if last else str(uuidlib.uuid4()),
                now=now,
            )
            owed.append(self._ctx.record(cfg.on_failure, doc))
        await self._settled(batch, owed)
        journal = self._ctx.batches
        journal.step(
            lane.journal_id,
            now,
            "onFailure",
            condition=condition,
            records=len(batch),
            destination=cfg.on_failure,
            record=doc,  # the exact record the destination gets
        )
        journal.step(lane.journal_id, now, "checkpoint", sequence=_last_seq(batch))
        self._journal_end(lane, now, "Discarded")


def _last_seq(batch: Sequence[Any]) -> str:
    return str(batch[-1].sequence_number) if batch else ""
