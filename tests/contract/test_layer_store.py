"""LayerStore contract: versions numbered per layer and never reused, durable across a
restart, listed newest first; and what a function keeps of the layers it references."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from lambdalite.model.function import LATEST, Code, FunctionConfig, LayerRef
from lambdalite.model.layer import LayerVersion
from tests.contract.backends import opened

CODE = Code(sha256="c2hh", size=3, directory="/layers/x")


def make(name: str, runtimes: tuple[str, ...] = ()) -> Callable[[int], LayerVersion]:
    def build(number: int) -> LayerVersion:
        return LayerVersion(
            name=name,
            version=number,
            code=CODE,
            created_date="2026-01-01T00:00:00.000+0000",
            compatible_runtimes=runtimes,
        )

    return build


def test_versions_are_numbered_durable_and_never_reused(backend_kind: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.layers
            one = await store.publish_layer_version("a", make("a", ("python3.12",)))
            two = await store.publish_layer_version("a", make("a"))
            await store.publish_layer_version("b", make("b"))
            assert (one.version, two.version) == (1, 2)
            assert await store.delete_layer_version("a", 2)
            assert not await store.delete_layer_version("a", 2)
        async with opened(backend_kind, tmp_path) as backend:  # a restart
            store = backend.layers
            got = await store.get_layer_version("a", 1)
            assert got == one and got.compatible_runtimes == ("python3.12",)
            assert await store.get_layer_version("a", 2) is None
            three = await store.publish_layer_version("a", make("a"))
            assert three.version == 3  # 2 was deleted, and stays unused
            assert [v.version for v in await store.list_layer_versions("a")] == [3, 1]
            assert await store.list_layer_names() == ["a", "b"]
            assert await store.delete_layer_version("b", 1)
            assert await store.list_layer_names() == ["a"]

    asyncio.run(scenario())


def test_a_functions_layer_refs_survive_its_record(backend_kind: str, tmp_path: Path) -> None:
    refs = (
        LayerRef(arn="arn:aws:lambda:us-east-1:000000000000:layer:a:1", directory="/d", size=9),
    )
    config = FunctionConfig(
        name="f",
        version=LATEST,
        runtime="python3.12",
        handler="app.handler",
        role="arn:aws:iam::000000000000:role/r",
        code=Code(sha256="c2hh", size=3, directory="/code", local=True, dependencies="/deps"),
        layers=(refs[0].arn,),
        layer_refs=refs,
    )
    assert FunctionConfig.from_record(config.to_record()) == config
