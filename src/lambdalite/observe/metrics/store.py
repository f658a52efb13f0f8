"""What metrics need from storage: buckets written back in batches, read once at start-up,
pruned past retention; and alarms (their definition and state) by name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from lambdalite.observe.metrics.bucket import Bucket
from lambdalite.observe.metrics.registry import BucketId


class MetricStore(Protocol):
    async def save_buckets(self, buckets: Sequence[tuple[BucketId, Bucket]]) -> None: ...

    async def load_buckets(self, minute_cut: int, second_cut: int) -> list[tuple[BucketId, Bucket]]:
        """Every bucket not older than the cut-offs (by resolution)."""
        ...

    async def prune_buckets(self, minute_cut: int, second_cut: int) -> None: ...

    async def save_alarm(self, name: str, doc: dict[str, Any]) -> None: ...

    async def delete_alarms(self, names: Sequence[str]) -> None: ...

    async def load_alarms(self) -> list[dict[str, Any]]: ...
