"""One ordered lane of a shard: the whole shard, or with ParallelizationFactor N the records
whose partition keys hash to one of N lanes (so each key keeps its order). A lane holds the
records read for it and the batch in hand: the batch stays first until it is settled
(succeeded, skipped to a destination, or split by bisection), which is what blocks the lane
on an error and keeps its order."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

from lambdalite.esm.streams.outcome import Outcome

MAX_BACKOFF_S = 60.0


@dataclass
class Lane:
    pending: deque[Any] = field(default_factory=deque)  # read, not yet in a batch
    batches: list[list[Any]] = field(default_factory=list)  # in hand first; bisected halves
    attempts: int = 0  # invocations of the batch in hand (throttles not counted)
    throttles: int = 0
    retry_at: float = 0.0
    window_from: float | None = None  # when the batching window began
    last: Outcome | None = None  # the batch in hand's last outcome
    # tumbling windows: the window the lane is in, and the state the function returned
    window_start: float | None = None
    state: Any = None
    window_final: bool = False
    journal_id: str = ""  # the batch in hand's entry in the batch journal (observe/batches.py)

    def busy(self) -> bool:
        return bool(self.batches or self.pending)

    def take(self, batch_size: int) -> list[Any]:
        batch = [self.pending.popleft() for _ in range(min(batch_size, len(self.pending)))]
        self.batches.insert(0, batch)
        return batch

    def settle_first(self) -> None:
        self.batches.pop(0)
        self.attempts = 0
        self.throttles = 0
        self.last = None

    def split_first(self) -> None:
        batch = self.batches.pop(0)
        half = len(batch) // 2
        self.batches[0:0] = [batch[:half], batch[half:]]
        self.attempts = 0  # splitting does not count toward the retry quota

    def back_off(self, now: float, tries: int) -> None:
        self.retry_at = now + min(2.0 ** max(tries - 1, 0), MAX_BACKOFF_S)
