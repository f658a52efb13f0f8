"""SnapStart restore vs full init, same run: a function whose init takes ~300 ms (a
synthetic heavy module generated here: many imports and a big structure).

    PYTHONPATH=src python bench/snapstart.py [rounds]

Prints the cold start's init (on-demand, no SnapStart) and the restore of an environment
forked from the snapshot (fork + after-restore hooks), as the REPORT lines give them.
Goal: restore under 5 ms.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

from lambdalite.logs.store import LogRow
from lambdalite.sandbox.pool import SandboxPool
from lambdalite.sandbox.types import EnvironmentSpec, InvocationRequest

HEAVY = """
import json, decimal, fractions, email.parser, http.client, xml.dom.minidom, sqlite3, csv
import difflib, statistics, unittest, argparse, logging.handlers, asyncio, concurrent.futures
TABLE = {i: [str(j) for j in range(40)] for i in range(6000)}  # init work, ~20 MB of heap
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


async def main(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        code = Path(tmp) / "code"
        code.mkdir()
        (code / "app.py").write_text(HEAVY)
        pool = SandboxPool(Sink(), private_tmp=False)
        await pool.start()
        inits, restores = [], []
        try:
            snap = spec(code, "1", True)
            snap_init = await pool.snapshot(snap)
            for _ in range(rounds):
                cold = spec(code, "$LATEST", False)
                req = InvocationRequest(request_id="r", payload=b"{}", invoked_function_arn="a")
                result = await pool.invoke(cold, req)
                inits.append(result.init_duration_ms or 0.0)
                pool.retire(cold.function_name)
                result = await pool.invoke(snap, req)
                restores.append(result.restore_duration_ms or 0.0)
                pool.retire(snap.function_name)
        finally:
            await pool.stop(0.5)
    print(f"snapshot init (once, at publish): {snap_init:.1f} ms")
    print(f"full init (on-demand cold start): median {statistics.median(inits):.1f} ms")
    print(
        f"SnapStart restore: median {statistics.median(restores):.2f} ms, "
        f"max {max(restores):.2f} ms over {rounds}"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10))
