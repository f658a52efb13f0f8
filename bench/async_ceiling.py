#!/usr/bin/env python3
"""How high can durable Event-invoke throughput go on this machine, whatever lambdalite does?
(run by hand; the figures bound bench/async_invoke.py's end-to-end rate)

    python bench/async_ceiling.py [--events 16000] [--clients 8] [--rounds 2] [--no-peers]

Same clients, same events and the same completion count as bench/async_invoke.py, against
servers that do only the minimum a durable asynchronous invoke needs:

  raw durable + trivial worker   raw asyncio HTTP server (the floor's parser); per event one
                                 group-committed INSERT into SQLite (WAL, synchronous=NORMAL,
                                 the durability lambdalite promises) before the 202, then a
                                 round trip to one of 8 worker processes that answer at
                                 once, then one group-committed UPDATE marking it done
  raw durable + runtime          the same, the workers running lambdalite's real runtime loop
  protocol durable + runtime     the same events, workers and SQL, served by uvicorn with
                                 lambdalite's own protocol (api/server_protocol.py: the
                                 direct Invoke path `lambdalite serve` answers through)
  lambdalite                     `lambdalite serve`, as bench/async_invoke.py runs it

and, on a local redis-server, Dramatiq and Celery as bench/async_invoke.py runs them. These
servers resolve nothing, keep no journal, retry nothing, enforce no timeout and write no
logs: each row is an upper bound for a server that does, on the same two CPUs as the clients.
The protocol row bounds any server on lambdalite's HTTP stack; the raw rows, one that also
parses HTTP by hand (the raw parser knows no chunked bodies, no 100-continue, no limits).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.async_invoke import (  # noqa: E402
    _post_loop,
    add_redis_aof,
    bench_lambdalite,
    drive,
    peers,
    wait_until,
)
from bench.ceiling import (  # noqa: E402
    NOOP,
    RawHttp,
    Workers,
    run_uvicorn,
    wait_listening,
)
from lambdalite.api.app import LambdaliteApp  # noqa: E402
from lambdalite.api.http import Headers, Request  # noqa: E402
from lambdalite.store.sqlite.groupcommit import GroupCommitter  # noqa: E402
from lambdalite.testing import free_port  # noqa: E402

PATH = "/2015-03-31/functions/noop/invocations"
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, request_id TEXT NOT NULL UNIQUE, payload BLOB NOT NULL,
    done INTEGER NOT NULL DEFAULT 0);
"""


class DurableEvents:
    """The whole of a durable event here: a group-committed INSERT before the 202, a round
    trip to a worker, a group-committed UPDATE marking it done."""

    def __init__(self, database: str, workers: Workers) -> None:
        db = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        self.committer = GroupCommitter(lambda: db)
        self.workers = workers
        self.ids = itertools.count()

    async def accept(self, body: bytes) -> tuple[int, bytes]:
        """(rowid, request id) once the event is committed."""
        request_id = b"%016x-%08d" % (time.time_ns(), next(self.ids))
        insert = ("INSERT INTO events (request_id, payload) VALUES (?,?)", (request_id, body))
        return await self.committer.submit((insert,)), request_id

    async def run(self, rowid: int, body: bytes, request_id: bytes) -> None:
        await self.workers.call(body, request_id)
        done = ("UPDATE events SET done = 1, payload = X'' WHERE id = ?", (rowid,))
        await self.committer.submit((done,))


class DurableAsyncHttp(RawHttp):
    """The raw server's parser; each body is accepted durably, then run, then marked done."""

    events: DurableEvents

    async def answer(self, body: bytes) -> None:
        rowid, request_id = await self.events.accept(body)
        self.transport.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")
        await self.events.run(rowid, body, request_id)


class DurableInvokeApp(LambdaliteApp):
    """Reached by LambdaliteHttpProtocol's direct Invoke path: 202 once committed, the run
    in a task of its own (as lambdalite's queue does); no platform behind it."""

    def __init__(self, code_dir: str, database: str) -> None:
        self.code_dir = code_dir
        self.database = database
        self.runs: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            raise NotImplementedError("this bench server answers Invoke only")
        while (await receive())["type"] == "lifespan.startup":
            workers = await Workers.of_kind("runtime", self.code_dir)
            self.events = DurableEvents(self.database, workers)
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})

    async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
        rowid, request_id = await self.events.accept(request.body)
        run = asyncio.get_running_loop().create_task(
            self.events.run(rowid, request.body, request_id)
        )
        self.runs.add(run)
        run.add_done_callback(self.runs.discard)
        return 202, [(b"x-amzn-requestid", request_id)], b""


def serve_durable(server: str, worker: str, code_dir: str, database: str, port: int) -> None:
    """`server` "raw" (the raw parser) or "protocol" (uvicorn with lambdalite's protocol)."""
    if server == "protocol":
        run_uvicorn(DurableInvokeApp(code_dir, database), port, direct=True)
        return

    async def main() -> None:
        workers = await Workers.of_kind(worker, code_dir)
        DurableAsyncHttp.events = DurableEvents(database, workers)
        loop = asyncio.get_running_loop()
        server = await loop.create_server(DurableAsyncHttp, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


def _done(database: str) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as db:
        return int(db.execute("SELECT COUNT(*) FROM events WHERE done = 1").fetchone()[0])


def bench_durable(server: str, worker: str, events: int, clients: int, tmp: Path) -> float:
    """End-to-end events/s: from the first POST to the last event marked done."""
    code_dir = tmp / f"code-{server}-{worker}"
    code_dir.mkdir()
    (code_dir / "app.py").write_text(NOOP)
    database = str(tmp / f"{server}-{worker}.sqlite3")
    port = free_port()
    spawn = multiprocessing.get_context("spawn")
    process = spawn.Process(
        target=serve_durable, args=(server, worker, str(code_dir), database, port)
    )
    process.start()
    try:
        wait_listening(port)
        headers = {"X-Amz-Invocation-Type": "Event"}
        drive(clients, _post_loop, [(port, PATH, 200, headers)] * clients)  # warm up
        wait_until(lambda: _done(database) >= 200 * clients, 60, "warm-up events")
        per = events // clients
        before = _done(database)
        start = drive(clients, _post_loop, [(port, PATH, per, headers)] * clients).started
        wait_until(lambda: _done(database) - before >= per * clients, 300, "events")
        return per * clients / (time.perf_counter() - start)
    finally:
        process.kill()
        process.join()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=16000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--no-peers", action="store_true")
    add_redis_aof(parser)
    args = parser.parse_args()
    rows: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        for round_ in range(args.rounds):
            tmp = Path(tmp_name) / f"round{round_}"
            tmp.mkdir()
            for server, worker in (("raw", "trivial"), ("raw", "runtime"), ("protocol", "runtime")):
                rate = bench_durable(server, worker, args.events, args.clients, tmp)
                rows.setdefault(f"{server} durable + {worker} worker", []).append(rate)
            figures = bench_lambdalite(args.events, args.clients, tmp)
            rows.setdefault("lambdalite", []).append(figures["end-to-end/s"])
            if not args.no_peers:
                for name, peer in peers(args.events, args.clients, tmp, args.redis_aof).items():
                    rows.setdefault(name, []).append(peer["end-to-end/s"])
    print(f"{args.events} events, {args.clients} clients, end-to-end events/s per round")
    for label, rates in rows.items():
        print(f"{label:34} " + "  ".join(f"{r:7,.0f}" for r in rates))


if __name__ == "__main__":
    main()
