#!/usr/bin/env python3
"""SQS event source mapping throughput, end to end, and its ceiling (run by hand).

    python bench/esm_sqs.py [--messages 10000] [--big-window 1]

1. End to end, twice: `lambdalite serve` on a fresh data dir (system clock), a no-op python
   function, a queue already holding --messages messages; then a mapping is created and
   the run ends when its poller has deleted every message (GET /_lambdalite/mapping-stats).
   First BatchSize 10, then BatchSize 1000 with a --big-window s batching window. Prints
   messages/s and the poller's time split between polling (receiving), invoking and
   deleting (wall seconds summed over its concurrent batches, so they may add up to more
   than the elapsed time).
2. Ceiling, batch 10 and 1000: the server stopped, the same data opened in-process by a
   Platform, and bare loops (as many as the poller starts with, spec 4.4.2) that receive
   the same batches from the SQS store, build the same event, run it through the same
   Invoker and runtime processes and delete it: no batching, filtering, scaling, stats or
   reports.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from lambdalite.config import Settings  # noqa: E402
from lambdalite.esm import sqs_batch  # noqa: E402
from lambdalite.esm.sqs import START_CONCURRENCY  # noqa: E402
from lambdalite.invoke.resolve import resolve_target  # noqa: E402
from lambdalite.platform import Platform  # noqa: E402
from lambdalite.testing import ROLE, Server, start_server, stop_server, zip_source  # noqa: E402

NOOP = "def handler(event, context):\n    return None\n"


def function(server: Server) -> None:
    lam = server.client("lambda")
    lam.create_function(
        FunctionName="noop", Runtime="python3.12", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source(NOOP)},
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(FunctionName="noop", WaiterConfig={"Delay": 0.1})


def queue(server: Server, name: str, messages: int) -> str:
    sqs = server.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    for start in range(0, messages, 10):
        entries = [
            {"Id": str(i), "MessageBody": f'{{"n": {i}}}'}
            for i in range(start, min(start + 10, messages))
        ]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(got["Attributes"]["QueueArn"])


def end_to_end(server: Server, arn: str, messages: int, **params: Any) -> dict[str, Any]:
    lam = server.client("lambda")
    began = time.perf_counter()
    uuid = lam.create_event_source_mapping(FunctionName="noop", EventSourceArn=arn, **params)
    while True:
        stats = httpx.get(f"{server.endpoint}/_lambdalite/mapping-stats").json().get(uuid["UUID"])
        if stats and stats["Records"] >= messages:
            break
        time.sleep(0.01)
    elapsed = time.perf_counter() - began
    return {
        "elapsed_s": elapsed,
        "per_s": messages / elapsed,
        "batches": stats["Batches"],
        **stats["Seconds"],
    }


async def ceiling(data_dir: Path, arn: str, messages: int, batch: int) -> float:
    platform = Platform(Settings(data_dir=data_dir, deploy_example=False))
    await platform.start()
    try:
        s = platform.settings
        queues = platform.sqs
        target = await resolve_target(platform.store, "noop", None, s.region, s.account_id)

        async def run() -> int:
            done = 0
            while True:
                got = await queues.consume(arn, batch, target.config.timeout)
                if not got:
                    return done
                texts = [sqs_batch.record_text(sqs_batch.event_record(m, arn)) for m in got]
                await platform.invoker.invoke(
                    target, sqs_batch.encode_event(texts), queued_since=platform.clock.now()
                )
                await queues.delete_consumed(arn, [m.receipt_handle for m in got])
                done += len(got)

        warm = sqs_batch.encode_event([])  # the end to end runs had warm ones too
        await asyncio.gather(
            *(
                platform.invoker.invoke(target, warm, queued_since=0.0)
                for _ in range(START_CONCURRENCY)
            )
        )
        began = time.perf_counter()
        done = sum(await asyncio.gather(*(run() for _ in range(START_CONCURRENCY))))
        elapsed = time.perf_counter() - began
        assert done == messages, (done, messages)
        return messages / elapsed
    finally:
        await platform.stop()


def report(label: str, messages: int, r: dict[str, Any]) -> None:
    print(
        f"end to end, {label}: {messages} messages in {r['batches']} batches: "
        f"{r['per_s']:,.0f} messages/s ({r['elapsed_s']:.2f} s); poller's time: polling "
        f"{r['Polling']:.2f} s, invoking {r['Invoking']:.2f} s, deleting {r['Deleting']:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--big-window", type=int, default=1)
    args = parser.parse_args()
    n = args.messages
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-example")
        try:
            function(server)
            names = ("b10", "b1000", "bare10", "bare1000")
            small, big, bare10, bare1000 = (queue(server, name, n) for name in names)
            report("batch 10", n, end_to_end(server, small, n, BatchSize=10))
            window = {"BatchSize": 1000, "MaximumBatchingWindowInSeconds": args.big_window}
            report(
                f"batch 1000, window {args.big_window} s", n, end_to_end(server, big, n, **window)
            )
        finally:
            stop_server(server)
        # the server runs on uvloop; so does the ceiling (the pool's pipes close on its loop)
        for batch, bare in ((10, bare10), (1000, bare1000)):
            rate = uvloop.run(ceiling(Path(tmp) / "data", bare, n, batch))
            print(
                f"ceiling, batch {batch} ({START_CONCURRENCY} bare receive + invoke + delete "
                f"loops, same runtime): {rate:,.0f} messages/s"
            )


if __name__ == "__main__":
    main()
