#!/usr/bin/env python3
"""Warm gateway request latency against the raw asyncio echo floor (run by hand).

    python bench/gateway.py [--floor ../shared/bench/floor.py]

Starts `lambdalite serve` on free ports with a fresh data dir, deploys a function that
answers a proxy response, declares it behind an HTTP API (payload 2.0) and a REST API
(1.0), creates its function URL, then prints single-client keep-alive p50/p99 of each
next to the echo floor's, measured by the shared floor script in alternating rounds, and
the warm Invoke API for reference (the goal: a gateway request at most 2x the floor).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import boto3
import httpx

from lambdalite.testing import ROLE, start_server, stop_server, zip_source

HANDLER = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n"


def load_floor(path: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("floor", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main() -> None:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    floor = load_floor(args.floor)

    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), "--no-example")
        try:
            lam = boto3.client(
                "lambda", endpoint_url=server.endpoint, region_name="us-east-1",
                aws_access_key_id="x", aws_secret_access_key="x",
            )  # fmt: skip
            lam.create_function(
                FunctionName="web", Runtime="python3.11", Role=ROLE, Handler="app.handler",
                Code={"ZipFile": zip_source(HANDLER)},
            )  # fmt: skip
            lam.get_waiter("function_active_v2").wait(FunctionName="web", WaiterConfig={"Delay": 1})
            urls: dict[str, str] = {}
            for api_id, kind in (("benchhttp0", "HTTP"), ("benchrest0", "REST")):
                doc = {"apiId": api_id, "kind": kind, "name": kind, "routes": [
                    {"method": "ANY", "path": "/{proxy+}", "functionArn": "web"}]}  # fmt: skip
                put = httpx.put(f"{server.endpoint}/_lambdalite/gateway/apis", json=doc)
                urls[f"{kind} API"] = put.raise_for_status().json()["url"] + "/items/1"
            function_url = lam.create_function_url_config(FunctionName="web", AuthType="NONE")
            urls["function URL"] = function_url["FunctionUrl"] + "items/1"
            invoke = f"{server.endpoint}/2015-03-31/functions/web/invocations"

            echo_port = floor.start_echo()
            samples: dict[str, list[float]] = {name: [] for name in [*urls, "Invoke API"]}
            echo: list[float] = []
            for _ in range(args.rounds):
                echo += floor.sample("127.0.0.1", echo_port, "/echo", b"{}", args.n)
                for name, url in [*urls.items(), ("Invoke API", invoke)]:
                    parsed = urlparse(url)
                    assert parsed.hostname and parsed.port
                    samples[name] += floor.sample(
                        parsed.hostname, parsed.port, parsed.path, b"{}", args.n
                    )
            f50 = statistics.median(echo) * 1e6
            print(f"{'echo floor':14} p50 {f50:6.0f} us  p99 {floor.pct(echo, 0.99):6.0f} us")
            for name, values in samples.items():
                p50 = statistics.median(values) * 1e6
                p99 = floor.pct(values, 0.99)
                print(f"{name:14} p50 {p50:6.0f} us  p99 {p99:6.0f} us  ratio {p50 / f50:.2f}")
        finally:
            stop_server(server)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
