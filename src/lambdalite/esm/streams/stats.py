"""What `lambdalite mappings` shows of a stream mapping: batches, errors, iterator age and
its recent batches. Kept in memory by the running poller (a restart starts them over)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

RECENT_BATCHES = 20


@dataclass
class MappingStats:
    batches: int = 0
    errors: int = 0
    throttles: int = 0
    records: int = 0
    iterator_age_ms: int = 0  # now minus the arrival of the last record processed
    # wall seconds spent reading the stream, invoking, and writing checkpoints (bench/)
    poll_s: float = 0.0
    invoke_s: float = 0.0
    checkpoint_s: float = 0.0
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=RECENT_BATCHES))

    def to_json(self) -> dict[str, Any]:
        return {
            "Batches": self.batches,
            "Errors": self.errors,
            "Throttles": self.throttles,
            "Records": self.records,
            "IteratorAgeMilliseconds": self.iterator_age_ms,
            "Seconds": {
                "Polling": round(self.poll_s, 4),
                "Invoking": round(self.invoke_s, 4),
                "Checkpointing": round(self.checkpoint_s, 4),
            },
            "RecentBatches": list(self.recent),
        }
