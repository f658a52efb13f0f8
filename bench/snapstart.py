"""SnapStart restore vs full init, same run: a function whose init takes ~300 ms (a
synthetic heavy module generated here: many imports and a big structure).

    PYTHONPATH=src python bench/snapstart.py [rounds]

Prints the cold start's init (on-demand, no SnapStart) and the restore of an environment
forked from the snapshot (fork + after-restore hooks), as the REPORT lines give them, with
and without a spare restore (sandbox/spares.py), and what the caller of that first
invocation waited for it (wall time of the invoke, minus the handler's Duration).
Goal: restore under 5 ms. HEAP=60000 in the environment makes the snapshot's heap ~200 MB.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from lambdalite.logs.store import LogRow
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest

HEAVY = """
import json, decimal, fractions, email.parser, http.client, xml.dom.minidom, sqlite3, csv
import difflib, statistics, unittest, argparse, logging.handlers, asyncio, concurrent.futures
TABLE = {i: [str(j) for j in range(40)] for i in range(HEAP)}  # init work, ~20 MB of heap
def handler(event, context):
    return len(TABLE)
"""


class Sink:
    def emit(self, rows: list[LogRow]) -> None:
        pass


def spec(code: Path, version: str, snap: bool) -> EnvironmentSpec:
    name = "bench-" + uuid.uuid4().hex[:6]
    return EnvironmentSpec(
        key=name, function_name=name, function_version=version,
        function_arn=f"arn:aws:lambda:us-east-1:000000000000:function:{name}",
        handler="app.handler", runtime=f"python3.{sys.version_info[1]}",
        interpreter=sys.executable, code_dir=code, snap_start=snap,
    )  # fmt: skip


REQ = InvocationRequest(request_id="r", payload=b"{}", invoked_function_arn="a")


async def full_inits(code: Path, rounds: int) -> tuple[float, list[float]]:
    """The snapshot's init and on-demand cold starts' inits, without SnapStart."""
    pool = SandboxPool(Sink(), private_tmp=False, snapstart_spares=0)
    await pool.start()
    inits = []
    try:
        snap_init = await pool.snapshot(spec(code, "1", True))
        for _ in range(rounds):
            cold = spec(code, "$LATEST", False)
            inits.append((await pool.invoke(cold, REQ)).init_duration_ms or 0.0)
            pool.retire(cold.function_name)
    finally:
        await pool.stop(0.5)
    return snap_init, inits


async def restores(code: Path, rounds: int, spares: int) -> tuple[list[float], list[float]]:
    """Each round a new environment: REPORT's Restore Duration, and what its caller waited
    (the invoke's wall time minus the handler's Duration)."""
    pool = SandboxPool(Sink(), private_tmp=False, snapstart_spares=spares)
    await pool.start()
    reported, waited = [], []
    try:
        snap = spec(code, "1", True)
        await pool.snapshot(snap)
        for _ in range(rounds):
            await pool.settle()  # the spare (if any) is restored by now
            started = time.perf_counter()
            result = await pool.invoke(snap, REQ)
            waited.append((time.perf_counter() - started) * 1000 - result.duration_ms)
            reported.append(result.restore_duration_ms or 0.0)
            pool.retire(snap.function_name)
    finally:
        await pool.stop(0.5)
    return reported, waited


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        (code / "app.py").write_text(HEAVY.replace("HEAP", os.environ.get("HEAP", "6000")))
        snap_init, inits = await full_inits(code, rounds)
        print(f"snapshot init (once, at publish): {snap_init:.1f} ms")
        print(f"full init (on-demand cold start): median {statistics.median(inits):.1f} ms")
        for spares in (0, 1):
            reported, waited = await restores(code, rounds, spares)
            print(
                f"spares={spares}: Restore Duration median {statistics.median(reported):.2f} ms "
                f"(max {max(reported):.2f}); its caller waited median "
                f"{statistics.median(waited):.2f} ms (max {max(waited):.2f}) over {rounds}"
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
