"""A stream mapping's statistics: esm/stats.py's, with the iterator age (now minus the
arrival of the last record of the batch last invoked, so it grows while a failing batch
is retried, as AWS's IteratorAge does) and checkpoint writes as the settle step."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from lambdalite.esm.stats import PollerStats


@dataclass
class MappingStats(PollerStats):
    iterator_age_ms: int = 0

    SETTLING: ClassVar[str] = "Checkpointing"

    def gauges(self) -> dict[str, Any]:
        return {"IteratorAgeMilliseconds": self.iterator_age_ms}
