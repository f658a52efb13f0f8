"""The metrics component: restores the registry at start-up, flushes dirty buckets to the
store in batches from a background loop (never per invocation), prunes past retention,
and flushes once more at shutdown."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.observe.metrics.alarms import Alarms
from lambdalite.observe.metrics.recorder import LambdaMetrics
from lambdalite.observe.metrics.registry import MetricRegistry
from lambdalite.observe.metrics.store import MetricStore

log = logging.getLogger(__name__)

FLUSH_EVERY_S = 10.0
PRUNE_EVERY_S = 600.0


class MetricsFlusher(DueLoop):
    name = "metrics-flush"

    def __init__(self, clock: Clock, recorder: LambdaMetrics, store: MetricStore) -> None:
        super().__init__(clock)
        self._recorder = recorder
        self._store = store
        self._pruned_at = 0.0

    async def run_due(self) -> float | None:
        await self.flush()
        now = self._clock.now()
        if now - self._pruned_at >= PRUNE_EVERY_S:
            self._pruned_at = now
            minute_cut, second_cut = self._recorder.registry.prune(now)
            await self._store.prune_buckets(minute_cut, second_cut)
        return now + FLUSH_EVERY_S

    async def flush(self) -> None:
        self._recorder.fold()
        registry = self._recorder.registry
        dirty, registry.dirty = registry.dirty, set()
        rows = [(i, b) for i in dirty if (b := registry.bucket(i)) is not None]
        if rows:
            try:
                await self._store.save_buckets(rows)
            except BaseException:
                registry.dirty |= dirty  # written with the next batch
                raise


class MetricsService:
    """A platform Component (platform.py)."""

    def __init__(
        self, clock: Clock, store: MetricStore, region: str, account: str, enabled: bool = True
    ) -> None:
        self.clock = clock
        self.store = store
        self.registry = MetricRegistry()
        self.recorder = LambdaMetrics(clock, self.registry)
        self.recorder.enabled = enabled
        self.flusher = MetricsFlusher(clock, self.recorder, store)
        self.alarms = Alarms(clock, self.recorder, store, region, account)
        self.loops: list[DueLoop] = [self.flusher, self.alarms]

    def due_loops(self) -> Sequence[DueLoop]:
        return self.loops

    async def start(self) -> None:
        now = self.clock.now()
        minute_cut, second_cut = self.registry.prune(now)
        for bucket_id, bucket in await self.store.load_buckets(minute_cut, second_cut):
            self.registry.restore(bucket_id, bucket)
        await self.alarms.load()
        for loop in self.loops:
            await loop.start()

    async def stop(self) -> None:
        for loop in self.loops:
            await loop.stop()
        try:
            await self.flusher.flush()
        except Exception:
            log.exception("could not store the last metric buckets")

    def fresh(self) -> MetricRegistry:
        """The registry with everything recorded so far folded in (what readers use)."""
        self.recorder.fold()
        return self.registry
