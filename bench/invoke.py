#!/usr/bin/env python3
"""Warm synchronous invoke over HTTP, against the raw asyncio echo floor (run by hand).

    python bench/invoke.py [--floor ../shared/bench/floor.py]

Starts `lambdalite serve` on a free port with a fresh data dir, deploys a no-op function,
then prints:
  1. single-client keep-alive latency: p50/p99 and the ratio to the echo floor, measured by
     the shared floor script in alternating rounds;
  2. throughput with 8 concurrent keep-alive clients: invokes/s against echo requests/s,
     the same client code for both (client processes, so the GIL of one does not cap them);
  3. memory: idle server RSS, and RSS per warm environment.
"""

from __future__ import annotations

import argparse
import http.client
import importlib.util
import multiprocessing
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import boto3

from lambdalite.testing import ROLE, start_server, stop_server, zip_source

NOOP = "def handler(event, context):\n    return None\n"


def load_floor(path: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("floor", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _client_worker(args: tuple[str, int, str, float]) -> int:
    host, port, path, seconds = args
    conn = http.client.HTTPConnection(host, port)
    done = 0
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        conn.request("POST", path, body=b"{}", headers={"Content-Type": "application/json"})
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"status {response.status}")
        done += 1
    return done


def throughput(host: str, port: int, path: str, clients: int, seconds: float) -> float:
    with multiprocessing.Pool(clients) as pool:
        counts = pool.map(_client_worker, [(host, port, path, seconds)] * clients)
    return sum(counts) / seconds


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    floor = load_floor(args.floor)

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-example")
        try:
            lam = boto3.client(
                "lambda",
                endpoint_url=server.endpoint,
                region_name="us-east-1",
                aws_access_key_id="x",
                aws_secret_access_key="x",
            )
            lam.create_function(
                FunctionName="noop",
                Runtime="python3.11",
                Role=ROLE,
                Handler="app.handler",
                Code={"ZipFile": zip_source(NOOP)},
            )
            lam.get_waiter("function_active_v2").wait(
                FunctionName="noop", WaiterConfig={"Delay": 1}
            )
            lam.put_function_concurrency(
                FunctionName="noop", ReservedConcurrentExecutions=args.clients
            )
            port = int(server.endpoint.rsplit(":", 1)[1])
            path = "/2015-03-31/functions/noop/invocations"
            idle_rss = rss_kb(server.process.pid)

            ours: list[float] = []
            echo: list[float] = []
            echo_port = floor.start_echo()
            for _ in range(args.rounds):
                echo += floor.sample("127.0.0.1", echo_port, "/echo", b"{}", args.n)
                ours += floor.sample("127.0.0.1", port, path, b"{}", args.n)
            o50, f50 = statistics.median(ours) * 1e6, statistics.median(echo) * 1e6
            print(f"warm invoke  p50 {o50:7.0f} us  p99 {floor.pct(ours, 0.99):7.0f} us")
            print(f"echo floor   p50 {f50:7.0f} us  p99 {floor.pct(echo, 0.99):7.0f} us")
            print(f"ratio p50    {o50 / f50:.2f}")

            echo_rps = throughput("127.0.0.1", echo_port, "/echo", args.clients, args.seconds)

            def environments() -> list[int]:
                return [p for fs in children(server.process.pid) for p in children(fs)]

            before = {p: cpu_seconds(p) for p in [server.process.pid, *environments()]}
            ours_rps = throughput("127.0.0.1", port, path, args.clients, args.seconds)
            invokes = ours_rps * args.seconds
            server_cpu = cpu_seconds(server.process.pid) - before[server.process.pid]
            env_cpu = sum(cpu_seconds(p) - before.get(p, 0.0) for p in environments())
            print(
                f"cpu/invoke   server {server_cpu / invokes * 1e6:.0f} us, "
                f"environments {env_cpu / invokes * 1e6:.0f} us "
                "(the rest of the machine: clients and kernel)"
            )
            print(
                f"throughput   {ours_rps:7.0f} invokes/s with {args.clients} clients; "
                f"echo {echo_rps:7.0f} req/s; ratio {ours_rps / echo_rps:.2f}"
            )

            env_rss = [rss_kb(p) for p in environments()]
            print(
                f"memory       idle server RSS {idle_rss / 1024:.1f} MiB; "
                f"{len(env_rss)} warm environments, median RSS "
                f"{statistics.median(env_rss) / 1024 if env_rss else 0:.1f} MiB each"
            )
        finally:
            stop_server(server)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
