#!/usr/bin/env python3
"""How high can 8-client invoke throughput go on this machine, whatever lambdalite does?
(run by hand; the figures bound bench/invoke.py's throughput ratio)

    python bench/ceiling.py [--seconds 4] [--rounds 2]

Measures, against the same raw asyncio echo floor as bench/invoke.py and with the same
client code, servers that do nothing but pass each request body to one of 8 worker
processes over a pair of pipes and send back the answer:

  raw + trivial worker    raw asyncio HTTP server; the worker is `recv` then `send`
  raw + runtime           same server; the worker runs lambdalite's real runtime loop
                          (runtime/bootstrap.py: frames, context, JSON, the handler)
  uvicorn + runtime       uvicorn (httptools, uvloop) with a bare ASGI app; same workers
  lambdalite protocol     uvicorn with lambdalite's own protocol (api/server_protocol.py),
    + runtime             which answers Invoke without an ASGI cycle; same workers

None of them resolves functions, counts concurrency, enforces timeouts, writes logs or
generates request ids: each row is an upper bound for a server that does.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import multiprocessing
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import uvicorn
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.invoke import throughput  # noqa: E402
from lambdalite.api.app import LambdaliteApp  # noqa: E402
from lambdalite.api.http import Headers, Request  # noqa: E402
from lambdalite.api.server_protocol import LambdaliteHttpProtocol  # noqa: E402
from lambdalite.runtime import bootstrap, framing  # noqa: E402
from lambdalite.testing import free_port

NOOP = "def handler(event, context):\n    return None\n"
WORKERS = 8
PATH = "/2015-03-31/functions/noop/invocations"


# ------------------------------------------------------------------------------- workers


def trivial_worker(sock: framing.Channel) -> None:
    while True:
        data = sock.recv(65536)
        if not data:
            return
        kind, meta_len, payload_len = framing.HEADER.unpack_from(data)
        sock.sendall(framing.HEADER.pack(framing.RESULT, 0, 4) + b"null")


def runtime_worker(code_dir: str) -> Callable[[framing.Channel], None]:
    def run(sock: framing.Channel) -> None:
        sys.path.insert(0, code_dir)
        os.environ["AWS_LAMBDA_FUNCTION_NAME"] = "noop"
        bootstrap.run({"handler": "app.handler"}, sock)

    return run


class Worker(asyncio.Protocol):
    """The server's end of one worker's pipes (as lambdalite's): one frame out, one back."""

    def __init__(self) -> None:
        self.transport: asyncio.WriteTransport | None = None
        self.waiter: asyncio.Future[bytes] | None = None
        self.buffer = bytearray()

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        header = framing.HEADER.size
        if len(self.buffer) < header:
            return
        _, meta_len, payload_len = framing.HEADER.unpack_from(self.buffer)
        end = header + meta_len + payload_len
        if len(self.buffer) >= end and self.waiter is not None:
            payload = bytes(self.buffer[header + meta_len : end])
            del self.buffer[:end]
            waiter, self.waiter = self.waiter, None
            waiter.set_result(payload)


class Workers:
    """WORKERS worker processes; a caller beyond them waits for one to come free."""

    def __init__(self) -> None:
        self.idle: asyncio.Queue[Worker] = asyncio.Queue()

    async def start(self, body: Callable[[framing.Channel], None], ready_frame: bool) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(WORKERS):
            request_r, request_w = os.pipe()
            answer_r, answer_w = os.pipe()
            if os.fork() == 0:
                os.close(request_w)
                os.close(answer_r)
                body(framing.Channel(request_r, answer_w))
                os._exit(0)
            os.close(request_r)
            os.close(answer_w)
            worker = Worker()
            answers = os.fdopen(answer_r, "rb", buffering=0)
            await loop.connect_read_pipe(lambda w=worker: w, answers)  # type: ignore[misc]
            requests = os.fdopen(request_w, "wb", buffering=0)
            worker.transport, _ = await loop.connect_write_pipe(asyncio.BaseProtocol, requests)
            if ready_frame:
                worker.waiter = loop.create_future()
                await worker.waiter
            self.idle.put_nowait(worker)

    @classmethod
    async def of_kind(cls, worker: str, code_dir: str) -> Workers:
        """Started workers: "trivial" (recv then send) or the runtime loop on `code_dir`."""
        workers = cls()
        if worker == "trivial":
            await workers.start(trivial_worker, ready_frame=False)
        else:
            await workers.start(runtime_worker(code_dir), ready_frame=True)
        return workers

    async def call(self, body: bytes, request_id: bytes = b"r") -> bytes:
        worker = await self.idle.get()
        worker.waiter = asyncio.get_running_loop().create_future()
        deadline = int(time.time() * 1000) + 3000
        meta = b'{"id":"%s","arn":"arn:aws:lambda:us-east-1:0:function:noop","deadline_ms":%d}' % (
            request_id,
            deadline,
        )
        assert worker.transport is not None
        worker.transport.write(
            framing.HEADER.pack(framing.INVOKE, len(meta), len(body)) + meta + body
        )
        try:
            return await worker.waiter
        finally:
            self.idle.put_nowait(worker)


# ------------------------------------------------------------------------------- servers


class RawHttp(asyncio.Protocol):
    workers: Workers

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\r\n\r\n" in self.buffer:
            head, rest = self.buffer.split(b"\r\n\r\n", 1)
            length = 0
            for line in head.split(b"\r\n")[1:]:
                key, _, value = line.partition(b":")
                if key.strip().lower() == b"content-length":
                    length = int(value)
            if len(rest) < length:
                return
            body, self.buffer = rest[:length], rest[length:]
            asyncio.ensure_future(self.answer(body))

    async def answer(self, body: bytes) -> None:
        out = await self.workers.call(body)
        self.transport.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
            % (len(out), out)
        )


class BareApp:
    def __init__(self, worker_body: Callable[[framing.Channel], None]) -> None:
        self.worker_body = worker_body
        self.workers = Workers()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] == "lifespan.startup":
                await self.workers.start(self.worker_body, ready_frame=True)
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = (await receive())["body"]
        out = await self.workers.call(body)
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(out))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": out})


class BareInvokeApp(LambdaliteApp):
    """Reached by LambdaliteHttpProtocol's direct Invoke path; no platform behind it."""

    def __init__(self, worker_body: Callable[[framing.Channel], None]) -> None:
        self.bare = BareApp(worker_body)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.bare(scope, receive, send)

    async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
        out = await self.bare.workers.call(request.body)
        return 200, [(b"content-type", b"application/json")], out


def serve_raw(worker: str, code_dir: str, port: int) -> None:
    async def main() -> None:
        RawHttp.workers = await Workers.of_kind(worker, code_dir)
        server = await asyncio.get_running_loop().create_server(RawHttp, "127.0.0.1", port)
        await server.serve_forever()

    uvloop.run(main())


def serve_uvicorn(code_dir: str, direct: bool, port: int) -> None:
    app = (BareInvokeApp if direct else BareApp)(runtime_worker(code_dir))
    run_uvicorn(app, port, direct)


def run_uvicorn(app: Any, port: int, direct: bool) -> None:
    """uvicorn on uvloop, quiet; `direct`: with lambdalite's protocol (api/server_protocol.py)
    instead of uvicorn's own httptools one."""
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http=LambdaliteHttpProtocol if direct else "httptools",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


def wait_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nothing listening on {port}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    here = Path(__file__).resolve().parent
    parser.add_argument("--floor", default=str(here.parent.parent / "shared/bench/floor.py"))
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    spec = importlib.util.spec_from_file_location("floor", args.floor)
    assert spec and spec.loader
    floor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floor)

    with tempfile.TemporaryDirectory() as code_dir:
        Path(code_dir, "app.py").write_text(NOOP)
        echo_port = floor.start_echo()
        rows: dict[str, tuple[Callable[..., None], tuple[Any, ...]]] = {
            "raw + trivial worker": (serve_raw, ("trivial", code_dir)),
            "raw + runtime": (serve_raw, ("runtime", code_dir)),
            "uvicorn + runtime": (serve_uvicorn, (code_dir, False)),
            "lambdalite protocol + runtime": (serve_uvicorn, (code_dir, True)),
        }
        for label, (target, target_args) in rows.items():
            port = free_port()
            # spawn, not fork: this process runs the echo server in a thread
            spawn = multiprocessing.get_context("spawn")
            process = spawn.Process(target=target, args=(*target_args, port))
            process.start()
            try:
                wait_listening(port)
                throughput("127.0.0.1", port, PATH, WORKERS, 1.0)  # warm up
                for _ in range(args.rounds):
                    echo = throughput("127.0.0.1", echo_port, "/echo", WORKERS, args.seconds)
                    ours = throughput("127.0.0.1", port, PATH, WORKERS, args.seconds)
                    print(
                        f"{label:30} {ours:7.0f} req/s; echo {echo:7.0f} req/s; "
                        f"ratio {ours / echo:.2f}"
                    )
            finally:
                process.kill()
                process.join()


if __name__ == "__main__":
    main()
