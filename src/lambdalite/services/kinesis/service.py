"""Kinesis Data Streams: streams, shards and the write path (durable before success).

``KinesisService`` is what the wire handlers (``api/kinesis_api.py``) and, through
``reader.py``, the event source mapping poller use. It is also a platform component: at
start it creates its tables, finishes streams a crash left CREATING, and runs the
retention trimmer (``retention.py``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from lambdalite.clock import Clock
from lambdalite.config import Settings
from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from lambdalite.services.kinesis.model import (
    NewRecord,
    Shard,
    Stream,
    StreamMode,
    StreamStatus,
)
from lambdalite.services.kinesis.reader import KinesisReader
from lambdalite.services.kinesis.retention import RetentionTrimmer
from lambdalite.services.kinesis.store import KinesisStore, StreamRow
from lambdalite.store.sqlite.store import SqliteStore

# How long a new stream shows CREATING, in wall time: it stands for our own work, not for
# an AWS delay a test would fast-forward (boto3's stream_exists waiter sees it pass).
CREATE_DELAY_S = 0.05
SHARD_LIMIT = 500  # open shards per account and region (AWS's default quota in us-east-1)
MAX_PUT_RECORDS_BYTES = 5 * 1024 * 1024  # data + partition keys of one PutRecords call


@dataclass(frozen=True, slots=True)
class PutResult:
    shard_id: str
    sequence_number: str


class KinesisService:
    def __init__(self, settings: Settings, clock: Clock, store: SqliteStore) -> None:
        self._settings = settings
        self.clock = clock
        self.db = KinesisStore(lambda: store.db)
        self.reader = KinesisReader(self)
        self._trimmer = RetentionTrimmer(self)
        self._wakers: dict[str, asyncio.Event] = {}
        self._last_arrival = 0.0
        self._timers: set[asyncio.TimerHandle] = set()

    # component ---------------------------------------------------------------------------

    async def start(self) -> None:
        self.db.activate_all_creating()
        self._last_arrival = self.db.last_arrival()
        await self._trimmer.start()

    async def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        await self._trimmer.stop()

    # names -------------------------------------------------------------------------------

    def arn(self, name: str) -> str:
        s = self._settings
        return f"arn:aws:kinesis:{s.region}:{s.account_id}:stream/{name}"

    def name_of(self, name: str | None, arn: str | None) -> str:
        """The stream a request names by StreamName or StreamARN."""
        if arn is not None:
            prefix = self.arn("")
            if not arn.startswith(prefix) or (name is not None and arn != self.arn(name)):
                raise ResourceNotFoundException(f"Stream {arn} not found.")
            return arn.removeprefix(prefix)
        if name is None:
            raise InvalidArgumentException("Either StreamName or StreamARN must be provided.")
        return name

    def not_found(self, name: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"Stream {name} under account {self._settings.account_id} not found."
        )

    def _stream(self, row: StreamRow) -> Stream:
        shards = model.make_shards(row.id, row.shard_count)
        return Stream(
            id=row.id,
            name=row.name,
            arn=self.arn(row.name),
            status=StreamStatus(row.status),
            mode=StreamMode(row.mode),
            retention_hours=row.retention_hours,
            created_at=row.created_at,
            max_record_kib=row.max_record_kib,
            shards=shards,
        )

    def stream(self, name: str) -> Stream:
        row = self.db.stream_by_name(name)
        if row is None:
            raise self.not_found(name)
        return self._stream(row)

    def stream_by_id(self, stream_id: int) -> Stream | None:
        row = self.db.stream_by_id(stream_id)
        return None if row is None else self._stream(row)

    def active(self, name: str) -> Stream:
        """A stream that takes reads and writes (AWS: ACTIVE or UPDATING, else not found)."""
        stream = self.stream(name)
        if stream.status not in (StreamStatus.ACTIVE, StreamStatus.UPDATING):
            raise self.not_found(name)
        return stream

    def streams(self) -> list[Stream]:
        return [self._stream(row) for row in self.db.streams()]

    # control plane -----------------------------------------------------------------------

    async def create_stream(
        self, name: str, shard_count: int | None, mode: StreamMode, max_record_kib: int | None
    ) -> None:
        if mode is StreamMode.ON_DEMAND:
            if shard_count is not None:
                raise InvalidArgumentException(
                    "ShardCount must not be specified for ON_DEMAND stream mode."
                )
            shard_count = model.ON_DEMAND_SHARDS
        elif shard_count is None:
            raise InvalidArgumentException("ShardCount is required for PROVISIONED stream mode.")
        self._check_shard_limit(shard_count)
        row = StreamRow(
            0, name, StreamStatus.CREATING, mode, shard_count, model.DEFAULT_RETENTION_HOURS,
            max_record_kib or model.DEFAULT_MAX_RECORD_KIB, self.clock.now(),
        )  # fmt: skip
        stream_id = self.db.insert_stream(row)
        if stream_id is None:
            raise ResourceInUseException(
                f"Stream {name} under account {self._settings.account_id} already exists."
            )
        self._later(CREATE_DELAY_S, lambda: self.db.set_status(stream_id, "ACTIVE", "CREATING"))

    def _check_shard_limit(self, shard_count: int) -> None:
        open_shards = self.db.open_shards()
        if open_shards + shard_count > SHARD_LIMIT:
            s = self._settings
            raise LimitExceededException(
                f"This request would exceed the shard limit for the account {s.account_id} in "
                f"{s.region}. Current limit of shards is {SHARD_LIMIT}. Number of additional "
                f"shards that would have resulted from this request is {shard_count}."
            )

    def _later(self, delay: float, action: object) -> None:
        def run() -> None:
            self._timers.discard(timer)
            action()  # type: ignore[operator]

        timer = asyncio.get_running_loop().call_later(delay, run)
        self._timers.add(timer)

    async def delete_stream(self, name: str) -> None:
        stream = self.stream(name)
        if stream.status is StreamStatus.CREATING:
            raise ResourceInUseException(
                f"Stream {name} under account {self._settings.account_id} not ACTIVE, "
                f"instead in state {stream.status}"
            )
        self.db.delete_stream(stream.id)  # AWS shows DELETING for a while; we are done at once
        self._wake(name)

    async def set_retention(self, name: str, hours: int, *, increase: bool) -> None:
        stream = self.active(name)
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
        self.db.set_retention(stream.id, hours)

    # write path --------------------------------------------------------------------------

    async def put_records(
        self, name: str, entries: Sequence[NewRecord], *, batch: bool
    ) -> list[PutResult]:
        """Commit ``entries`` in one transaction, all or none; results in request order."""
        stream = self.active(name)
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
        first = self.db.append(stream.id, rows)
        self._last_arrival = arrival
        self._wake(name)
        return [
            PutResult(shard.shard_id, shard.sequence(counter))
            for counter, shard in enumerate(shards, first)
        ]

    def _wake(self, name: str) -> None:
        event = self._wakers.pop(name, None)
        if event is not None:
            event.set()

    def changed(self, name: str) -> asyncio.Event:
        """An event set at the next write to (or deletion of) stream ``name``."""
        return self._wakers.setdefault(name, asyncio.Event())


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
