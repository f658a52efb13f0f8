"""The invocation journal: every outcome lands once, in batches, durably, and is pruned by
retention (observe/journal.py, observe/journal_writer.py)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lambdalite.clock import VirtualClock
from lambdalite.observe.journal import Retention
from lambdalite.observe.journal_writer import JournalWriter
from lambdalite.observe.outcome import InvocationOutcome, Trigger
from lambdalite.store.sqlite.backend import SqliteBackend


def _outcome(name: str, n: int, *, at: float, error: bool = False) -> InvocationOutcome:
    return InvocationOutcome(
        function_name=name,
        executed_version="$LATEST",
        invoked_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        request_id=f"req-{name}-{n}",
        trigger=Trigger.ASYNC if n % 2 else Trigger.SYNC,
        started_at=at,
        duration_ms=12.5,
        billed_duration_ms=13,
        init_duration_ms=80.0 if n == 0 else None,
        function_error="Unhandled" if error else None,
        error_type="KeyError" if error else None,
        payload=json.dumps({"n": n}).encode(),
        response=b"x" * 300_000,
        source_id=f"req-{name}-{n}",
    )


def test_outcomes_are_written_in_batches_and_pruned_by_retention(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=1_000_000.0)
        backend = SqliteBackend(tmp_path / "db.sqlite3")
        await backend.open()
        writer = JournalWriter(clock, backend.journal, Retention(keep_per_function=3, max_age_s=60))
        await writer.start()
        try:
            for n in range(5):
                writer.record(_outcome("f", n, at=clock.now() + n, error=n == 4))
            writer.record(_outcome("g", 0, at=clock.now() - 120))
            assert await backend.journal.recent("f", 10) == []  # not yet: batched
            await writer.drain()
            listed = await backend.journal.recent("f", 10)
            assert [e.request_id for e in listed] == [f"req-f-{n}" for n in (4, 3, 2, 1, 0)]
            assert listed[0].outcome == "Error" and listed[0].error_type == "KeyError"
            assert listed[-1].cold and not listed[0].cold and listed[0].payload == b""
            failed = await backend.journal.recent("f", 10, failed_only=True)
            assert [e.request_id for e in failed] == ["req-f-4"]
            (whole,) = await backend.journal.by_request("req-f-1")
            assert json.loads(whole.payload) == {"n": 1} and whole.trigger == "async"
            assert len(whole.response) == 256 * 1024 and whole.response_size == 300_000
            counts = await backend.journal.counts(clock.now() - 1)
            assert counts["f"].invocations == 5 and counts["f"].errors == 1
            assert "g" not in counts

            gone = await writer.prune()
            assert gone == 3  # g's row is too old; f keeps its newest 3
            assert [e.request_id for e in await backend.journal.recent("f", 10)] == [
                "req-f-4", "req-f-3", "req-f-2",
            ]  # fmt: skip
            assert await backend.journal.recent("g", 10) == []
        finally:
            await writer.stop()
            await backend.close()

    asyncio.run(scenario())


def test_stop_flushes_what_is_pending(tmp_path: Path) -> None:
    async def scenario() -> None:
        clock = VirtualClock(start=1_000.0)
        backend = SqliteBackend(tmp_path / "db.sqlite3")
        await backend.open()
        writer = JournalWriter(clock, backend.journal, Retention())
        await writer.start()
        writer.record(_outcome("f", 1, at=clock.now()))
        await writer.stop()
        assert [e.request_id for e in await backend.journal.recent("f", 5)] == ["req-f-1"]
        await backend.close()

    asyncio.run(scenario())
