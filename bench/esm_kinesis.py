#!/usr/bin/env python3
"""Kinesis event source mapping throughput, end to end, and its ceiling (run by hand).

    python bench/esm_kinesis.py [--records 100000] [--shards 4] [--batch 100]

1. End to end: `lambdalite serve` on a fresh data dir, a no-op python function, a stream of
   --shards shards already holding --records records; then a mapping (TRIM_HORIZON, BatchSize
   --batch) is created and the clock runs until the pollers have processed every record
   (GET /_lambdalite/mapping-stats). Prints records/s and the pollers' time split between
   polling (reading the stream), invoking and checkpointing (wall seconds summed over the
   shards' loops, so they may add up to more than the elapsed time).
2. Ceiling: the server stopped, the same data opened in-process by a Platform, and a bare
   loop per shard that reads the same batches from the store (the StreamReader) and runs
   them through the same Invoker and runtime processes: no lanes, no checkpoints, no stats.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lambdalite.config import Settings  # noqa: E402
from lambdalite.esm.streams.format import RecordContext  # noqa: E402
from lambdalite.esm.streams.kinesis import KinesisFormat  # noqa: E402
from lambdalite.invoke.resolve import resolve_target  # noqa: E402
from lambdalite.platform import Platform  # noqa: E402
from lambdalite.testing import ROLE, start_server, stop_server, zip_source  # noqa: E402

NOOP = "def handler(event, context):\n    return None\n"


def load(server: Any, records: int, shards: int) -> str:
    lam, kinesis = server.client("lambda"), server.client("kinesis")
    lam.create_function(
        FunctionName="noop", Runtime="python3.12", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source(NOOP)},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="noop", WaiterConfig={"Delay": 0.1})
    kinesis.create_stream(StreamName="bench", ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName="bench", WaiterConfig={"Delay": 0.1})
    for start in range(0, records, 500):
        entries = [
            {"Data": b'{"n": %d}' % i, "PartitionKey": f"k{i}"}
            for i in range(start, min(start + 500, records))
        ]
        kinesis.put_records(StreamName="bench", Records=entries)
    summary = kinesis.describe_stream_summary(StreamName="bench")["StreamDescriptionSummary"]
    return str(summary["StreamARN"])


def end_to_end(server: Any, arn: str, records: int, batch: int) -> dict[str, Any]:
    lam = server.client("lambda")
    began = time.perf_counter()
    uuid = lam.create_event_source_mapping(
        FunctionName="noop", EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        BatchSize=batch,
    )["UUID"]  # fmt: skip
    while True:
        stats = httpx.get(f"{server.endpoint}/_lambdalite/mapping-stats").json().get(uuid)
        if stats and stats["Records"] >= records:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - began
    return {"elapsed_s": elapsed, "records_per_s": records / elapsed, **stats["Seconds"]}


async def ceiling(data_dir: Path, arn: str, records: int, batch: int) -> float:
    platform = Platform(Settings(data_dir=data_dir, deploy_example=False))
    await platform.start()
    try:
        s = platform.settings
        reader = platform.directory.streams["kinesis"]
        fmt = KinesisFormat()
        target = await resolve_target(platform.store, "noop", None, s.region, s.account_id)
        shards = [shard.shard_id for shard in await reader.shards(arn)]

        async def run(shard: str) -> int:
            context = RecordContext(shard, arn, s.region, target.config.role)
            after, done = None, 0
            while True:
                got = await reader.read(arn, shard, after, batch)
                if not got:
                    return done
                event = {"Records": [fmt.event_record(r, context) for r in got]}
                await platform.invoker.invoke(
                    target, json.dumps(event).encode(), queued_since=platform.clock.now() - 60
                )
                after, done = got[-1].sequence_number, done + len(got)

        warm = json.dumps({"Records": []}).encode()  # the end to end run had warm ones too
        await asyncio.gather(
            *(platform.invoker.invoke(target, warm, queued_since=0.0) for _ in shards)
        )
        began = time.perf_counter()
        done = sum(await asyncio.gather(*(run(shard) for shard in shards)))
        elapsed = time.perf_counter() - began
        assert done == records, (done, records)
        return records / elapsed
    finally:
        await platform.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--shards", type=int, default=4)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-example")
        try:
            arn = load(server, args.records, args.shards)
            result = end_to_end(server, arn, args.records, args.batch)
        finally:
            stop_server(server)
        print(
            f"end to end: {args.records} records, {args.shards} shards, batch {args.batch}: "
            f"{result['records_per_s']:,.0f} records/s ({result['elapsed_s']:.2f} s); pollers' "
            f"time: polling {result['Polling']:.2f} s, invoking {result['Invoking']:.2f} s, "
            f"checkpointing {result['Checkpointing']:.2f} s"
        )
        # the server runs on uvloop; so does the ceiling (the pool's pipes close on its loop)
        rate = uvloop.run(ceiling(Path(tmp) / "data", arn, args.records, args.batch))
        print(f"ceiling (bare read + invoke loop per shard, same runtime): {rate:,.0f} records/s")


if __name__ == "__main__":
    main()
