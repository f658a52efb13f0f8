#!/usr/bin/env python3
"""Kinesis PutRecords(500) and GetRecords throughput, next to the HTTP echo floor (by hand).

    python bench/kinesis.py [--floor ../shared/bench/floor.py] [--profile server.prof]

Starts `lambdalite serve` (optionally under cProfile) on a free port with a fresh data
dir and a 1-shard stream, then prints, one client, keep-alive:
  1. echo floor: the raw asyncio echo server answering the same PutRecords body, as
     requests/s and as "records/s" (x500), with the same http.client loop;
  2. PutRecords of 500 records of --size bytes: raw HTTP (prebuilt body) and boto3;
  3. GetRecords (Limit 10000) over everything written: raw HTTP and boto3.
With --profile, the server's top functions by internal time are printed at the end.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import importlib.util
import json
import os
import pstats
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import boto3
import httpx

from lambdalite.testing import free_port

TARGET = "Kinesis_20131202."
HEADERS = {"Content-Type": "application/x-amz-json-1.1"}


def load_floor(path: str) -> Any:
    spec = importlib.util.spec_from_file_location("floor", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(tmp: Path, profile: str | None) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    env = {**os.environ, "LAMBDALITE_PORT": str(port), "LAMBDALITE_DATA_DIR": str(tmp / "data")}
    prof = ["-m", "cProfile", "-o", profile] if profile else []
    cmd = [sys.executable, *prof, "-m", "lambdalite.cli.main", "serve", "--no-example"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/_lambdalite/health").status_code == 200:
                return proc, port
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start")


def post_loop(port: int, path: str, body: bytes, headers: dict[str, str], n: int) -> float:
    """Seconds for n keep-alive POSTs of body."""
    conn = http.client.HTTPConnection("127.0.0.1", port)
    t0 = time.perf_counter()
    for _ in range(n):
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"status {response.status}: {response.read()[:200]!r}")
    elapsed = time.perf_counter() - t0
    conn.close()
    return elapsed


def call(conn: http.client.HTTPConnection, op: str, doc: dict[str, Any]) -> dict[str, Any]:
    conn.request(
        "POST", "/", body=json.dumps(doc), headers={**HEADERS, "X-Amz-Target": TARGET + op}
    )
    response = conn.getresponse()
    out: dict[str, Any] = json.loads(response.read())
    if response.status != 200:
        raise SystemExit(f"{op}: {out}")
    return out


def read_raw(port: int, stream: str) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    start = {"StreamName": stream, "ShardId": "shardId-000000000000"}
    start["ShardIteratorType"] = "TRIM_HORIZON"
    it = call(conn, "GetShardIterator", start)["ShardIterator"]
    total, t0 = 0, time.perf_counter()
    while True:
        page = call(conn, "GetRecords", {"ShardIterator": it, "Limit": 10_000})
        total += len(page["Records"])
        it = page["NextShardIterator"]
        if not page["Records"]:
            return total, time.perf_counter() - t0


def read_boto(kin: Any, stream: str) -> tuple[int, float]:
    it = kin.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    total, t0 = 0, time.perf_counter()
    while True:
        page = kin.get_records(ShardIterator=it, Limit=10_000)
        total += len(page["Records"])
        it = page["NextShardIterator"]
        if not page["Records"]:
            return total, time.perf_counter() - t0


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("--calls", type=int, default=100, help="PutRecords calls per client kind")
    parser.add_argument("--size", type=int, default=100, help="bytes of data per record")
    parser.add_argument("--profile", help="run the server under cProfile, write stats here")
    args = parser.parse_args()
    floor = load_floor(args.floor)
    records = [
        {"Data": base64.b64encode(os.urandom(args.size)).decode(), "PartitionKey": f"pk-{i}"}
        for i in range(500)
    ]
    body = json.dumps({"StreamName": "bench", "Records": records}).encode()

    with tempfile.TemporaryDirectory() as tmp:
        proc, port = start(Path(tmp), args.profile)
        try:
            kin = boto3.client(
                "kinesis", endpoint_url=f"http://127.0.0.1:{port}", region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
            )  # fmt: skip
            kin.create_stream(StreamName="bench", ShardCount=1)
            kin.get_waiter("stream_exists").wait(StreamName="bench", WaiterConfig={"Delay": 0.1})

            echo_port = floor.start_echo()
            echo_s = post_loop(echo_port, "/echo", body, HEADERS, args.calls)
            print(f"body {len(body) / 1024:.0f} KiB per PutRecords(500), {args.size} B records")
            print(f"echo floor       {args.calls / echo_s:8.0f} req/s  = "
                  f"{500 * args.calls / echo_s:9.0f} records/s")  # fmt: skip

            put_headers = {**HEADERS, "X-Amz-Target": TARGET + "PutRecords"}
            raw_s = post_loop(port, "/", body, put_headers, args.calls)
            print(f"PutRecords raw   {args.calls / raw_s:8.0f} req/s  = "
                  f"{500 * args.calls / raw_s:9.0f} records/s  "
                  f"(floor ratio {raw_s / echo_s:.1f}x)")  # fmt: skip
            boto_records = [
                {"Data": os.urandom(args.size), "PartitionKey": f"pk-{i}"} for i in range(500)
            ]
            t0 = time.perf_counter()
            for _ in range(args.calls):
                kin.put_records(StreamName="bench", Records=boto_records)
            boto_s = time.perf_counter() - t0
            print(f"PutRecords boto3 {args.calls / boto_s:8.0f} req/s  = "
                  f"{500 * args.calls / boto_s:9.0f} records/s")  # fmt: skip

            total, read_s = read_raw(port, "bench")
            print(f"GetRecords raw   {total / read_s:9.0f} records/s ({total} records)")
            total, read_s = read_boto(kin, "bench")
            print(f"GetRecords boto3 {total / read_s:9.0f} records/s ({total} records)")
        finally:
            # uvicorn re-raises the signal it stopped on; SIGINT ends as KeyboardInterrupt,
            # which lets cProfile write its file (SIGTERM would kill the process first).
            proc.send_signal(signal.SIGINT if args.profile else signal.SIGTERM)
            proc.wait(timeout=30)
    if args.profile:
        pstats.Stats(args.profile).sort_stats("tottime").print_stats(25)


if __name__ == "__main__":
    main()
