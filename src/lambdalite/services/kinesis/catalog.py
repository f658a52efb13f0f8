"""The streams by name, ARN or id, and who to tell when one changes.

The service, the reader and the wire handlers look streams up here; a write or deletion
wakes whoever waits on ``changed`` (the event source mapping pollers between empty reads).
"""

from __future__ import annotations

import asyncio

from lambdalite.config import Settings
from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    ResourceNotFoundException,
)
from lambdalite.services.kinesis.model import Stream, StreamMode, StreamStatus
from lambdalite.services.kinesis.store import KinesisStore, StreamRow


class StreamCatalog:
    def __init__(self, settings: Settings, store: KinesisStore) -> None:
        self._settings = settings
        self._store = store
        self._wakers: dict[str, asyncio.Event] = {}

    # names --------------------------------------------------------------------------------

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

    # lookups ------------------------------------------------------------------------------

    async def named(self, name: str) -> Stream:
        row = await self._store.stream_named(name)
        if row is None:
            raise self.not_found(name)
        return self._stream(row)

    async def by_arn(self, stream_arn: str) -> Stream:
        return await self.named(self.name_of(None, stream_arn))

    async def by_id(self, stream_id: int) -> Stream | None:
        row = await self._store.stream_by_id(stream_id)
        return None if row is None else self._stream(row)

    async def active(self, name: str) -> Stream:
        """A stream that takes reads and writes (AWS: ACTIVE or UPDATING, else not found)."""
        stream = await self.named(name)
        if stream.status not in (StreamStatus.ACTIVE, StreamStatus.UPDATING):
            raise self.not_found(name)
        return stream

    async def all(self) -> list[Stream]:
        return [self._stream(row) for row in await self._store.streams()]

    def _stream(self, row: StreamRow) -> Stream:
        return Stream(
            id=row.id,
            name=row.name,
            arn=self.arn(row.name),
            status=StreamStatus(row.status),
            mode=StreamMode(row.mode),
            retention_hours=row.retention_hours,
            created_at=row.created_at,
            max_record_kib=row.max_record_kib,
            shards=model.make_shards(row.id, row.shard_count),
        )

    # changes ------------------------------------------------------------------------------

    def changed(self, stream_arn: str) -> asyncio.Event:
        """An event set at the next write to (or deletion of) the stream."""
        return self._wakers.setdefault(self.name_of(None, stream_arn), asyncio.Event())

    def wake(self, name: str) -> None:
        event = self._wakers.pop(name, None)
        if event is not None:
            event.set()
