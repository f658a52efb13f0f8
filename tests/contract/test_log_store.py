"""LogStore contract: function logs come back in order, by group, stream prefix and time."""

from __future__ import annotations

import asyncio
from pathlib import Path

from lambdalite.logs.store import LogRow
from tests.contract.backends import opened

GROUP = "/aws/lambda/f"


def test_rows_come_back_in_order_and_survive_a_restart(backend_kind: str, tmp_path: Path) -> None:
    rows: list[LogRow] = [
        (GROUP, f"2026/12/07/[$LATEST]s{i % 2}", 1_000 + i, f"line {i}") for i in range(500)
    ]
    rows.append(("/aws/lambda/other", "s", 5, "elsewhere"))

    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            await backend.logs.append(rows)
        async with opened(backend_kind, tmp_path) as backend:
            events = await backend.logs.events(GROUP)
            assert [e.message for e in events] == [f"line {i}" for i in range(500)]
            assert len({e.event_id for e in events}) == 500
            other = await backend.logs.events("/aws/lambda/other")
            assert [e.message for e in other] == ["elsewhere"]

    asyncio.run(scenario())


def test_reads_filter_by_stream_prefix_time_and_position(backend_kind: str, tmp_path: Path) -> None:
    rows: list[LogRow] = [(GROUP, f"s{i % 2}", 1_000 + i, f"line {i}") for i in range(10)]

    async def scenario() -> None:
        async with opened(backend_kind, tmp_path) as backend:
            logs = backend.logs
            await logs.append(rows)
            odd = await logs.events(GROUP, stream_prefix="s1")
            assert [e.message for e in odd] == [f"line {i}" for i in range(1, 10, 2)]
            window = await logs.events(GROUP, start_ms=1_003, end_ms=1_005)
            assert [e.timestamp_ms for e in window] == [1_003, 1_004, 1_005]
            first = await logs.events(GROUP, limit=4)
            after = await logs.events(GROUP, after_id=first[-1].event_id, limit=100)
            assert [e.message for e in first + after] == [f"line {i}" for i in range(10)]
            streams = {s.name: s for s in await logs.streams(GROUP)}
            assert set(streams) == {"s0", "s1"}
            assert (streams["s0"].first_event_ms, streams["s0"].last_event_ms) == (1_000, 1_008)
            assert (streams["s1"].first_event_ms, streams["s1"].last_event_ms) == (1_001, 1_009)
            assert [g.name for g in await logs.groups()] == [GROUP]

    asyncio.run(scenario())
