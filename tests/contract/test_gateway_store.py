"""The GatewayStore contract, run against every backend: declared APIs keep their order
and are replaced in place; function URLs are one per (function, qualifier), found by id,
and everything survives a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from tests.contract.backends import opened


def test_apis_and_urls_are_durable_and_keyed(backend_kind: str, tmp_path: Path) -> None:
    async def first() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.gateway
            await store.put_api("aaaaaaaaaa", {"apiId": "aaaaaaaaaa", "v": 1})
            await store.put_api("bbbbbbbbbb", {"apiId": "bbbbbbbbbb", "v": 1})
            await store.put_api("aaaaaaaaaa", {"apiId": "aaaaaaaaaa", "v": 2})  # in place
            assert [d["v"] for d in await store.list_apis()] == [2, 1]
            assert await store.create_url("f", "", "id1", {"auth_type": "NONE"})
            assert not await store.create_url("f", "", "id2", {"auth_type": "NONE"})
            assert await store.create_url("f", "live", "id3", {"auth_type": "AWS_IAM"})
            await store.update_url("f", "live", {"auth_type": "NONE"})

    async def second() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            store = backend.gateway
            assert [d["apiId"] for d in await store.list_apis()] == ["aaaaaaaaaa", "bbbbbbbbbb"]
            assert await store.delete_api("bbbbbbbbbb")
            assert not await store.delete_api("bbbbbbbbbb")
            found = await store.url_by_id("id3")
            assert found == {"function_name": "f", "qualifier": "live", "url_id": "id3",
                             "auth_type": "NONE"}  # fmt: skip
            assert [u["url_id"] for u in await store.list_urls("f")] == ["id1", "id3"]
            assert await store.delete_url("f", "")
            assert await store.get_url("f", "") is None
            await store.delete_urls("f")
            assert await store.all_urls() == []

    asyncio.run(first())
    asyncio.run(second())
