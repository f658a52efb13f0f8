#!/usr/bin/env python3
"""Node.js functions against the Python fast path (run by hand).

    PYTHONPATH=src python bench/node.py [--floor ../shared/bench/floor.py]

1. Warm invoke over HTTP keep-alive, single client: p50/p99 of a nodejs20.x no-op (an
   async handler returning its event), of a python3.11 no-op and of the raw asyncio echo
   floor, sampled in alternating rounds (as bench/runtime_api.py). Goal: Node at most 2x
   the Python path.
2. Cold start of the Node no-op in a SandboxPool: `Init Duration` (fork + exec of node to
   its first invocation/next, the handler loaded) and the whole first invoke, each on a new
   environment, next to the floor any Node cold start pays on this machine: `node` running
   an empty script, spawned and waited for in the same run. Goal: under 60 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from pathlib import Path

import boto3
import uvloop

from bench.cold_start import NullSink, pct
from bench.invoke import NOOP, load_floor
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest
from lambdalite.testing import ROLE, start_server, stop_server, zip_source

NODE_NOOP = "exports.handler = async (event) => event;\n"


def node_package() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("index.js", NODE_NOOP)
    return buffer.getvalue()


def warm(floor_path: str, n: int, rounds: int) -> None:
    floor = load_floor(floor_path)
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
            for name, runtime, handler, code in (
                ("py", "python3.11", "app.handler", zip_source(NOOP)),
                ("node", "nodejs20.x", "index.handler", node_package()),
            ):
                lam.create_function(
                    FunctionName=name,
                    Runtime=runtime,
                    Role=ROLE,
                    Handler=handler,
                    Code={"ZipFile": code},
                )
                lam.get_waiter("function_active_v2").wait(
                    FunctionName=name, WaiterConfig={"Delay": 0.1}
                )
            port = int(server.endpoint.rsplit(":", 1)[1])
            samples: dict[str, list[float]] = {"echo": [], "python": [], "node": []}
            echo_port = floor.start_echo()
            for _ in range(rounds):
                samples["echo"] += floor.sample("127.0.0.1", echo_port, "/echo", b"{}", n)
                for key, fn in (("python", "py"), ("node", "node")):
                    path = f"/2015-03-31/functions/{fn}/invocations"
                    samples[key] += floor.sample("127.0.0.1", port, path, b"{}", n)
        finally:
            stop_server(server)
    p50 = {k: statistics.median(v) * 1e6 for k, v in samples.items()}
    for key, label in (("node", "nodejs20.x"), ("python", "python3.11"), ("echo", "echo floor")):
        p99 = floor.pct(samples[key], 0.99)  # already in us
        print(f"warm {label:12} p50 {p50[key]:7.0f} us  p99 {p99:7.0f} us")
    print(
        f"ratio p50: node/python {p50['node'] / p50['python']:.2f}, "
        f"node/echo {p50['node'] / p50['echo']:.2f}, "
        f"python/echo {p50['python'] / p50['echo']:.2f}"
    )


async def cold(code_dir: Path, n: int) -> tuple[list[float], list[float]]:
    pool = SandboxPool(NullSink())
    await pool.start()
    inits: list[float] = []
    totals: list[float] = []
    try:
        for _ in range(n):
            key = uuid.uuid4().hex
            spec = EnvironmentSpec(
                key=key,
                function_name="bench",
                function_version="$LATEST",
                function_arn="arn:aws:lambda:us-east-1:000000000000:function:bench",
                handler="index.handler",
                runtime="nodejs20.x",
                interpreter=sys.executable,
                code_dir=code_dir,
            )
            request = InvocationRequest(
                request_id=str(uuid.uuid4()), payload=b"{}", invoked_function_arn=spec.function_arn
            )
            started = time.perf_counter()
            result = await pool.invoke(spec, request)
            totals.append((time.perf_counter() - started) * 1000)
            assert result.function_error is None, result.payload
            assert result.init_duration_ms is not None
            inits.append(result.init_duration_ms)
            pool.retire("bench", key=key)
            await asyncio.sleep(0)
    finally:
        await pool.stop()
    return inits, totals


def bare_node(n: int, script: Path) -> list[float]:
    """Spawn to first output of a one-line script: what node itself costs to start before
    any runtime does anything (its exit is not timed). The environment is a clean one, as
    a function's is: NODE_EXTRA_CA_CERTS alone (set on some machines) adds ~30 ms."""
    node = shutil.which("node") or "node"
    times = []
    for _ in range(n):
        started = time.perf_counter()
        with subprocess.Popen([node, str(script)], stdout=subprocess.PIPE, env={}) as proc:
            assert proc.stdout is not None
            proc.stdout.read(1)
            times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cold", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "index.js").write_text(NODE_NOOP)
        (Path(tmp) / "hello.js").write_text("process.stdout.write('x');\n")
        inits, totals = uvloop.run(cold(Path(tmp), args.cold))
        bare = bare_node(args.cold, Path(tmp) / "hello.js")
    print(f"bare node to code  p50 {pct(bare, 0.5):.2f} ms p99 {pct(bare, 0.99):.2f} ms")
    print(
        f"cold nodejs20.x    Init Duration p50 {pct(inits, 0.5):.2f} ms "
        f"p99 {pct(inits, 0.99):.2f} ms; first invoke p50 {pct(totals, 0.5):.2f} ms "
        f"p99 {pct(totals, 0.99):.2f} ms"
    )
    warm(args.floor, args.n, args.rounds)


if __name__ == "__main__":
    main()
