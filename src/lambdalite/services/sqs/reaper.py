"""Deletes SQS messages past their queue's retention period and lapsed FIFO deduplication
ids, on the platform clock (a DueLoop).

Reads already hide expired messages (the store's claims and counts); this loop reclaims
their space. The next pass is due when the next message or deduplication id expires, but
at least every REAP_INTERVAL_S (no retention is shorter, so what is sent meanwhile never
waits longer) and never sooner than REAP_GAP_S after this one (a busy queue has a message
expiring nearly every instant). A queue whose retention changes wakes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from lambdalite.clock import Clock
from lambdalite.duework import DueLoop
from lambdalite.services.sqs.model import Queue
from lambdalite.services.sqs.store import SqsStore

REAP_INTERVAL_S = 60.0
REAP_GAP_S = 1.0


class Reaper(DueLoop):
    name = "sqs-reaper"

    def __init__(
        self, store: SqsStore, clock: Clock, queues: Callable[[], Sequence[Queue]]
    ) -> None:
        super().__init__(clock)
        self._store = store
        self._queues = queues

    async def run_due(self) -> float | None:
        now = self._clock.now()
        upcoming = await self._store.reap(list(self._queues()), now)
        latest = now + REAP_INTERVAL_S
        if upcoming is None or upcoming >= latest:
            return latest
        return max(upcoming, now + REAP_GAP_S)
