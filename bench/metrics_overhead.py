#!/usr/bin/env python3
"""What recording outcomes costs (run by hand):

    python bench/metrics_overhead.py [--switch observe|metrics|journal] [--rounds 3] [--n 2000]
                                     [--events 8000] [--clients 4]

Alternates servers with recording on and off in the same run: `--switch observe` (the
default) turns off every sink of the outcome boundary (`LAMBDALITE_OBSERVE`: metrics, the
journal, the live feed), `--switch metrics` the metrics alone (`LAMBDALITE_METRICS`),
`--switch journal` the invocation journal alone (`LAMBDALITE_JOURNAL`). It prints each
round and, per mode, the median over rounds of (1) the single-client warm invoke p50 over
HTTP keep-alive, (2) the end-to-end rate of Event invocations (bench/async_invoke.py's
lambdalite run) and (3) the server process's CPU time per Event invocation in that run,
with the overhead of "on" against "off" and the spread of the rounds. The target is at most
5 %. On a machine others share, rates and p50s swing by more than that from run to run;
the CPU time per event swings least, so read the overhead there first.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import tempfile
import time
from pathlib import Path

import boto3

from bench.async_invoke import bench_lambdalite
from lambdalite.testing import ROLE, start_server, stop_server, zip_source

NOOP = "def handler(event, context):\n    return None\n"
MODES = {"off": "0", "on": "1"}
SWITCHES = {
    "observe": "LAMBDALITE_OBSERVE",
    "metrics": "LAMBDALITE_METRICS",
    "journal": "LAMBDALITE_JOURNAL",
}


def warm_p50_us(n: int, tmp: Path, env: dict[str, str]) -> float:
    server = start_server(tmp, "--no-example", env=env)
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
        lam.get_waiter("function_active_v2").wait(FunctionName="noop", WaiterConfig={"Delay": 1})
        host, port = server.endpoint.removeprefix("http://").split(":")
        conn = http.client.HTTPConnection(host, int(port))
        path = "/2015-03-31/functions/noop/invocations"
        samples: list[float] = []
        for i in range(n + 200):
            start = time.perf_counter()
            conn.request("POST", path, body=b"{}")
            conn.getresponse().read()
            if i >= 200:
                samples.append(time.perf_counter() - start)
        return statistics.median(samples) * 1e6
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--switch", choices=sorted(SWITCHES), default="observe")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--events", type=int, default=8000)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    variable = SWITCHES[args.switch]
    p50: dict[str, list[float]] = {m: [] for m in MODES}
    e2e: dict[str, list[float]] = {m: [] for m in MODES}
    cpu: dict[str, list[float]] = {m: [] for m in MODES}
    for r in range(args.rounds):
        order = list(MODES) if r % 2 == 0 else list(reversed(MODES))
        for mode in order:
            with tempfile.TemporaryDirectory() as tmp:
                p50[mode].append(warm_p50_us(args.n, Path(tmp), {variable: MODES[mode]}))
            os.environ[variable] = MODES[mode]  # bench_lambdalite's server env
            with tempfile.TemporaryDirectory() as tmp:
                result = bench_lambdalite(args.events, args.clients, Path(tmp))
            e2e[mode].append(result["end-to-end/s"])
            cpu[mode].append(result["server CPU us/event"])
            print(f"round {r + 1} {args.switch} {mode:3}: warm p50 {p50[mode][-1]:6.0f} us, "
                  f"Event end-to-end {e2e[mode][-1]:6.0f}/s, server CPU {cpu[mode][-1]:5.1f} "
                  "us/event", flush=True)  # fmt: skip
    off50, on50 = statistics.median(p50["off"]), statistics.median(p50["on"])
    offe, one = statistics.median(e2e["off"]), statistics.median(e2e["on"])
    print(f"warm invoke p50   off {off50:6.0f} us  on {on50:6.0f} us  "
          f"overhead {100 * (on50 / off50 - 1):+.1f} %  "
          f"(rounds off {_span(p50['off'])}, on {_span(p50['on'])})")  # fmt: skip
    print(f"Event end-to-end  off {offe:6.0f}/s   on {one:6.0f}/s   "
          f"overhead {100 * (offe / one - 1):+.1f} %  "
          f"(rounds off {_span(e2e['off'])}, on {_span(e2e['on'])})")  # fmt: skip
    offc, onc = statistics.median(cpu["off"]), statistics.median(cpu["on"])
    print(f"server CPU/event  off {offc:6.1f} us  on {onc:6.1f} us  "
          f"overhead {100 * (onc / offc - 1):+.1f} %  "
          f"(rounds off {_span(cpu['off'], 1)}, on {_span(cpu['on'], 1)})")  # fmt: skip


def _span(values: list[float], digits: int = 0) -> str:
    return f"{min(values):.{digits}f}-{max(values):.{digits}f}"


if __name__ == "__main__":
    main()
