"""By-hand benchmark of environment cold starts and warm pool round trips.

    PYTHONPATH=src python bench/cold_start.py [--cold 200] [--warm 20000]

Cold start: from the pool.invoke call to the handler's first line, minus the handler
module's own import time (each sample uses a new spec key, so a new environment).
Warm: pool.invoke round trip of a no-op handler on one warm environment (uvloop).
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
import uuid
from pathlib import Path

import uvloop

from lambdalite.config import default_cache_dir
from lambdalite.logs.store import LogRow
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.runtime_packages import RuntimePackages
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest

CODE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "functions" / "bench"
log = logging.getLogger("bench")


class NullSink:
    def emit(self, rows: list[LogRow]) -> None:
        pass


def spec(handler: str, key: str) -> EnvironmentSpec:
    return EnvironmentSpec(
        key=key,
        function_name="bench",
        function_version="$LATEST",
        function_arn="arn:aws:lambda:us-east-1:000000000000:function:bench",
        handler=handler,
        runtime=f"python{sys.version_info[0]}.{sys.version_info[1]}",
        interpreter=sys.executable,
        code_dir=CODE,
    )


def request(s: EnvironmentSpec, payload: bytes = b"{}") -> InvocationRequest:
    return InvocationRequest(
        request_id=str(uuid.uuid4()), payload=payload, invoked_function_arn=s.function_arn
    )


def pct(samples: list[float], p: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def cold(pool: SandboxPool, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        s = spec("fn.first_line", uuid.uuid4().hex)
        started = time.time()
        result = await pool.invoke(s, request(s))
        body = json.loads(result.payload)
        samples.append(body["handler"] - started - (body["import_end"] - body["import_start"]))
        pool.retire("bench", key=s.key)
    return [x * 1000 for x in samples]


async def warm(pool: SandboxPool, n: int) -> list[float]:
    s = spec("fn.noop", "warm")
    req = request(s)
    for _ in range(200):
        await pool.invoke(s, req)
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        await pool.invoke(s, req)
        samples.append((time.perf_counter() - t0) * 1e6)
    return samples


async def main(n_cold: int, n_warm: int) -> None:
    # As the server runs them: boto3 importable (not imported) through the runtime packages.
    pool = SandboxPool(
        NullSink(), packages=RuntimePackages(default_cache_dir() / "runtime-packages")
    )
    await pool.start()
    try:
        c = await cold(pool, n_cold)
        w = await warm(pool, n_warm)
    finally:
        await pool.stop()
    for name, unit, xs in (("cold start", "ms", c), ("warm round trip", "us", w)):
        log.info(
            "%s (%s): p50 %.2f  p99 %.2f  mean %.2f",
            name,
            unit,
            pct(xs, 0.5),
            pct(xs, 0.99),
            statistics.mean(xs),
        )


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    parser = argparse.ArgumentParser()
    parser.add_argument("--cold", type=int, default=200)
    parser.add_argument("--warm", type=int, default=20000)
    args = parser.parse_args()
    uvloop.run(main(args.cold, args.warm))
