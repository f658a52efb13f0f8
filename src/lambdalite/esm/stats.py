"""What `lambdalite mappings` shows of a mapping, counted by its running poller: batches,
errors, throttles, records, where the poller's wall time went, its recent batches, and each
source's own gauges (a stream's iterator age, a queue's depth). Kept in memory (a restart
starts them over); GET /_lambdalite/mapping-stats serves them by mapping UUID."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

RECENT_BATCHES = 20


@dataclass
class PollerStats:
    batches: int = 0
    errors: int = 0
    throttles: int = 0
    records: int = 0
    # wall seconds spent reading the source, invoking, and settling (checkpoint or delete)
    poll_s: float = 0.0
    invoke_s: float = 0.0
    settle_s: float = 0.0
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_BATCHES))

    SETTLING: ClassVar[str] = "Settling"  # what the source calls its settle step

    def gauges(self) -> dict[str, Any]:
        """The source's own figures, shown after the counters."""
        return {}

    def to_json(self) -> dict[str, Any]:
        return {
            "Batches": self.batches,
            "Errors": self.errors,
            "Throttles": self.throttles,
            "Records": self.records,
            **self.gauges(),
            "Seconds": {
                "Polling": round(self.poll_s, 4),
                "Invoking": round(self.invoke_s, 4),
                self.SETTLING: round(self.settle_s, 4),
            },
            "RecentBatches": list(self.recent),
        }

    async def refresh(self) -> None:
        """Read the gauges that are measured when asked rather than counted."""


Depth = Callable[[], Awaitable[int]]


@dataclass
class QueueStats(PollerStats):
    """An SQS mapping's: the settle step deletes, and the gauge is the source queue's
    ApproximateNumberOfMessages, read when the statistics are asked for."""

    depth: Depth | None = None
    queue_depth: int = 0

    SETTLING: ClassVar[str] = "Deleting"

    async def refresh(self) -> None:
        if self.depth is not None:
            with contextlib.suppress(Exception):  # a deleted queue keeps its last depth
                self.queue_depth = await self.depth()

    def gauges(self) -> dict[str, Any]:
        return {"QueueDepth": self.queue_depth}
