#!/usr/bin/env python3
"""How long the console's pages take with a big journal (run by hand).

    python bench/console.py [--rows 100000] [--runs 20]

`lambdalite serve` (virtual clock) with two functions; --rows journal rows are written
straight through the journal store, all inside the overview's five-minute window (its
worst case: the counts read every one), most of them for one function. Then each page
and JSON twin is fetched --runs times over a keep-alive connection; prints p50 and max in
ms (loopback HTTP included, so a little above the server-side render time).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx

from lambdalite.observe.journal import Recorded
from lambdalite.observe.outcome import InvocationOutcome, Trigger
from lambdalite.store.sqlite.backend import JOURNAL_FILE
from lambdalite.store.sqlite.database import SqliteDatabase
from lambdalite.store.sqlite.journal import SqliteJournalStore
from lambdalite.store.sqlite.migrations import JOURNAL
from lambdalite.testing import ROLE, Server, clock_now, start_server, stop_server, zip_source

PAGES = ("/_lambdalite/ui/", "/_lambdalite/ui/functions/big", "/_lambdalite/api/overview",
         "/_lambdalite/api/invocations?function=big")  # fmt: skip


def seed(path: Path, rows: int, now: float) -> None:
    """`rows` journal rows (95% for `big`), started in the last five minutes."""

    async def write() -> None:
        database = SqliteDatabase(path, JOURNAL)
        database.open()
        try:
            store = SqliteJournalStore(database)
            batch: list[Recorded] = []
            for n in range(rows):
                name = "big" if n % 20 else "small"
                at = now - 290 + 290 * n / rows
                outcome = InvocationOutcome(
                    request_id=f"seed-{n:08d}", function_name=name, executed_version="$LATEST",
                    invoked_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
                    trigger=Trigger.SYNC, started_at=at, duration_ms=2.0, billed_duration_ms=2,
                    max_memory_used_mb=20, function_error="Unhandled" if n % 50 == 0 else None,
                    payload=b'{"n": %d}' % n, response=b"null",
                )  # fmt: skip
                batch.append((outcome, 0))
                if len(batch) == 10_000:
                    await store.append(batch)
                    batch = []
            if batch:
                await store.append(batch)
        finally:
            database.close()

    asyncio.run(write())


def prepare(tmp: Path, rows: int) -> Server:
    server = start_server(tmp, "--clock", "virtual", "--no-example", "--journal-keep", str(rows))
    lam = server.client("lambda")
    for name in ("big", "small"):
        lam.create_function(
            FunctionName=name, Runtime="python3.11", Role=ROLE, Handler="app.handler",
            Code={"ZipFile": zip_source("def handler(e, c):\n    return e\n")},
        )  # fmt: skip
    seed(server.data_dir / JOURNAL_FILE, rows, clock_now(server.endpoint))
    return server


def timings(endpoint: str, path: str, runs: int) -> list[float]:
    spent = []
    with httpx.Client(base_url=endpoint) as client:
        client.get(path).raise_for_status()  # warm: templates compiled, pages cached
        for _ in range(runs):
            started = time.perf_counter()
            client.get(path).raise_for_status()
            spent.append((time.perf_counter() - started) * 1000)
    return spent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = prepare(Path(tmp), args.rows)
        try:
            for path in PAGES:
                spent = timings(server.endpoint, path, args.runs)
                print(f"{path:45} p50 {statistics.median(spent):6.1f} ms  max {max(spent):6.1f} ms")
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
