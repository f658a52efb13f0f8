#!/usr/bin/env python3
"""The live feed at 1,000 events a second (run by hand; tests/acceptance/test_console_feed.py
runs it shorter, with a generous bound).

    python bench/live_feed.py [--seconds 20] [--rate 1000]

`lambdalite serve` with one function that prints LINES lines per invocation; the bench
invokes it often enough for --rate log lines a second, each of which the server publishes
to the feed topic `logs:/aws/lambda/<name>`. Two SSE clients watch that topic from the
start: a fast one (httpx, streaming) that counts messages and events, and a slow one (a raw
socket with a small receive buffer) that never reads until the end. The server's RSS is
sampled from /proc every half second.

What it shows: the server's memory stays flat (the slow client costs a bounded
subscription queue and a full socket, never a growing buffer), the fast client gets every
line in at most four messages a second, and the slow client, once it reads, is told how
many events were dropped for it.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from lambdalite.testing import ROLE, Server, start_server, stop_server, zip_source

LINES = 50  # log lines per invocation (START, END and REPORT come on top)
FUNCTION = "chatty"
WIDTH = 1000  # characters per line: enough that the kernel's socket buffers (4 MiB for
# the server's send side here) cannot hold what a slow client misses in ten seconds
HANDLER = (
    "def handler(event, context):\n"
    "    pad = 'x' * event['width']\n"
    "    for i in range(event['lines']):\n"
    "        print('line', i, 'of request', context.aws_request_id, pad)\n"
    "    return event['lines']\n"
)
SLOW_RCVBUF = 4096  # the slow client's receive buffer: it fills at once


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


@dataclass
class FastClient:
    """Reads the stream as a browser would; keeps arrival times and event counts."""

    arrivals: list[float] = field(default_factory=list)
    events: int = 0
    dropped: int = 0
    ready: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, url: str) -> None:
        try:
            self._read(url)
        except httpx.HTTPError:
            if not self.stop.is_set():  # the server went away during the run
                raise

    def _read(self, url: str) -> None:
        with httpx.Client(timeout=httpx.Timeout(5.0, read=None)) as client:
            with client.stream("GET", url) as response:
                self.ready.set()
                for line in response.iter_lines():
                    if line.startswith("data: "):
                        doc = json.loads(line[6:])
                        self.arrivals.append(time.monotonic())
                        self.events += len(doc["events"])
                        self.dropped = doc["dropped"]
                    if self.stop.is_set():
                        return


def _request(url: httpx.URL) -> bytes:
    target = url.raw_path.decode()
    return f"GET {target} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n\r\n".encode()


def slow_client(url: str) -> socket.socket:
    """Connected and asked for the stream; it reads nothing until `read_dropped`."""
    parsed = httpx.URL(url)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, SLOW_RCVBUF)
    sock.connect((parsed.host, parsed.port or 80))
    sock.sendall(_request(parsed))
    return sock


def read_dropped(sock: socket.socket, deadline_s: float = 10.0) -> int:
    """Read what the server held for the slow client until a message reports drops; the
    largest `dropped` seen."""
    sock.settimeout(1.0)
    buffer = b""
    dropped = 0
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(1 << 20)
        except TimeoutError:
            if dropped:
                break
            continue
        if not chunk:
            break
        buffer += chunk
        *complete, buffer = buffer.split(b"\n\n")
        for block in complete:
            for line in block.split(b"\n"):
                if line.startswith(b"data: "):
                    dropped = max(dropped, int(json.loads(line[6:])["dropped"]))
    return dropped


@dataclass
class Result:
    seconds: float
    lines_printed: int
    rss_kib: list[tuple[float, int]]  # (seconds since start, RSS)
    messages: int
    events: int
    max_per_second: int  # most messages arriving in any one-second window
    mean_interval: float  # seconds between the fast client's messages, on average
    fast_dropped: int
    slow_dropped: int

    @property
    def rate(self) -> float:
        return self.lines_printed / self.seconds

    def growth_kib(self, warmup_s: float) -> int:
        """RSS at the end minus the lowest sample after the warm-up."""
        after = [kib for at, kib in self.rss_kib if at >= warmup_s] or [self.rss_kib[-1][1]]
        return self.rss_kib[-1][1] - min(after)


def _max_per_second(arrivals: list[float]) -> int:
    most, start = 0, 0
    for end, at in enumerate(arrivals):
        while at - arrivals[start] >= 1.0:
            start += 1
        most = max(most, end - start + 1)
    return most


def _mean_interval(arrivals: list[float]) -> float:
    if len(arrivals) < 2:
        return float("inf")
    return (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)


def prepare(tmp: Path) -> Server:
    server = start_server(tmp, "--no-example")
    lam = server.client("lambda")
    lam.create_function(
        FunctionName=FUNCTION, Runtime="python3.11", Role=ROLE, Handler="app.handler",
        Code={"ZipFile": zip_source(HANDLER)}, MemorySize=256,
    )  # fmt: skip
    lam.get_waiter("function_active_v2").wait(
        FunctionName=FUNCTION, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return server


def run(server: Server, seconds: float, rate: int) -> Result:
    """Drive `rate` log lines a second for `seconds` with both clients watching."""
    stream = f"{server.endpoint}/_lambdalite/ui/stream?topic=logs:/aws/lambda/{FUNCTION}"
    invoke = f"/2015-03-31/functions/{FUNCTION}/invocations"
    fast = FastClient()
    reader = threading.Thread(target=fast.run, args=(stream,), daemon=True)
    reader.start()
    fast.ready.wait(10)
    slow = slow_client(stream)
    pid = server.process.pid
    samples: list[tuple[float, int]] = []
    printed = 0
    interval = LINES / rate  # seconds between invocations
    with httpx.Client(base_url=server.endpoint, timeout=30) as client:
        client.post(invoke, json={"lines": 1, "width": 0}).raise_for_status()  # warm it
        printed += 1
        started = time.monotonic()
        next_at, next_sample = started, started
        while (now := time.monotonic()) - started < seconds:
            if now >= next_sample:
                samples.append((now - started, rss_kib(pid)))
                next_sample += 0.5
            if now < next_at:
                time.sleep(min(next_at, next_sample) - now)
                continue
            client.post(invoke, json={"lines": LINES, "width": WIDTH}).raise_for_status()
            printed += LINES
            next_at += interval
        elapsed = time.monotonic() - started
        samples.append((elapsed, rss_kib(pid)))
    # The fast client catches up on what was sent last (at most a few coalesced messages).
    expected = printed + 3 * (printed // LINES + 1)  # START, END, REPORT per invocation
    deadline = time.monotonic() + 5
    while fast.events < expected and time.monotonic() < deadline:
        time.sleep(0.05)
    slow_dropped = read_dropped(slow)
    slow.close()
    fast.stop.set()
    return Result(
        seconds=elapsed,
        lines_printed=printed,
        rss_kib=samples,
        messages=len(fast.arrivals),
        events=fast.events,
        max_per_second=_max_per_second(fast.arrivals),
        mean_interval=_mean_interval(fast.arrivals),
        fast_dropped=fast.dropped,
        slow_dropped=slow_dropped,
    )


def report(result: Result, warmup_s: float) -> str:
    rss = [kib for _, kib in result.rss_kib]
    return "\n".join(
        [
            f"log lines printed   {result.lines_printed} in {result.seconds:.1f} s "
            f"({result.rate:.0f}/s)",
            f"fast client         {result.events} events in {result.messages} messages "
            f"(one every {result.mean_interval:.3f} s, at most {result.max_per_second} "
            f"arriving in any second), dropped {result.fast_dropped}",
            f"slow client         dropped {result.slow_dropped}",
            f"server RSS (MiB)    start {rss[0] / 1024:.1f}, median "
            f"{statistics.median(rss) / 1024:.1f}, max {max(rss) / 1024:.1f}, end "
            f"{rss[-1] / 1024:.1f}; growth after {warmup_s:.0f} s warm-up "
            f"{result.growth_kib(warmup_s) / 1024:.1f}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--warmup", type=float, default=3.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = prepare(Path(tmp))
        try:
            print(report(run(server, args.seconds, args.rate), args.warmup))
        finally:
            stop_server(server)


if __name__ == "__main__":
    main()
