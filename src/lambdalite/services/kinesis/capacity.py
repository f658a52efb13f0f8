"""Capacity modes: the mode and shards a new stream gets, each mode's quota, and the
operations that change a stream's capacity (UpdateShardCount, UpdateStreamMode).

Facts from the Kinesis Data Streams docs (API reference, "Quotas and limits"):
- CreateStream without ShardCount creates an on-demand stream (AWS answers a stream made
  so with four shards); ShardCount with ON_DEMAND, or PROVISIONED without it, is refused;
- shards of provisioned streams count against the account's shard quota; on-demand
  streams have no shard quota, but an account holds 50 of them by default;
- UpdateShardCount is only for provisioned streams; a mode switch keeps the shards.
Resharding (split/merge, parent and child shards) is not modelled: UpdateShardCount to a
different count on a provisioned stream is refused with a message saying so.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdalite.config import Settings
from lambdalite.services.kinesis import model
from lambdalite.services.kinesis.catalog import StreamCatalog
from lambdalite.services.kinesis.errors import (
    InvalidArgumentException,
    LimitExceededException,
    ResourceInUseException,
    ValidationException,
)
from lambdalite.services.kinesis.model import Stream, StreamMode, StreamStatus
from lambdalite.services.kinesis.store import KinesisStore

SHARD_LIMIT = 500  # open shards of provisioned streams per account and region
ON_DEMAND_STREAM_LIMIT = 50  # on-demand streams per account and region (AWS's default)


@dataclass(frozen=True, slots=True)
class Limits:
    """What DescribeLimits reports."""

    shard_limit: int
    open_shards: int
    on_demand_streams: int
    on_demand_stream_limit: int


class Capacity:
    def __init__(self, settings: Settings, store: KinesisStore, catalog: StreamCatalog) -> None:
        self._settings = settings
        self._store = store
        self._catalog = catalog

    async def admit(
        self, shard_count: int | None, mode: StreamMode | None
    ) -> tuple[StreamMode, int]:
        """The mode and shard count of a stream CreateStream asked for, within quota."""
        if mode is None:
            mode = StreamMode.ON_DEMAND if shard_count is None else StreamMode.PROVISIONED
        if mode is StreamMode.ON_DEMAND:
            if shard_count is not None:
                raise InvalidArgumentException(
                    "ShardCount cannot be set while creating stream in On-Demand StreamMode"
                )
            await self._check_on_demand_limit()
            return mode, model.ON_DEMAND_SHARDS
        if shard_count is None:
            raise InvalidArgumentException("ShardCount is required for PROVISIONED stream mode.")
        await self._check_shard_limit(shard_count)
        return mode, shard_count

    async def update_shard_count(self, name: str, target: int) -> int:
        """The stream's shard count before the update (which must leave it as it is)."""
        stream = await self._catalog.named(name)
        self._require_active(stream)
        if stream.mode is StreamMode.ON_DEMAND:
            raise ValidationException(
                f"Request is invalid. Stream {name} under account "
                f"{self._settings.account_id} is in On-Demand mode."
            )
        current = len(stream.shards)
        if target != current:
            raise InvalidArgumentException(
                "Resharding (UpdateShardCount to a different shard count) is not supported "
                f"by lambdalite: stream {name} keeps its {current} shards."
            )
        return current

    async def update_stream_mode(self, stream_arn: str, mode: StreamMode) -> None:
        stream = await self._catalog.by_arn(stream_arn)
        self._require_active(stream)
        if mode is stream.mode:
            return
        if mode is StreamMode.ON_DEMAND:
            await self._check_on_demand_limit()
        else:
            await self._check_shard_limit(len(stream.shards))
        await self._store.set_mode(stream.id, mode)

    async def limits(self) -> Limits:
        provisioned = await self._store.usage(StreamMode.PROVISIONED)
        on_demand = await self._store.usage(StreamMode.ON_DEMAND)
        return Limits(SHARD_LIMIT, provisioned.shards, on_demand.streams, ON_DEMAND_STREAM_LIMIT)

    # quotas ------------------------------------------------------------------------------

    async def _check_shard_limit(self, shard_count: int) -> None:
        open_shards = (await self._store.usage(StreamMode.PROVISIONED)).shards
        if open_shards + shard_count > SHARD_LIMIT:
            s = self._settings
            raise LimitExceededException(
                f"This request would exceed the shard limit for the account {s.account_id} in "
                f"{s.region}. Current limit of shards is {SHARD_LIMIT}. Number of additional "
                f"shards that would have resulted from this request is {shard_count}."
            )

    async def _check_on_demand_limit(self) -> None:
        streams = (await self._store.usage(StreamMode.ON_DEMAND)).streams
        if streams >= ON_DEMAND_STREAM_LIMIT:
            s = self._settings
            raise LimitExceededException(
                f"This request would exceed the on-demand stream limit for the account "
                f"{s.account_id} in {s.region}. Current limit of on-demand streams is "
                f"{ON_DEMAND_STREAM_LIMIT}."
            )

    def _require_active(self, stream: Stream) -> None:
        if stream.status is not StreamStatus.ACTIVE:
            raise ResourceInUseException(
                f"Stream {stream.name} under account {self._settings.account_id} not ACTIVE, "
                f"instead in state {stream.status}"
            )
