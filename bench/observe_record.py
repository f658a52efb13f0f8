#!/usr/bin/env python3
"""What the outcome boundary costs per invocation, in process (run by hand):

    python bench/observe_record.py [--n 50000] [--profile]

Records `n` warm sync outcomes, as the invoker makes them, through each sink the platform
registers (the journal writer on a real SQLite file, the live feed with no console open,
the metrics recorder), then through all three, and prints the microseconds per outcome of
the hot path (`record`) and of the deferred work it causes (the journal's flush, the
metrics' fold): what the server's one event-loop thread spends per invoke. Also the trace
header minted for every sync invoke. Load on the machine matters less here than in
bench/metrics_overhead.py, which measures the same thing end to end.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from lambdalite.clock import SystemClock
from lambdalite.invoke.invoker import new_request_id
from lambdalite.observe import trace
from lambdalite.observe.feed import LiveFeed
from lambdalite.observe.feed_sinks import FeedOutcomes
from lambdalite.observe.journal import Retention
from lambdalite.observe.journal_writer import JournalWriter
from lambdalite.observe.metrics.recorder import LambdaMetrics
from lambdalite.observe.outcome import InvocationOutcome, OutcomeSink, Trigger
from lambdalite.store.sqlite.backend import SqliteBackend

ARN = "arn:aws:lambda:us-east-1:000000000000:function:noop"


def outcomes(n: int, clock: SystemClock) -> list[InvocationOutcome]:
    now = clock.now()
    return [
        InvocationOutcome(
            function_name="noop",
            executed_version="$LATEST",
            invoked_arn=ARN,
            request_id=new_request_id(),
            trigger=Trigger.SYNC,
            started_at=now,
            duration_ms=0.05,
            billed_duration_ms=1,
            max_memory_used_mb=13,
            payload=b"{}",
            response=b"null",
            trace_id=trace.for_invocation(None, "PassThrough", now),
        )
        for _ in range(n)
    ]


async def per_outcome_us(
    sink: OutcomeSink, settle: Callable[[], object], batch: list[InvocationOutcome]
) -> tuple[float, float]:
    """(record, deferred) microseconds per outcome; deferred work runs every 64 records, as
    the journal's 0.1 s timer would under a few thousand invokes a second."""
    hot = deferred = 0.0
    for i in range(0, len(batch), 64):
        began = time.perf_counter()
        for outcome in batch[i : i + 64]:
            sink.record(outcome)
        mid = time.perf_counter()
        result = settle()
        if asyncio.iscoroutine(result):
            await result
        deferred += time.perf_counter() - mid
        hot += mid - began
    return hot / len(batch) * 1e6, deferred / len(batch) * 1e6


class All:
    def __init__(self, *sinks: OutcomeSink) -> None:
        self.sinks = sinks

    def record(self, outcome: InvocationOutcome) -> None:
        for sink in self.sinks:
            sink.record(outcome)


async def main(n: int, profile: bool) -> None:
    clock = SystemClock()
    with tempfile.TemporaryDirectory() as tmp:
        backend = SqliteBackend(Path(tmp) / "db.sqlite3")
        await backend.open()
        try:
            journal = JournalWriter(clock, backend.journal, Retention())
            feed = FeedOutcomes(LiveFeed())
            metrics = LambdaMetrics(clock)
            began = time.perf_counter()
            for _ in range(n):
                trace.for_invocation(None, "PassThrough", clock.now())
            print(f"trace minting          {(time.perf_counter() - began) / n * 1e6:6.2f} us")
            sinks: list[tuple[str, OutcomeSink, Callable[[], object]]] = [
                ("journal", journal, journal.flush),
                ("feed (no console)", feed, lambda: None),
                ("metrics", metrics, metrics.fold),
            ]
            sinks.append(("all three", All(journal, feed, metrics), _both(journal, metrics)))
            for name, sink, settle in sinks:
                batch = outcomes(n, clock)
                hot, deferred = await per_outcome_us(sink, settle, batch)
                print(f"{name:22} record {hot:6.2f} us  deferred {deferred:6.2f} us  "
                      f"total {hot + deferred:6.2f} us")  # fmt: skip
            if profile:
                batch = outcomes(n, clock)
                profiler = cProfile.Profile()
                profiler.enable()
                await per_outcome_us(All(journal, feed, metrics), _both(journal, metrics), batch)
                profiler.disable()
                pstats.Stats(profiler).sort_stats("tottime").print_stats(15)
            if journal._timer is not None:
                journal._timer.cancel()
        finally:
            await backend.close()


def _both(journal: JournalWriter, metrics: LambdaMetrics) -> Callable[[], object]:
    async def settle() -> None:
        metrics.fold()
        await journal.flush()

    return settle


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50_000)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    asyncio.run(main(args.n, args.profile))
