"""FunctionStore contract: what the control plane relies on, over every backend."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from lambdalite.functions.store import FunctionStore
from lambdalite.model.function import LATEST, Alias, Code, FunctionConfig, FunctionRecord
from tests.contract.backends import opened

CODE = Code(sha256="c2hh", size=3, directory="/nowhere")


def config(name: str, revision: str = "r1", description: str = "") -> FunctionConfig:
    return FunctionConfig(
        name=name,
        version=LATEST,
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::000000000000:role/r",
        code=CODE,
        description=description,
        revision_id=revision,
    )


def run(kind: str, directory: Path, *scenarios: Callable[[FunctionStore], Awaitable[None]]) -> None:
    """Each scenario on its own opening of the backend: the second one is after a restart."""

    async def all_of_them() -> None:
        for scenario in scenarios:
            async with opened(kind, directory) as backend:
                await scenario(backend.functions)

    asyncio.run(all_of_them())


def publish_latest(
    latest: FunctionConfig, previous: FunctionConfig | None, number: int
) -> FunctionConfig | None:
    if previous is not None and previous.same_publishable_content(latest):
        return None
    return latest.replace(version=str(number))


def test_a_function_is_created_once_and_survives_a_restart(
    backend_kind: str, tmp_path: Path
) -> None:
    async def create(store: FunctionStore) -> None:
        assert await store.create_function(FunctionRecord(name="f"), config("f")) is True
        assert await store.create_function(FunctionRecord(name="f"), config("f")) is False

    async def read(store: FunctionStore) -> None:
        assert await store.get_function("f") == FunctionRecord(name="f")
        assert await store.get_version("f", LATEST) == config("f")
        assert await store.get_function("g") is None

    run(backend_kind, tmp_path, create, read)


def test_latest_is_replaced_only_from_the_revision_the_caller_read(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: FunctionStore) -> None:
        await store.create_function(FunctionRecord(name="f"), config("f"))
        assert await store.replace_latest(config("f", "r2", "new"), expected_revision="r1")
        # A second writer that read r1 too loses: $LATEST has moved on.
        assert not await store.replace_latest(config("f", "r3", "lost"), expected_revision="r1")
        latest = await store.get_version("f", LATEST)
        assert latest is not None and latest.description == "new"

    run(backend_kind, tmp_path, scenario)


def test_versions_are_numbered_never_reused_and_unchanged_code_is_not_republished(
    backend_kind: str, tmp_path: Path
) -> None:
    async def scenario(store: FunctionStore) -> None:
        await store.create_function(FunctionRecord(name="f"), config("f"))
        first = await store.publish_version("f", publish_latest)
        assert first is not None and first.version == "1"
        again = await store.publish_version("f", publish_latest)
        assert again is not None and again.version == "1"  # nothing changed: the same one
        changed = config("f", "r2").replace(timeout=30)
        await store.replace_latest(changed, expected_revision="r1")
        second = await store.publish_version("f", publish_latest)
        assert second is not None and second.version == "2"
        assert await store.delete_version("f", "2")
        await store.replace_latest(changed.replace(timeout=60, revision_id="r3"), "r2")
        third = await store.publish_version("f", publish_latest)
        assert third is not None and third.version == "3"  # 2 is never given again
        page = await store.list_versions("f", None, 10)
        assert [c.version for c in page.items] == [LATEST, "1", "3"]

    run(backend_kind, tmp_path, scenario)


def test_listings_page_in_name_order(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: FunctionStore) -> None:
        for name in ("c", "a", "b"):
            await store.create_function(FunctionRecord(name=name), config(name))
        first = await store.list_latest(None, 2)
        assert [c.name for c in first.items] == ["a", "b"] and first.next_marker is not None
        rest = await store.list_latest(first.next_marker, 2)
        assert [c.name for c in rest.items] == ["c"] and rest.next_marker is None

    run(backend_kind, tmp_path, scenario)


def test_reserved_concurrency_is_summed_across_functions(backend_kind: str, tmp_path: Path) -> None:
    async def scenario(store: FunctionStore) -> None:
        for name in ("a", "b"):
            await store.create_function(FunctionRecord(name=name), config(name))
        assert await store.set_reserved_concurrency("a", 10)
        assert await store.set_reserved_concurrency("b", 5)
        assert not await store.set_reserved_concurrency("missing", 1)
        assert await store.total_reserved_concurrency() == 15
        assert await store.total_reserved_concurrency(excluding="a") == 5

    run(backend_kind, tmp_path, scenario)


def test_aliases_and_versions_go_with_their_function(backend_kind: str, tmp_path: Path) -> None:
    live = Alias(function_name="f", name="live", function_version="1", revision_id="a1")

    async def create(store: FunctionStore) -> None:
        await store.create_function(FunctionRecord(name="f"), config("f"))
        await store.publish_version("f", publish_latest)
        assert await store.create_alias(live)
        assert not await store.create_alias(live)  # the name is taken
        moved = Alias(function_name="f", name="live", function_version=LATEST, revision_id="a2")
        assert await store.replace_alias(moved)

    async def delete(store: FunctionStore) -> None:
        found = await store.get_alias("f", "live")
        assert found is not None and found.function_version == LATEST
        page = await store.list_aliases("f", None, None, 10)
        assert [a.name for a in page.items] == ["live"]
        assert await store.delete_function("f")

    async def gone(store: FunctionStore) -> None:
        assert await store.get_alias("f", "live") is None
        assert await store.get_version("f", "1") is None
        # A function re-created under the same name starts clean.
        await store.create_function(FunctionRecord(name="f"), config("f"))
        assert (await store.list_aliases("f", None, None, 10)).items == []

    run(backend_kind, tmp_path, create, delete, gone)
