"""Kinesis values: streams, shards, records, hash keys and sequence numbers.

Facts from the Kinesis Data Streams docs:
- a record goes to the shard whose hash-key range holds MD5(partition key) read as a
  128-bit big-endian integer, or holds ExplicitHashKey when given; a new stream's shards
  split [0, 2^128) evenly, the last shard taking the remainder;
- sequence numbers are decimal strings that increase per shard. AWS's are 56 digits; ours
  are too: ``49`` + stream id (10) + shard index (6) + a store-wide counter (38) that never
  goes back, so they sort numerically within a shard, stay unique across shards and streams,
  and tell which stream and shard they came from.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum

HASH_SPACE = 1 << 128
SHARD_PREFIX = "shardId-"
DEFAULT_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
ON_DEMAND_SHARDS = 4
DEFAULT_MAX_RECORD_KIB = 1024
_SEQ_DIGITS = 56


class StreamStatus(StrEnum):
    CREATING = "CREATING"
    ACTIVE = "ACTIVE"
    DELETING = "DELETING"
    UPDATING = "UPDATING"


class StreamMode(StrEnum):
    PROVISIONED = "PROVISIONED"
    ON_DEMAND = "ON_DEMAND"


@dataclass(frozen=True, slots=True)
class Shard:
    index: int
    starting_hash: int
    ending_hash: int
    shard_id: str  # shardId-000000000000
    sequence_prefix: str  # the digits of its sequence numbers before the counter

    def sequence(self, counter: int) -> str:
        return f"{self.sequence_prefix}{counter:038d}"


@dataclass(frozen=True, slots=True)
class Stream:
    id: int
    name: str
    arn: str
    status: StreamStatus
    mode: StreamMode
    retention_hours: int
    created_at: float
    max_record_kib: int
    shards: tuple[Shard, ...]

    def shard(self, shard_id_: str) -> Shard | None:
        index = parse_shard_id(shard_id_)
        if index is None or index >= len(self.shards):
            return None
        return self.shards[index]

    def shard_for(self, hash_key: int) -> Shard:
        for shard in self.shards:
            if shard.starting_hash <= hash_key <= shard.ending_hash:
                return shard
        raise ValueError(f"hash key {hash_key} is outside [0, 2^128)")

    def starting_sequence(self, shard: Shard) -> str:
        return shard.sequence(0)


@dataclass(frozen=True, slots=True)
class Record:
    """A stored record, as GetRecords and the event source mapping poller see it."""

    shard_id: str
    sequence_number: str
    partition_key: str
    data: bytes
    approximate_arrival_timestamp: float  # epoch seconds on platform.clock


@dataclass(frozen=True, slots=True)
class NewRecord:
    data: bytes
    partition_key: str
    explicit_hash_key: str | None = None


def shard_ranges(count: int) -> list[tuple[int, int]]:
    step = HASH_SPACE // count
    return [
        (i * step, HASH_SPACE - 1 if i == count - 1 else (i + 1) * step - 1) for i in range(count)
    ]


def partition_hash(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def shard_id(index: int) -> str:
    return f"{SHARD_PREFIX}{index:012d}"


def parse_shard_id(text: str) -> int | None:
    digits = text.removeprefix(SHARD_PREFIX)
    if digits == text or not digits.isdigit():
        return None
    return int(digits)


def make_shards(stream_id: int, count: int) -> tuple[Shard, ...]:
    return tuple(
        Shard(i, start, end, shard_id(i), f"49{stream_id:010d}{i:06d}")
        for i, (start, end) in enumerate(shard_ranges(count))
    )


def format_sequence(stream_id: int, shard_index: int, counter: int) -> str:
    return f"49{stream_id:010d}{shard_index:06d}{counter:038d}"


def parse_sequence(text: str) -> tuple[int, int, int] | None:
    """(stream id, shard index, counter) of one of our sequence numbers, else None."""
    if len(text) != _SEQ_DIGITS or not text.isdigit() or not text.startswith("49"):
        return None
    return int(text[2:12]), int(text[12:18]), int(text[18:])
