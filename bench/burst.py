"""How many execution environments, and how much memory, 2,000 Event invokes cost (by hand).

    python bench/burst.py [--events 2000] [--senders 8] [--drainers 3] [--slow-senders 2]
                          [--only burst|slow]

For each scenario a fresh `lambdalite serve` (free port, temporary data dir) gets a no-op
python function whose EventInvokeConfig sends every success to an SQS queue (OnSuccess),
and `--drainers` client processes empty that queue with ReceiveMessage/DeleteMessageBatch
while the events are sent:

- burst: `--senders` client processes post the events over raw HTTP keep-alive
  (http.client), as fast as the server accepts them;
- slow: the same events through boto3's Invoke(InvocationType=Event) from `--slow-senders`
  threads.

A sampler walks the server's process tree with psutil every 20 ms and reports the peak
number of environment processes (descendants other than fork servers) and the peak total
RSS of the server and all its descendants (shared pages count once per process, as `ps`
shows them), with the seconds until every event was sent and until every OnSuccess record
was received.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.async_invoke import wait_until  # noqa: E402
from lambdalite.testing import free_port  # noqa: E402

NOOP = "def handler(event, context):\n    return None\n"
FUNCTION = "noop"
PATH = f"/2015-03-31/functions/{FUNCTION}/invocations"


@dataclass
class Peak:
    environments: int = 0
    rss_bytes: int = 0


@dataclass
class Result:
    scenario: str
    peak: Peak
    sent_s: float
    delivered_s: float


def _client(service: str, port: int) -> Any:
    return boto3.client(
        service,
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _health(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/_lambdalite/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _deploy(port: int) -> str:
    """The no-op function with an OnSuccess queue; returns the queue's URL."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", NOOP)
    lam = _client("lambda", port)
    lam.create_function(
        FunctionName=FUNCTION,
        Runtime="python3.11",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=FUNCTION)
    sqs = _client("sqs", port)
    url: str = sqs.create_queue(QueueName="done")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    lam.put_function_event_invoke_config(
        FunctionName=FUNCTION, DestinationConfig={"OnSuccess": {"Destination": arn["QueueArn"]}}
    )
    return url


# -------------------------------------------------------------------------------- sampler


class Sampler(threading.Thread):
    """Peak environments and peak RSS of a process tree, sampled every `every_s`."""

    def __init__(self, pid: int, every_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.root = psutil.Process(pid)
        self.every_s = every_s
        self.peak = Peak()
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.sample()
            self._done.wait(self.every_s)

    def sample(self) -> None:
        environments, rss = 0, 0
        try:
            tree = [self.root, *self.root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return
        for proc in tree:
            try:
                rss += int(proc.memory_info().rss)
                if proc is not self.root and not self._is_forkserver(proc):
                    environments += 1
            except psutil.Error:  # exited between the listing and the read
                continue
        self.peak.environments = max(self.peak.environments, environments)
        self.peak.rss_bytes = max(self.peak.rss_bytes, rss)

    def _is_forkserver(self, proc: psutil.Process) -> bool:
        """The server's own child running forkserver.py (environments forked from it keep
        its command line, so the parent tells them apart)."""
        if proc.ppid() != self.root.pid:
            return False
        return any(arg.endswith("forkserver.py") for arg in proc.cmdline())

    def finish(self) -> Peak:
        self._done.set()
        self.join()
        self.sample()
        return self.peak


# -------------------------------------------------------------------------------- clients


def _post_events(port: int, count: int, start: Any) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"X-Amz-Invocation-Type": "Event"}
    start.wait()
    for i in range(count):
        conn.request("POST", PATH, body=json.dumps({"i": i}), headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 202:
            raise RuntimeError(f"HTTP {response.status}")
    conn.close()


def _drain(port: int, url: str, total: int, received: Any) -> None:
    sqs = _client("sqs", port)
    while received.value < total:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
            "Messages", []
        )
        if not messages:
            continue
        entries = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(messages)
        ]
        sqs.delete_message_batch(QueueUrl=url, Entries=entries)
        with received.get_lock():
            received.value += len(messages)


def _send_burst(port: int, events: int, senders: int) -> None:
    context = multiprocessing.get_context("fork")
    start = context.Event()
    per = [events // senders + (1 if i < events % senders else 0) for i in range(senders)]
    procs = [context.Process(target=_post_events, args=(port, n, start)) for n in per]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"a sender failed (exit {proc.exitcode})")


def _send_slow(port: int, events: int, senders: int) -> None:
    lam = _client("lambda", port)  # boto3 clients are thread-safe; sessions are not

    def send(i: int) -> None:
        lam.invoke(FunctionName=FUNCTION, InvocationType="Event", Payload=json.dumps({"i": i}))

    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, range(events)))


# ------------------------------------------------------------------------------- scenario


def run(scenario: str, args: argparse.Namespace, tmp: Path) -> Result:
    port = free_port()
    env = {**os.environ, "LAMBDALITE_PORT": str(port), "LAMBDALITE_DATA_DIR": str(tmp)}
    log = open(tmp / "server.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "lambdalite.cli.main", "serve", "--no-example"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _health(port), 30, "lambdalite to start")
        url = _deploy(port)
        context = multiprocessing.get_context("fork")
        received = context.Value("i", 0)
        drainers = [
            context.Process(target=_drain, args=(port, url, args.events, received))
            for _ in range(args.drainers)
        ]
        for drainer in drainers:
            drainer.start()
        sampler = Sampler(server.pid)
        sampler.start()
        began = time.perf_counter()
        if scenario == "burst":
            _send_burst(port, args.events, args.senders)
        else:
            _send_slow(port, args.events, args.slow_senders)
        sent = time.perf_counter() - began
        wait_until(lambda: received.value >= args.events, 300, "every OnSuccess record")
        delivered = time.perf_counter() - began
        peak = sampler.finish()
        for drainer in drainers:
            drainer.join(timeout=5)
        return Result(scenario, peak, sent, delivered)
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--senders", type=int, default=8, help="raw HTTP client processes")
    parser.add_argument("--drainers", type=int, default=3, help="OnSuccess queue readers")
    parser.add_argument("--slow-senders", type=int, default=2, help="boto3 threads")
    parser.add_argument("--only", choices=("burst", "slow"))
    args = parser.parse_args()
    scenarios = [args.only] if args.only else ["burst", "slow"]
    for scenario in scenarios:
        with tempfile.TemporaryDirectory(prefix="lambdalite-burst-") as tmp:
            r = run(scenario, args, Path(tmp))
        print(
            f"{r.scenario:<5}  {args.events} events  peak environments {r.peak.environments:>3}  "
            f"peak RSS {r.peak.rss_bytes / 2**20:,.0f} MB  sent in {r.sent_s:.2f} s  "
            f"all delivered in {r.delivered_s:.2f} s",
            flush=True,
        )


if __name__ == "__main__":
    main()
