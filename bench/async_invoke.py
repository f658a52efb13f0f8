"""Asynchronous invoke, by hand: accept rate and end-to-end throughput of Event invokes,
p50 accept latency next to the synchronous invoke's, and the same no-op work on Celery and
Dramatiq over a local Redis for comparison.

    python bench/async_invoke.py [--events 24000] [--clients 8] [--rounds 1]

Every system first runs a quarter of the events (at least 20 per client), untimed and to
completion, so the timed run measures the steady state: the peers' workers are started and
lambdalite's environments have scaled out to its consumer's concurrency.

Celery, Dramatiq and redis-server are optional (`apt-get install -y redis-server`,
`pip install celery 'dramatiq[redis]'`); the script says so and skips them when missing.
Their tasks INCR a Redis counter so completion can be counted; lambdalite's handler does
nothing and completion is read from the server's SQLite file.

Durability is alike on both sides by default: lambdalite's accept is a WAL commit without
fsync (synchronous=NORMAL), written to the OS before the 202, so an accepted event survives
`kill -9` of the server, not a power cut. redis-server gets the same with its append-only
file at `appendfsync everysec` (each write reaches the file before the reply, fsync once a
second). `--redis-aof no` runs the peers on a Redis that keeps nothing, as before 2026-12.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from lambdalite.testing import free_port

NOOP = "def handler(event, context):\n    return None\n"


def wait_until(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.01)
    raise SystemExit(f"timed out waiting for {what}")


# ------------------------------------------------------------------------ load generator


def _post_loop(args: tuple[int, str, int, dict[str, str]]) -> list[float]:
    port, path, count, headers = args
    conn = http.client.HTTPConnection("127.0.0.1", port)
    latencies = []
    for i in range(count):
        start = time.perf_counter()
        conn.request("POST", path, body=json.dumps({"i": i}), headers=headers)
        response = conn.getresponse()
        response.read()
        latencies.append(time.perf_counter() - start)
        if response.status >= 300:
            raise RuntimeError(f"HTTP {response.status}")
    conn.close()
    return latencies


class Drive(NamedTuple):
    wall: float  # seconds from the clients' start to the last answer
    p50_ms: float  # median latency of one call
    started: float  # perf_counter when every client was ready and began


def drive(
    clients: int,
    job: Callable[[Any], list[float]],
    args: list[Any],
    prepare: Callable[[Any], None] | None = None,
) -> Drive:
    """Run `job(args[i])` in client process i, all started together once each is forked
    and prepared (imports, connections): only the calls themselves are timed."""
    context = multiprocessing.get_context("fork")
    barrier = context.Barrier(clients + 1)
    results: multiprocessing.Queue[list[float]] = context.Queue()
    workers = [
        context.Process(target=_client, args=(job, arg, prepare, barrier, results))
        for arg in args[:clients]
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    start = time.perf_counter()
    latencies = [results.get() for _ in workers]
    wall = time.perf_counter() - start
    for worker in workers:
        worker.join()
    return Drive(wall, statistics.median(x for r in latencies for x in r) * 1000, start)


def _client(
    job: Callable[[Any], list[float]],
    arg: Any,
    prepare: Callable[[Any], None] | None,
    barrier: Any,
    results: Any,
) -> None:
    if prepare is not None:
        prepare(arg)
    barrier.wait()
    results.put(job(arg))


# ------------------------------------------------------------------------------ lambdalite


def warm_up_events(per_client: int) -> int:
    """Events each client sends, untimed and finished, before the timed run (every system)."""
    return max(20, per_client // 4)


def bench_lambdalite(events: int, clients: int, tmp: Path) -> dict[str, float]:
    port = free_port()
    data = tmp / "lambdalite"
    env = {**os.environ, "LAMBDALITE_PORT": str(port), "LAMBDALITE_DATA_DIR": str(data)}
    log = open(tmp / "lambdalite.log", "wb")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, "-m", "lambdalite.cli.main", "serve", "--no-example"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: _health(port), 30, "lambdalite to start")
        name = _create(port)
        path = f"/2015-03-31/functions/{name}/invocations"
        per = events // clients
        sync_args: list[tuple[int, str, int, dict[str, str]]] = [(port, path, per // 2, {})]
        sync_args *= clients
        drive(clients, _post_loop, sync_args)  # warm environments
        sync_wall, sync_p50, _ = drive(clients, _post_loop, sync_args)
        event_args = [(port, path, per, {"X-Amz-Invocation-Type": "Event"})] * clients
        database = data / "lambdalite.sqlite3"
        # Warm the asynchronous path as the peers' workers are warmed: environments scale
        # out to the consumer's concurrency here, not during the timed run.
        warm = [(port, path, warm_up_events(per), {"X-Amz-Invocation-Type": "Event"})]
        drive(clients, _post_loop, warm * clients)
        warm_total = warm_up_events(per) * clients
        wait_until(lambda: _done(database) >= warm_total, 120, "warm-up events to finish")
        before = _done(database)
        cpu_before = _cpu_s(server.pid)
        accept_wall, accept_p50, start = drive(clients, _post_loop, event_args)
        total = per * clients
        wait_until(lambda: _done(database) - before >= total, 300, "events to finish")
        e2e_wall = time.perf_counter() - start
        # The server's own CPU per event (not its environments'), with the deferred work
        # (the journal's 0.1 s flush) included: on a shared machine it varies less than rates.
        time.sleep(0.3)
        cpu_per_event_us = (_cpu_s(server.pid) - cpu_before) / total * 1e6
        # The accept path alone: with reserved concurrency 0 each event ends at once (no run).
        _lambda(port).put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
        only_wall, only_p50, _ = drive(clients, _post_loop, event_args)
        return {
            "accept-only/s": total / only_wall,
            "accept-only p50 ms": only_p50,
            "sync invoke/s": sync_args[0][2] * clients / sync_wall,
            "sync p50 ms": sync_p50,
            "accept/s": total / accept_wall,
            "accept p50 ms": accept_p50,
            "end-to-end/s": total / e2e_wall,
            "server CPU us/event": cpu_per_event_us,
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


def _cpu_s(pid: int) -> float:
    """User plus system CPU seconds of one process, all its threads (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _health(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
        conn.request("GET", "/_lambdalite/health")
        return conn.getresponse().status == 200
    except OSError:
        return False


def _lambda(port: int) -> Any:
    import boto3

    return boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def _create(port: int) -> str:
    lam = _lambda(port)
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", NOOP)
    lam.create_function(
        FunctionName="noop",
        Runtime="python3.11",
        Role="arn:aws:iam::000000000000:role/x",
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName="noop")
    return "noop"


def _done(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        row = db.execute("SELECT COUNT(*) FROM async_events WHERE state = 'done'").fetchone()
    return int(row[0])


# ----------------------------------------------------------------------- Celery, Dramatiq

TASKS = """
import os, redis
URL = os.environ["BENCH_REDIS"]
counter = redis.Redis.from_url(URL)
try:
    from celery import Celery
    app = Celery("celery_tasks", broker=URL)
    app.conf.update(task_ignore_result=True, worker_prefetch_multiplier=64)
    @app.task
    def noop(i):
        counter.incr("done")
except ImportError:
    pass
try:
    import dramatiq
    from dramatiq.brokers.redis import RedisBroker
    dramatiq.set_broker(RedisBroker(url=URL))
    @dramatiq.actor(max_retries=0)
    def dnoop(i):
        counter.incr("done")
except ImportError:
    pass
"""


def _import_tasks(args: tuple[str, int, str]) -> None:
    sys.path.insert(0, args[2])
    import celery_tasks  # noqa: F401


def _enqueue(args: tuple[str, int, str]) -> list[float]:
    kind, count, tasks_dir = args
    sys.path.insert(0, tasks_dir)
    import celery_tasks

    send = celery_tasks.noop.delay if kind == "celery" else celery_tasks.dnoop.send
    latencies = []
    for i in range(count):
        start = time.perf_counter()
        send(i)
        latencies.append(time.perf_counter() - start)
    return latencies


def bench_peer(kind: str, events: int, clients: int, tmp: Path, url: str) -> dict[str, float]:
    import redis

    tasks_dir = tmp / "tasks"
    tasks_dir.mkdir(exist_ok=True)
    (tasks_dir / "celery_tasks.py").write_text(textwrap.dedent(TASKS))
    env = {**os.environ, "BENCH_REDIS": url, "PYTHONPATH": str(tasks_dir)}
    command = (
        ["celery", "-A", "celery_tasks", "worker", "--loglevel", "WARNING"]
        if kind == "celery"
        else ["dramatiq", "celery_tasks"]
    )
    counter = redis.Redis.from_url(url)
    counter.flushall()
    worker = subprocess.Popen(
        command, env=env, cwd=tasks_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    os.environ["BENCH_REDIS"] = url
    try:
        per = events // clients
        warm = warm_up_events(per)
        drive(clients, _enqueue, [(kind, warm, str(tasks_dir))] * clients)
        wait_until(lambda: int(counter.get("done") or 0) >= warm * clients, 120, f"{kind} worker")
        counter.set("done", 0)
        jobs = [(kind, per, str(tasks_dir))] * clients
        wall, p50, start = drive(clients, _enqueue, jobs, prepare=_import_tasks)
        wait_until(lambda: int(counter.get("done") or 0) >= per * clients, 300, f"{kind} tasks")
        e2e = time.perf_counter() - start
        return {
            "accept/s": per * clients / wall,
            "accept p50 ms": p50,
            "end-to-end/s": per * clients / e2e,
        }
    finally:
        worker.terminate()
        worker.wait(timeout=30)


def peers(
    events: int, clients: int, tmp: Path, aof: str = "everysec"
) -> dict[str, dict[str, float]]:
    results: dict[str, dict[str, float]] = {}
    if shutil.which("redis-server") is None:
        print("redis-server is not installed (apt-get install -y redis-server): no peers")
        return results
    try:
        import redis  # noqa: F401
    except ImportError:
        print("the redis package is missing (pip install redis): no peers")
        return results
    port = free_port()
    durability = ["--appendonly", "no"]
    if aof != "no":
        durability = ["--appendonly", "yes", "--appendfsync", aof, "--dir", str(tmp)]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", *durability],
        stdout=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.3)
        url = f"redis://127.0.0.1:{port}/0"
        for kind, module in (("celery", "celery"), ("dramatiq", "dramatiq")):
            try:
                __import__(module)
            except ImportError:
                print(f"{kind} is not installed (pip install {kind}); skipped")
                continue
            results[kind] = bench_peer(kind, events, clients, tmp, url)
    finally:
        server.terminate()
        server.wait()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=24000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-peers", action="store_true")
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run every system this many times, alternating, and report the median ratio "
        "(the machine's speed drifts from minute to minute: one round is one sample)",
    )
    add_redis_aof(parser)
    args = parser.parse_args()
    print(
        f"{args.events} events, {args.clients} clients, {args.rounds} round(s), "
        f"redis appendfsync {args.redis_aof}"
    )
    ratios: list[float] = []
    for round_ in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory() as tmp_name:
            tmp = Path(tmp_name)
            results = {"lambdalite": bench_lambdalite(args.events, args.clients, tmp)}
            if not args.no_peers:
                results.update(peers(args.events, args.clients, tmp, args.redis_aof))
        print(f"round {round_}")
        for system, figures in results.items():
            print(f"  {system:<11} " + "  ".join(f"{k} {v:,.1f}" for k, v in figures.items()))
        ratio = e2e_ratio(results)
        if ratio is not None:
            ratios.append(ratio[1])
            print(f"  end-to-end: lambdalite / {ratio[0]} (the faster peer) = {ratio[1]:.2f}x")
    if ratios:
        listed = ", ".join(f"{r:.2f}" for r in sorted(ratios))
        print(
            f"end-to-end ratio, median of {len(ratios)}: {statistics.median(ratios):.2f}x "
            f"(target 2x; all: {listed})"
        )


def add_redis_aof(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--redis-aof",
        choices=("everysec", "always", "no"),
        default="everysec",
        help="the peers' Redis append-only file: everysec (default) is as durable as "
        "lambdalite's accept; no keeps nothing",
    )


def e2e_ratio(results: dict[str, dict[str, float]]) -> tuple[str, float] | None:
    """lambdalite's end-to-end rate over the faster peer's, with that peer's name."""
    peer_rates = {k: v["end-to-end/s"] for k, v in results.items() if k != "lambdalite"}
    if not peer_rates:
        return None
    fastest = max(peer_rates, key=peer_rates.__getitem__)
    return fastest, results["lambdalite"]["end-to-end/s"] / peer_rates[fastest]


if __name__ == "__main__":
    main()
