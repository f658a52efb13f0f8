#!/usr/bin/env python3
"""SQS end to end through boto3, with durable commits, next to the HTTP echo floor (by hand).

    python bench/sqs.py [--floor ../shared/bench/floor.py] [--profile]

Starts `lambdalite serve` on a free port with a fresh data dir and prints:
  1. the echo floor (single keep-alive client, raw asyncio echo from the shared floor.py);
  2. single client: SendMessageBatch(10) + ReceiveMessage(10) + DeleteMessageBatch round
     trips, messages/s end to end and the p50 of each call (boto3's own cost included);
  3. the same loop in N client processes, one queue each: messages/s in total;
  4. the same loop as plain json requests over http.client (what the server can do when
     the client costs nothing);
  5. with --profile: the app in-process under cProfile for the raw loop, top functions by
     cumulative and by own time.
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import importlib.util
import json
import multiprocessing
import pstats
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

from lambdalite.testing import free_port, start_server, stop_server


def load_floor(path: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("floor", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def client(endpoint: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}),
    )


def round_trips(endpoint: str, queue: str, seconds: float) -> tuple[int, dict[str, list[float]]]:
    """Loop send(10)/receive(10)/delete(10) for ``seconds``; (messages, call latencies)."""
    sqs = client(endpoint)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    entries = [
        {"Id": str(i), "MessageBody": f'{{"n": {i}, "pad": "{"x" * 100}"}}'} for i in range(10)
    ]
    times: dict[str, list[float]] = {"send": [], "receive": [], "delete": []}
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        t0 = time.perf_counter()
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
        t1 = time.perf_counter()
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
        t2 = time.perf_counter()
        handles = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        result = sqs.delete_message_batch(QueueUrl=url, Entries=handles)
        t3 = time.perf_counter()
        assert not result.get("Failed"), result
        done += len(messages)
        times["send"].append(t1 - t0)
        times["receive"].append(t2 - t1)
        times["delete"].append(t3 - t2)
    return done, times


def _worker(args: tuple[str, str, float]) -> int:
    return round_trips(*args)[0]


def single(endpoint: str, seconds: float) -> None:
    round_trips(endpoint, "warmup", 0.5)
    done, times = round_trips(endpoint, "single", seconds)
    per_call = "  ".join(f"{k} p50 {statistics.median(v) * 1e6:6.0f} us" for k, v in times.items())
    print(f"1 client     {done / seconds:8.0f} messages/s end to end ({per_call})")


def raw_round_trips(endpoint: str, queue: str, seconds: float) -> int:
    """The same loop as plain json 1.0 requests over one keep-alive connection (no boto3)."""
    host, port = endpoint.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port))

    def call(op: str, body: dict[str, Any]) -> dict[str, Any]:
        headers = {"X-Amz-Target": f"AmazonSQS.{op}", "Content-Type": "application/x-amz-json-1.0"}
        conn.request("POST", "/", body=json.dumps(body), headers=headers)
        response = conn.getresponse()
        doc: dict[str, Any] = json.loads(response.read() or b"{}")
        assert response.status == 200, doc
        return doc

    url = call("CreateQueue", {"QueueName": queue})["QueueUrl"]
    entries = [
        {"Id": str(i), "MessageBody": f'{{"n": {i}, "pad": "{"x" * 100}"}}'} for i in range(10)
    ]
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        call("SendMessageBatch", {"QueueUrl": url, "Entries": entries})
        got = call("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": 10})["Messages"]
        handles = [{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(got)]
        call("DeleteMessageBatch", {"QueueUrl": url, "Entries": handles})
        done += len(got)
    return done


def profiled(seconds: float, top: int) -> None:
    """The ASGI app under uvicorn in a thread, profiled in that thread, driven raw."""
    import uvicorn

    from lambdalite.api.app import LambdaliteApp
    from lambdalite.config import Settings
    from lambdalite.platform import Platform

    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        settings = Settings(data_dir=Path(tmp), port=port, deploy_example=False)
        config = uvicorn.Config(
            LambdaliteApp(Platform(settings)),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            access_log=False,
        )
        server = uvicorn.Server(config)
        profile = cProfile.Profile()

        def run() -> None:
            profile.enable()
            server.run()
            profile.disable()

        thread = threading.Thread(target=run)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        done = raw_round_trips(f"http://127.0.0.1:{port}", "profiled", seconds)
        server.should_exit = True
        thread.join(timeout=30)
        print(f"\nserver profile ({done} messages in {seconds:.0f} s, raw client, cProfile on):")
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(top)
        stats.sort_stats("tottime").print_stats(top)


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    floor = load_floor(args.floor)

    echo_port = floor.start_echo()
    echo = floor.sample("127.0.0.1", echo_port, "/echo", b"{}", args.n)
    print(
        f"echo floor   p50 {statistics.median(echo) * 1e6:6.0f} us  "
        f"p99 {floor.pct(echo, 0.99):6.0f} us per request (raw asyncio echo, http.client)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-example")
        try:
            single(server.endpoint, args.seconds)
            jobs = [(server.endpoint, f"multi-{i}", args.seconds) for i in range(args.clients)]
            with multiprocessing.Pool(args.clients) as pool:
                total = sum(pool.map(_worker, jobs))
            print(f"{args.clients} clients    {total / args.seconds:8.0f} messages/s end to end")
            raw = raw_round_trips(server.endpoint, "raw", args.seconds)
            print(
                f"1 raw client {raw / args.seconds:8.0f} messages/s (plain http.client, no boto3;"
                f" 3 requests per 10 messages)"
            )
        finally:
            stop_server(server)
    if args.profile:
        profiled(args.seconds, args.top)


if __name__ == "__main__":
    main()
