"""The EventSourceMappingStore contract, run against every backend: what the mapping service
relies on (atomic duplicate refusal, compare-and-set updates, filters and pages) and what the
stream pollers will rely on (checkpoints that survive a restart and never move back)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from lambdalite.errors import StorageError
from lambdalite.esm.model import EventSourceMapping, MappingConfig, MappingState, SourceKind
from lambdalite.esm.store import DuplicateMapping, EventSourceMappingStore
from lambdalite.outbox.model import Entry
from tests.contract.backends import opened

FN = "arn:aws:lambda:us-east-1:000000000000:function:"
QUEUE = "arn:aws:sqs:us-east-1:000000000000:q"
STREAM = "arn:aws:kinesis:us-east-1:000000000000:stream/s"

Scenario = Callable[[Any], Awaitable[Any]]


def run(kind: str, directory: Path, *scenarios: Scenario) -> list[Any]:
    """Each scenario on a freshly opened backend over the same directory (a restart apart)."""

    async def main() -> list[Any]:
        results = []
        for scenario in scenarios:
            async with opened(kind, directory) as backend:
                results.append(await scenario(backend.event_source_mappings))
        return results

    return asyncio.run(main())


def mapping(
    n: int, function: str = "f", source: str = QUEUE, qualifier: str = ""
) -> EventSourceMapping:
    kind = SourceKind.SQS if source.startswith("arn:aws:sqs") else SourceKind.KINESIS
    return EventSourceMapping(
        uuid=f"00000000-0000-0000-0000-{n:012d}",
        function_name=function,
        function_arn=FN + function + (f":{qualifier}" if qualifier else ""),
        event_source_arn=source,
        source_kind=kind,
        config=MappingConfig(
            batch_size=10,
            filter_patterns=('{"body": {"a": [1]}}',),
            function_response_types=("ReportBatchItemFailures",),
            maximum_concurrency=5,
            on_success="arn:aws:sns:us-east-1:000000000000:t",
        ),
        state=MappingState.CREATING,
        state_transition_reason="USER_INITIATED",
        last_modified=1_000.5,
    )


def test_a_mapping_comes_back_whole_after_a_restart(backend_kind: str, tmp_path: Path) -> None:
    async def write(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1))

    async def read(store: EventSourceMappingStore) -> EventSourceMapping | None:
        return await store.get_mapping(mapping(1).uuid)

    _, found = run(backend_kind, tmp_path, write, read)
    assert found == mapping(1)


def test_a_second_mapping_of_the_same_source_and_function_is_refused(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1))
        with pytest.raises(DuplicateMapping) as refused:
            await store.create_mapping(mapping(2))
        assert refused.value.uuid == mapping(1).uuid
        assert await store.get_mapping(mapping(2).uuid) is None
        # Another function, another source, or a qualifier of the function are other pairs.
        await store.create_mapping(mapping(3, function="g"))
        await store.create_mapping(mapping(4, source=STREAM))
        await store.create_mapping(mapping(5, qualifier="live"))

    run(backend_kind, tmp_path, scenario)


def test_concurrent_creates_of_one_pair_leave_exactly_one(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        results = await asyncio.gather(
            *(store.create_mapping(mapping(n)) for n in range(10)), return_exceptions=True
        )
        assert sum(r is None for r in results) == 1
        assert all(isinstance(r, DuplicateMapping) for r in results if r is not None)
        page = await store.list_mappings(
            source_arn=QUEUE, function_name=None, function_arn=None, marker=None, limit=100
        )
        assert len(page.items) == 1

    run(backend_kind, tmp_path, scenario)


def test_list_filters_and_pages_in_creation_order(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        queues = [f"{QUEUE}{n}" for n in range(5)]
        for n, queue in enumerate(queues):
            await store.create_mapping(mapping(n, source=queue))
        await store.create_mapping(mapping(10, function="g", source=queues[0]))
        await store.create_mapping(mapping(11, source=queues[0], qualifier="live"))

        async def listed(**filters: Any) -> list[str]:
            uuids, marker = [], None
            while True:
                args = {"source_arn": None, "function_name": None, "function_arn": None, **filters}
                page = await store.list_mappings(**args, marker=marker, limit=2)
                assert len(page.items) <= 2
                uuids += [m.uuid for m in page.items]
                if page.next_marker is None:
                    return uuids
                marker = page.next_marker

        everything = await listed()
        assert everything == [mapping(n).uuid for n in (0, 1, 2, 3, 4, 10, 11)]
        assert await listed(source_arn=queues[0]) == [mapping(n).uuid for n in (0, 10, 11)]
        assert await listed(function_name="f") == [mapping(n).uuid for n in (0, 1, 2, 3, 4, 11)]
        assert await listed(function_arn=FN + "f:live") == [mapping(11).uuid]
        assert await listed(source_arn=queues[1], function_name="f") == [mapping(1).uuid]
        assert await listed(source_arn=queues[1], function_name="g") == []

    run(backend_kind, tmp_path, scenario)


def test_an_update_compares_and_sets_so_a_concurrent_one_loses(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        first = mapping(1)
        await store.create_mapping(first)
        a = first.replace(state=MappingState.ENABLED, revision=2)
        b = first.replace(config=first.config.replace(batch_size=5), revision=2)
        assert await store.replace_mapping(a, first.revision) is True
        assert await store.replace_mapping(b, first.revision) is False  # read the old one
        assert await store.get_mapping(first.uuid) == a
        assert await store.replace_mapping(mapping(9), 1) is False  # no such mapping

    run(backend_kind, tmp_path, scenario)


def test_an_update_onto_a_taken_pair_is_refused(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1))
        await store.create_mapping(mapping(2, function="g"))
        moved = mapping(2).replace(revision=2)  # function g -> f: the pair of mapping 1
        with pytest.raises(DuplicateMapping) as refused:
            await store.replace_mapping(moved, 1)
        assert refused.value.uuid == mapping(1).uuid
        assert (await store.get_mapping(mapping(2).uuid)) == mapping(2, function="g")

    run(backend_kind, tmp_path, scenario)


def test_delete_removes_the_mapping_and_frees_its_pair(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1, source=STREAM))
        await store.set_checkpoint(mapping(1).uuid, "shardId-000000000000", "5", 1.0)
        assert await store.delete_mapping(mapping(1).uuid) is True
        assert await store.delete_mapping(mapping(1).uuid) is False
        assert await store.get_mapping(mapping(1).uuid) is None
        assert await store.checkpoints(mapping(1).uuid) == {}
        await store.create_mapping(mapping(2, source=STREAM))

    run(backend_kind, tmp_path, scenario)


def test_checkpoints_survive_a_restart_and_only_move_forward(
    backend_kind: str, tmp_path: Path
) -> None:
    uuid = mapping(1).uuid
    shard = "shardId-000000000000"

    async def write(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1, source=STREAM))
        assert await store.checkpoint(uuid, shard) is None
        assert await store.set_checkpoint(uuid, shard, "99", 1.0) is True
        # Decimal strings: "100" is after "99" though it sorts before it as text.
        assert await store.set_checkpoint(uuid, shard, "100", 2.0) is True
        assert await store.set_checkpoint(uuid, shard, "99", 3.0) is False
        assert await store.set_checkpoint(uuid, shard, "100", 3.0) is False
        # Per partition key (ParallelizationFactor > 1), apart from the shard's own.
        assert await store.set_checkpoint(uuid, shard, "7", 4.0, partition_key="k1") is True
        assert await store.set_checkpoint(uuid, "shardId-000000000001", "3", 4.0) is True
        assert await store.set_checkpoint(mapping(9).uuid, shard, "1", 4.0) is False  # gone

    async def read(store: EventSourceMappingStore) -> dict[tuple[str, str], str]:
        assert await store.checkpoint(uuid, shard) == "100"
        assert await store.checkpoint(uuid, shard, "k1") == "7"
        assert await store.set_checkpoint(uuid, shard, "101", 5.0) is True
        return await store.checkpoints(uuid)

    _, positions = run(backend_kind, tmp_path, write, read)
    assert positions == {
        (shard, ""): "101",
        (shard, "k1"): "7",
        ("shardId-000000000001", ""): "3",
    }


def test_a_last_processing_result_keeps_the_revision(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: EventSourceMappingStore) -> None:
        await store.create_mapping(mapping(1))
        assert await store.set_last_processing_result(mapping(1).uuid, "OK") is True
        found = await store.get_mapping(mapping(1).uuid)
        assert found is not None
        assert (found.last_processing_result, found.revision) == ("OK", mapping(1).revision)
        assert await store.set_last_processing_result("no-such-uuid", "OK") is False

    run(backend_kind, tmp_path, scenario)


def _record(n: int, body: Any = '{"requestContext": {}}') -> Entry:
    return Entry(
        kind="esm", ref=mapping(1).uuid, target=f"arn:aws:sqs:us-east-1:000000000000:dlq{n}",
        body=body, created_at=10.0, due_at=10.0,
    )  # fmt: skip


def test_a_checkpoint_and_the_records_it_owes_commit_together(
    backend_kind: str, tmp_path: Path
) -> None:
    """A stream's checkpoint past a given-up batch and that batch's on-failure record are
    one transaction: across a restart both are there, or neither is."""
    uuid = mapping(1).uuid
    shard = "shardId-000000000000"

    async def write(backend: Any) -> None:
        store: EventSourceMappingStore = backend.event_source_mappings
        await store.create_mapping(mapping(1, source=STREAM))
        assert await store.set_checkpoint(uuid, shard, "5", 1.0, outbox=[_record(1)]) is True
        # A failure anywhere in the write (here the row: a body is required) leaves the
        # checkpoint where it was and writes no row.
        with pytest.raises(StorageError):
            await store.set_checkpoint(uuid, shard, "9", 2.0, outbox=[_record(2), _record(3, None)])
        # Rows are written even when the position does not move (the mark held back by an
        # earlier batch still in flight): they must not wait for it.
        assert await store.set_checkpoint(uuid, shard, "5", 3.0, outbox=[_record(4)]) is False

    async def read(backend: Any) -> tuple[str | None, list[str]]:
        position = await backend.event_source_mappings.checkpoint(uuid, shard)
        claims = await backend.outbox.claim("o", 100.0, 400.0, 10)
        assert all(c.kind == "esm" and c.ref == uuid for c in claims)
        return position, sorted(c.target.rsplit(":", 1)[1] for c in claims)

    results = asyncio.run(_restarted(backend_kind, tmp_path, write, read))
    assert results[1] == ("5", ["dlq1", "dlq4"])


async def _restarted(kind: str, directory: Path, *scenarios: Scenario) -> list[Any]:
    """Like run(), with the whole backend (the mapping store and the outbox it writes to)."""
    results = []
    for scenario in scenarios:
        async with opened(kind, directory) as backend:
            results.append(await scenario(backend))
    return results
