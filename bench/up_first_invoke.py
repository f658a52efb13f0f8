#!/usr/bin/env python3
"""Time from starting `lambdalite up` to the first successful invoke of a small
SQS-triggered app whose function has a requirements.txt (a wheel made here; pip reads no
index), with the build cache cold and warm (run by hand).

    PYTHONPATH=src python bench/up_first_invoke.py [--rounds 3] [--example order-pipeline]

With --example, the app is one of examples/ (its first function invoked with an empty SQS
batch) instead of the bench's own app with a requirement.

Each round runs `lambdalite up` on a new data dir and notes when the server answers its
health route, when the stack is deployed, and when the function first answers an invoke:

  cold      a new cache dir: runtime packages (boto3) copied, the requirement installed
  warm      everything cached: the build is a lookup
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from lambdalite.testing import Server, free_port
from lambdalite.testing.wheels import make_wheel, offline_pip_env

TEMPLATE = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::SQS::Queue
  OrderFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: python3.12
      Events:
        FromQueue:
          Type: SQS
          Properties:
            Queue: !GetAtt Orders.Arn
"""
APP = "import benchdep\n\ndef handler(event, context):\n    return benchdep.OK\n"


def one_round(
    tmp: Path, app: Path, cache: Path, env: dict[str, str], function: str = "OrderFunction"
) -> tuple[float, ...]:
    data = Path(tempfile.mkdtemp(dir=tmp))
    port = free_port()
    log = data / "up.log"
    environment = {
        **env, "LAMBDALITE_DATA_DIR": str(data / "data"), "LAMBDALITE_CACHE_DIR": str(cache),
        "LAMBDALITE_PORT": str(port), "LAMBDALITE_GATEWAY_PORT": "0",
    }  # fmt: skip
    # The client is made before the clock starts: botocore's set-up is the caller's cost.
    server = Server(None, f"http://127.0.0.1:{port}", data, log)  # type: ignore[arg-type]
    lam = server.client("lambda")
    started = time.perf_counter()
    with open(log, "wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdalite.cli.main", "up", str(app / "template.yaml"),
             "--no-example", "--stack-name", "orders"],
            env=environment, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(process, f"http://127.0.0.1:{port}", data, log)
    marks: list[float] = []
    name = ""
    try:
        with httpx.Client(timeout=5) as http:
            for route in ("/_lambdalite/health", "/_lambdalite/stacks/orders"):
                while True:
                    assert process.poll() is None, log.read_text()
                    try:
                        answer = http.get(server.endpoint + route)
                        if answer.status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.005)
                marks.append(time.perf_counter() - started)
            name = _physical_id(answer.json(), function)
        while True:
            response = lam.invoke(FunctionName=name, Payload=b'{"Records": []}')
            if "FunctionError" not in response and response["Payload"].read() in (
                b"true",  # the bench's own app
                b'{"batchItemFailures": []}',  # an example's SQS consumer
            ):
                marks.append(time.perf_counter() - started)
                return tuple(marks)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _physical_id(stack: dict[str, object], logical_id: str) -> str:
    """The function's name, from the stack route's resources."""
    resources = stack.get("Resources") or stack.get("resources") or []
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and resource.get("LogicalResourceId") == logical_id:
            return str(resource["PhysicalResourceId"])
    raise LookupError(f"{logical_id} not in the stack: {stack}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--example", help="an app of examples/, e.g. order-pipeline")
    parser.add_argument("--function", default="ProcessOrders", help="its function to invoke")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-up-"))
    try:
        app = tmp / "app"
        function = "OrderFunction"
        if args.example:
            examples = Path(__file__).resolve().parent.parent / "examples"
            shutil.copytree(examples / args.example, app, ignore=shutil.ignore_patterns("tests"))
            function = args.function
        else:
            (app / "src").mkdir(parents=True)
            (app / "template.yaml").write_text(TEMPLATE)
            (app / "src" / "app.py").write_text(APP)
            (app / "src" / "requirements.txt").write_text("benchdep==1.0\n")
        make_wheel(tmp / "wheels", "benchdep", "1.0", "OK = True\n")
        env = {**os.environ, **offline_pip_env(tmp / "wheels")}
        rows: dict[str, list[tuple[float, ...]]] = {"cold": [], "warm": []}
        for _ in range(args.rounds):
            cache = tmp / "cache"
            shutil.rmtree(cache, ignore_errors=True)
            rows["cold"].append(one_round(tmp, app, cache, env, function))
            rows["warm"].append(one_round(tmp, app, cache, env, function))
        for name, marks in rows.items():
            health, deployed, invoked = (statistics.median(m[i] for m in marks) for i in range(3))
            print(
                f"{name:<5} first invoke median {invoked:.2f} s "
                f"(min {min(m[2] for m in marks):.2f}, max {max(m[2] for m in marks):.2f}; "
                f"serving at {health:.2f} s, deployed at {deployed:.2f} s; {len(marks)} rounds)"
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
