"""The KinesisStore contract, over every backend: what the Kinesis service, reader and
retention trimmer rely on, through the interface only."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from lambdalite.errors import StorageError
from lambdalite.services.kinesis.store import (
    KinesisStore,
    ModeUsage,
    NewRow,
    RecordRow,
    StreamRow,
)
from tests.contract.backends import opened

EVERYTHING = 1 << 40  # a read limit that cuts nothing


def stream(
    name: str,
    *,
    status: str = "CREATING",
    shards: int = 2,
    hours: int = 24,
    mode: str = "PROVISIONED",
) -> StreamRow:
    return StreamRow(0, name, status, mode, shards, hours, 1024, 1_000.0)


async def create(store: KinesisStore, row: StreamRow) -> int:
    stream_id = await store.create_stream(row)
    assert stream_id is not None
    return stream_id


async def read_all(
    store: KinesisStore, stream_id: int, shard: int, after: int = 0, cutoff: float = 0.0
) -> list[RecordRow]:
    batch = await store.read(stream_id, shard, after, cutoff, EVERYTHING, EVERYTHING)
    assert batch.next_arrival is None
    return batch.records


async def append(store: KinesisStore, stream_id: int, rows: Sequence[NewRow]) -> list[int]:
    first = await store.append(stream_id, rows)
    return list(range(first, first + len(rows)))


async def statuses(store: KinesisStore) -> dict[int, str]:
    return {s.id: s.status for s in await store.streams()}


def run(scenario: Any) -> None:
    asyncio.run(scenario())


def test_streams_are_created_found_listed_and_deleted(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            b = await create(store, stream("b", shards=3))
            a = await create(store, stream("a", shards=1, hours=48))
            assert a != b
            assert await store.create_stream(stream("a")) is None  # the name is taken
            assert await store.stream_named("a") == StreamRow(
                a, "a", "CREATING", "PROVISIONED", 1, 48, 1024, 1_000.0
            )
            assert await store.stream_by_id(b) == await store.stream_named("b")
            assert await store.stream_named("c") is None
            assert await store.stream_by_id(max(a, b) + 1) is None
            assert [s.name for s in await store.streams()] == ["a", "b"]
            assert await store.usage("PROVISIONED") == ModeUsage(streams=2, shards=4)
            assert await store.usage("ON_DEMAND") == ModeUsage(streams=0, shards=0)
            await store.set_retention(a, 72)
        async with opened(backend_kind, tmp_path) as backend:  # a restart keeps them
            store = backend.kinesis
            found = await store.stream_named("a")
            assert found is not None and found.id == a and found.retention_hours == 72
            await append(store, b, [(0, 1.0, "k", b"x")])
            await store.delete_stream(b)
            assert await store.stream_named("b") is None
            assert await store.stream_by_id(b) is None
            assert [s.name for s in await store.streams()] == ["a"]
            assert await store.usage("PROVISIONED") == ModeUsage(streams=1, shards=1)
            again = await create(store, stream("b"))
            assert again not in (a, b)  # ids are never reused: old iterators die
            assert await read_all(store, again, 0) == []
            assert await store.last_counter(b, 0) is None  # its records went with it

    run(scenario)


def test_usage_counts_each_capacity_mode_and_follows_a_mode_switch(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            await create(store, stream("p", shards=3))
            d = await create(store, stream("d", shards=4, mode="ON_DEMAND"))
            await create(store, stream("e", shards=4, mode="ON_DEMAND"))
            assert await store.usage("PROVISIONED") == ModeUsage(streams=1, shards=3)
            assert await store.usage("ON_DEMAND") == ModeUsage(streams=2, shards=8)
            await store.set_mode(d, "PROVISIONED")
        async with opened(backend_kind, tmp_path) as backend:  # the switch is durable
            store = backend.kinesis
            found = await store.stream_by_id(d)
            assert found is not None and found.mode == "PROVISIONED" and found.shard_count == 4
            assert await store.usage("PROVISIONED") == ModeUsage(streams=2, shards=7)
            assert await store.usage("ON_DEMAND") == ModeUsage(streams=1, shards=4)

    run(scenario)


def test_activation_moves_only_creating_streams(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            a = await create(store, stream("a"))
            b = await create(store, stream("b"))
            c = await create(store, stream("c"))
            u = await create(store, stream("u", status="UPDATING"))
            await store.activate(a)
            await store.activate(u)
            half = {a: "ACTIVE", b: "CREATING", c: "CREATING", u: "UPDATING"}
            assert await statuses(store) == half
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            assert await statuses(store) == half
            await store.activate_creating()
            assert await statuses(store) == {a: "ACTIVE", b: "ACTIVE", c: "ACTIVE", u: "UPDATING"}

    run(scenario)


def test_records_get_increasing_counters_and_read_back_in_shard_order(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            first = await append(
                store, s, [(0, 1.0, "a", b"0"), (1, 1.0, "b", b"1"), (0, 1.0, "c", b"2")]
            )
            assert first == sorted(set(first))  # a batch gets consecutive counters, in order
            second = await append(store, s, [(0, 2.0, "d", b"3")])
            assert second[0] > first[-1]
            shard0 = await read_all(store, s, 0)
            assert shard0 == [
                RecordRow(first[0], 1.0, "a", b"0"),
                RecordRow(first[2], 1.0, "c", b"2"),
                RecordRow(second[0], 2.0, "d", b"3"),
            ]
            assert await read_all(store, s, 1) == [RecordRow(first[1], 1.0, "b", b"1")]
            assert [r.data for r in await read_all(store, s, 0, after=first[0])] == [b"2", b"3"]
            assert await read_all(store, s, 0, after=second[0]) == []
            assert await store.last_counter(s, 0) == second[0]
            assert await store.last_counter(s, 1) == first[1]

    run(scenario)


def test_a_restart_loses_nothing_and_reuses_no_counter(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            kept = await append(store, s, [(0, 1.0, "k", b"a"), (0, 1.0, "k", b"b")])
            gone = await create(store, stream("gone"))
            dropped = await append(store, gone, [(0, 2.0, "k", b"newest")])
            await store.delete_stream(gone)  # the highest counter is no longer stored
            assert await store.last_arrival() == 1.0
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            before = await read_all(store, s, 0)
            assert [(r.counter, r.data) for r in before] == [(kept[0], b"a"), (kept[1], b"b")]
            assert await store.last_arrival() == 1.0
            later = await append(store, s, [(0, 3.0, "k", b"c")])
            assert later[0] > dropped[0]
            assert [r.data for r in await read_all(store, s, 0)] == [b"a", b"b", b"c"]
            assert await store.last_arrival() == 3.0

    run(scenario)


def test_an_append_is_all_or_none(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            bad: Any = None  # a row the store must refuse
            with pytest.raises(StorageError):
                await store.append(s, [(0, 1.0, "k", b"a"), (0, 1.0, "k", bad)])
            assert await read_all(store, s, 0) == []
            assert await store.last_arrival() == 0.0
            await append(store, s, [(0, 2.0, "k", b"b")])
            assert [r.data for r in await read_all(store, s, 0)] == [b"b"]

    run(scenario)


def test_reads_honour_the_cutoff_count_and_size(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            rows = [(0, float(t), "k", b"x" * 10) for t in (10, 20, 30, 40)]
            counters = await append(store, s, rows)
            retained = await read_all(store, s, 0, cutoff=20.0)  # arrived at or after
            assert [r.arrival for r in retained] == [20.0, 30.0, 40.0]
            batch = await store.read(s, 0, 0, 0.0, 2, EVERYTHING)
            assert [r.counter for r in batch.records] == counters[:2]
            assert batch.next_arrival == 30.0  # the first one left out
            batch = await store.read(s, 0, counters[0], 0.0, 10, 25)  # 20 bytes fit, not 30
            assert [r.arrival for r in batch.records] == [20.0, 30.0]
            assert batch.next_arrival == 40.0
            batch = await store.read(s, 0, 0, 0.0, 10, 5)  # one record even past the size
            assert [r.counter for r in batch.records] == counters[:1]
            assert batch.next_arrival == 20.0

    run(scenario)


def test_first_counter_at_a_timestamp(tmp_path: Path, backend_kind: str) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            counters = await append(
                store, s, [(0, 10.0, "k", b"a"), (1, 15.0, "k", b"b"), (0, 20.0, "k", b"c")]
            )
            assert await store.first_counter_at(s, 0, 0.0) == counters[0]
            assert await store.first_counter_at(s, 0, 10.0) == counters[0]  # at: included
            assert await store.first_counter_at(s, 0, 10.5) == counters[2]  # not shard 1's
            assert await store.first_counter_at(s, 0, 20.5) is None
            assert await store.first_counter_at(s, 1, 12.0) == counters[1]

    run(scenario)


def test_trimming_drops_only_records_older_than_the_cutoff(
    tmp_path: Path, backend_kind: str
) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.kinesis
            s = await create(store, stream("s"))
            other = await create(store, stream("other"))
            await append(store, other, [(0, 10.0, "k", b"o")])
            await append(store, s, [(0, float(t), "k", b"%d" % t) for t in (10, 20, 30)])
            await append(store, s, [(1, 10.0, "k", b"one")])
            assert await store.trim(s, 0, 30.0, 1) == 1  # at most `limit` at a time
            assert await store.trim(s, 0, 30.0, 1) == 1
            assert await store.trim(s, 0, 30.0, 1) == 0  # the one left arrived at the cutoff
            assert [r.data for r in await read_all(store, s, 0)] == [b"30"]
            assert [r.data for r in await read_all(store, s, 1)] == [b"one"]
            assert [r.data for r in await read_all(store, other, 0)] == [b"o"]
            assert await store.trim(s, 1, 30.0, 1000) == 1
        async with opened(backend_kind, tmp_path) as backend:  # trimmed for good
            store = backend.kinesis
            assert [r.data for r in await read_all(store, s, 0)] == [b"30"]
            assert await read_all(store, s, 1) == []

    run(scenario)
