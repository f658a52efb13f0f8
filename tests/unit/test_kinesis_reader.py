"""The Kinesis model helpers and the internal read API the event source mapping uses."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

import pytest

from lambdalite.clock import VirtualClock, wait_until
from lambdalite.config import Settings
from lambdalite.services.kinesis import KinesisService
from lambdalite.services.kinesis.errors import ExpiredIteratorException, InvalidArgumentException
from lambdalite.services.kinesis.iterators import Position, decode_iterator, encode_iterator
from lambdalite.services.kinesis.model import (
    NewRecord,
    StreamMode,
    format_sequence,
    parse_sequence,
    partition_hash,
    shard_ranges,
)
from lambdalite.store.sqlite.backend import SqliteBackend

ARN = "arn:aws:kinesis:us-east-1:000000000000:stream/s"


def test_shard_ranges_cover_the_hash_space_evenly() -> None:
    ranges = shard_ranges(3)
    assert ranges[0][0] == 0 and ranges[-1][1] == (1 << 128) - 1
    assert [b - a for a, b in ranges[:2]] == [(1 << 128) // 3 - 1] * 2
    assert shard_ranges(4)[0][1] == 85070591730234615865843651857942052863


def test_partition_hash_is_md5_as_a_big_endian_integer() -> None:
    assert partition_hash("pk") == int(hashlib.md5(b"pk").hexdigest(), 16)


def test_sequence_numbers_round_trip_and_sort_within_a_shard() -> None:
    a, b = format_sequence(7, 2, 9), format_sequence(7, 2, 10)
    assert len(a) == 56 and int(a) < int(b) and a < b
    assert parse_sequence(b) == (7, 2, 10)
    assert parse_sequence("123") is None


def test_iterators_are_opaque_and_expire() -> None:
    token = encode_iterator(Position(1, 2, 3, 1000.0))
    assert decode_iterator(token, 1300.0) == Position(1, 2, 3, 1000.0)
    with pytest.raises(ExpiredIteratorException):
        decode_iterator(token, 1300.5)
    with pytest.raises(InvalidArgumentException):
        decode_iterator("garbage!", 0)


def test_internal_read_api(tmp_path: Path) -> None:
    asyncio.run(_read_api(tmp_path))


async def _read_api(tmp_path: Path) -> None:
    clock = VirtualClock(start=1_000_000.0)
    backend = SqliteBackend(tmp_path / "db.sqlite3")
    await backend.open()
    service = KinesisService(Settings(data_dir=tmp_path), clock, backend.kinesis)
    await service.start()
    try:
        await service.create_stream("s", 2, StreamMode.PROVISIONED, None)
        await backend.kinesis.activate_creating()
        shards = await service.reader.shards(ARN)
        assert [s.shard_id for s in shards] == ["shardId-000000000000", "shardId-000000000001"]
        shard = "shardId-000000000000"
        assert await service.reader.latest_sequence(ARN, shard) is None
        changed = service.reader.changed(ARN)
        puts = [NewRecord(b"%d" % i, "p", explicit_hash_key="0") for i in range(5)]
        results = await service.put_records("s", puts, batch=True)
        assert changed.is_set()
        records = await service.reader.read(ARN, shard, None, 3)
        assert [r.data for r in records] == [b"0", b"1", b"2"]
        assert records[0].approximate_arrival_timestamp == 1_000_000.0
        rest = await service.reader.read(ARN, shard, records[-1].sequence_number, 10)
        assert [r.sequence_number for r in rest] == [r.sequence_number for r in results[3:]]
        assert await service.reader.latest_sequence(ARN, shard) == results[-1].sequence_number
        clock.advance(60)
        await service.put_records("s", [NewRecord(b"late", "p", "0")], batch=False)
        start = await service.reader.position_at(ARN, shard, 1_000_030.0)
        assert [r.data for r in await service.reader.read(ARN, shard, start, 10)] == [b"late"]
        waiter = service.reader.changed(ARN)
        assert not await wait_until(clock, waiter, clock.now())  # nothing new: times out
        clock.advance(25 * 3600)
        assert await service.reader.read(ARN, shard, None, 10) == []
    finally:
        await service.stop()
        await backend.close()
