"""Kinesis Data Streams: streams, shards and the write path (durable before success).

``KinesisService`` is what the wire handlers (``api/kinesis_api.py``) use, over a
``KinesisStore`` (``store.py``). It composes the stream lookup (``catalog.py``), the read
path (``reader.py``, also the event source mapping pollers' ``StreamReader``), the
capacity modes and their quotas (``capacity.py``) and the retention trimmer
(``retention.py``), each given only the store, the clock and what else it
needs. It is also a platform component: at start it finishes streams a crash left
CREATING and runs the trimmer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.duework import DueLoop
from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.capacity import Capacity
from lambdalite.services.kinesis.catalog import StreamCatalog
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    ResourceInUseException,
)
from lambdalite.services.kinesis.model import (
    NewRecord,
    Record,
    Shard,
    Stream,
    StreamMode,
    StreamStatus,
)
from lambdalite.services.kinesis.reader import KinesisReader
from lambdalite.services.kinesis.retention import RetentionTrimmer
from lambdalite.services.kinesis.store import KinesisStore, StreamRow
from lambdalite.services.streams import StreamReader

# How long a new stream shows CREATING, in wall time: it stands for our own work, not for
# an AWS delay a test would fast-forward (boto3's stream_exists waiter sees it pass).
CREATE_DELAY_S = 0.05
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024  # data + partition keys of one PutRecords call


@dataclass(frozen=True, slots=True)
class PutResult:
    shard_id: str
    sequence_number: str


class KinesisService:
    def __init__(self, settings: Settings, clock: Clock, store: KinesisStore) -> None:
        self._settings = settings
        self.clock = clock
        self._store = store
        self.catalog = StreamCatalog(settings, store)
        self.reader = KinesisReader(store, clock, self.catalog)
        self.capacity = Capacity(settings, store, self.catalog)
        self._trimmer = RetentionTrimmer(store, clock)
        self._last_arrival = 0.0
        self._activations: set[asyncio.Task[None]] = set()

    # component ---------------------------------------------------------------------------

    def due_loops(self) -> Sequence[DueLoop]:
        return [self._trimmer]

    async def start(self) -> None:
        await self._store.activate_creating()
        self._last_arrival = await self._store.last_arrival()
        await self._trimmer.start()

    async def stop(self) -> None:
        for task in self._activations:
            task.cancel()
        await asyncio.gather(*self._activations, return_exceptions=True)
        self._activations.clear()
        await self._trimmer.stop()

    # streams -----------------------------------------------------------------------------

    def name_of(self, name: str | None, arn: str | None) -> str:
        """The stream a request names by StreamName or StreamARN."""
        return self.catalog.name_of(name, arn)

    async def stream(self, name: str) -> Stream:
        return await self.catalog.named(name)

    async def streams(self) -> list[Stream]:
        return await self.catalog.all()

    @property
    def stream_reader(self) -> StreamReader[Record]:
        """What event source mapping pollers read these streams through."""
        return self.reader

    # control plane -----------------------------------------------------------------------

    async def create_stream(
        self,
        name: str,
        shard_count: int | None,
        mode: StreamMode | None,
        max_record_kib: int | None,
    ) -> None:
        """A new stream, CREATING for a moment; ``mode`` None: as ``capacity`` decides."""
        mode, shard_count = await self.capacity.admit(shard_count, mode)
        row = StreamRow(
            0, name, StreamStatus.CREATING, mode, shard_count, model.DEFAULT_RETENTION_HOURS,
            max_record_kib or model.DEFAULT_MAX_RECORD_KIB, self.clock.now(),
        )  # fmt: skip
        stream_id = await self._store.create_stream(row)
        if stream_id is None:
            raise ResourceInUseException(
                f"Stream {name} under account {self._settings.account_id} already exists."
            )
        task = asyncio.create_task(self._activate_later(stream_id))
        self._activations.add(task)
        task.add_done_callback(self._activations.discard)

    async def _activate_later(self, stream_id: int) -> None:
        await asyncio.sleep(CREATE_DELAY_S)
        await self._store.activate(stream_id)

    async def delete_stream(self, name: str) -> None:
        stream = await self.catalog.named(name)
        if stream.status is StreamStatus.CREATING:
            raise ResourceInUseException(
                f"Stream {name} under account {self._settings.account_id} not ACTIVE, "
                f"instead in state {stream.status}"
            )
        await self._store.delete_stream(stream.id)  # AWS shows DELETING a while; we are done
        self.catalog.wake(name)

    async def set_retention(self, name: str, hours: int, *, increase: bool) -> None:
        stream = await self.catalog.active(name)
        current = stream.retention_hours
        if hours < model.DEFAULT_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Minimum allowed retention period is {model.DEFAULT_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too short."
            )
        if hours > model.MAX_RETENTION_HOURS:
            raise InvalidArgumentException(
                f"Maximum allowed retention period is {model.MAX_RETENTION_HOURS} hours. "
                f"Requested retention period ({hours} hours) is too long."
            )
        if increase and hours < current:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {name} can not be "
                f"shorter than existing retention period ({current} hours). "
                "Use DecreaseRetentionPeriod API."
            )
        if not increase and hours > current:
            raise InvalidArgumentException(
                f"Requested retention period ({hours} hours) for stream {name} can not be "
                f"longer than existing retention period ({current} hours). "
                "Use IncreaseRetentionPeriod API."
            )
        await self._store.set_retention(stream.id, hours)

    # write path --------------------------------------------------------------------------

    async def put_records(
        self, name: str, entries: Sequence[NewRecord], *, batch: bool
    ) -> list[PutResult]:
        """Commit ``entries`` in one transaction, all or none; results in request order."""
        stream = await self.catalog.active(name)
        limit = stream.max_record_kib * 1024
        arrival = max(self.clock.now(), self._last_arrival)  # never back: trimming needs it
        rows: list[tuple[int, float, str, bytes]] = []
        shards: list[Shard] = []
        total = 0
        for entry in entries:
            size = len(entry.data) + len(entry.partition_key.encode())
            if size > limit:
                raise InvalidArgumentException(
                    f"Record size {size} bytes exceeds the maximum record size of "
                    f"{stream.max_record_kib} KiB for stream {name}."
                )
            total += size
            shard = stream.shard_for(_hash_key(entry))
            shards.append(shard)
            rows.append((shard.index, arrival, entry.partition_key, entry.data))
        if batch and total > MAX_PUT_RECORDS_BYTES:
            raise InvalidArgumentException("Records size exceeds 5 MB limit")
        first = await self._store.append(stream.id, rows)
        self._last_arrival = arrival
        self.catalog.wake(name)
        return [
            PutResult(shard.shard_id, shard.sequence(counter))
            for counter, shard in enumerate(shards, first)
        ]


def _hash_key(entry: NewRecord) -> int:
    if entry.explicit_hash_key is None:
        return model.partition_hash(entry.partition_key)
    key = int(entry.explicit_hash_key)
    if key >= model.HASH_SPACE:
        raise InvalidArgumentException(
            "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
            f"Specified value was {entry.explicit_hash_key}"
        )
    return key
