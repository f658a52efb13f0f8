#!/usr/bin/env python3
"""Time from starting the server to the first successful invoke of a local function with one
requirement, with the build cache cold and warm (run by hand).

    PYTHONPATH=src python bench/build_first_invoke.py [--rounds 3] [--pypi PACKAGE]

Each round starts `lambdalite serve` on a new data dir, creates the function from a local
directory (its requirements.txt installed by the builder) and invokes it until it answers:

  all cold      a new cache dir: runtime packages (boto3) copied, the requirement installed
  build cold    runtime packages cached; the build cache (and pip's cache) emptied
  warm          everything cached: the build is a lookup

The requirement is a wheel made here (pip reads no index) unless --pypi names a package
to fetch from PyPI (then the "build cold" row also empties pip's download cache).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lambdalite.testing import ROLE, start_server, stop_server
from lambdalite.testing.wheels import make_wheel, offline_pip_env

RUNTIME = f"python{sys.version_info[0]}.{sys.version_info[1]}"


def one_round(tmp: Path, cache: Path, code: Path, env: dict[str, str]) -> float:
    data = Path(tempfile.mkdtemp(dir=tmp))
    started = time.perf_counter()
    server = start_server(data, "--no-example", env={**env, "LAMBDALITE_CACHE_DIR": str(cache)})
    try:
        lam = server.client("lambda")
        lam.create_function(
            FunctionName="bench",
            Runtime=RUNTIME,
            Role=ROLE,
            Handler="app.handler",
            Code={"S3Bucket": "lambdalite-local", "S3Key": str(code)},
        )
        while True:
            try:
                response = lam.invoke(FunctionName="bench", Payload=b"{}")
            except lam.exceptions.ResourceConflictException:
                continue  # still Pending
            body = json.loads(response["Payload"].read())
            if "FunctionError" not in response:
                assert body, body
                return time.perf_counter() - started
    finally:
        stop_server(server)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pypi", help="a real package to install from PyPI instead")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-build-"))
    try:
        code = tmp / "fn"
        code.mkdir()
        env = dict(os.environ)
        if args.pypi:
            module = args.pypi.replace("-", "_")
            (code / "requirements.txt").write_text(f"{args.pypi}\n")
        else:
            module = "benchdep"
            make_wheel(tmp / "wheels", module, "1.0", "OK = True\n")
            (code / "requirements.txt").write_text(f"{module}==1.0\n")
            env.update(offline_pip_env(tmp / "wheels"))
        (code / "app.py").write_text(
            f"import {module}\ndef handler(event, context):\n    return {module}.__name__\n"
        )
        rows: dict[str, list[float]] = {"all cold": [], "build cold": [], "warm": []}
        for _ in range(args.rounds):
            cache = tmp / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            rows["all cold"].append(one_round(tmp, cache, code, env))
            shutil.rmtree(cache / "builds")
            shutil.rmtree(cache / "pip", ignore_errors=True)
            rows["build cold"].append(one_round(tmp, cache, code, env))
            rows["warm"].append(one_round(tmp, cache, code, env))
        for name, times in rows.items():
            print(
                f"{name:<11} median {statistics.median(times):.2f} s  "
                f"(min {min(times):.2f}, max {max(times):.2f}, {len(times)} rounds)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
