"""A real `lambdalite serve` process on a free port: what the acceptance tests and the
benches both start, so neither borrows the other's code."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROLE = "arn:aws:iam::000000000000:role/lambda-role"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    endpoint: str
    data_dir: Path
    log_path: Path
    gateway: str = ""  # the HTTP gateway's base URL (API routes, function URLs)
    # The clients made by client(), closed by stop_server: their pooled keep-alive sockets
    # would otherwise be left for the garbage collector to close, with a ResourceWarning.
    clients: list[Any] = field(default_factory=list, repr=False, compare=False)

    def client(self, service: str = "lambda", **config: Any) -> Any:
        """A boto3 client for this server (boto3 comes with the `test` extra, not the server)."""
        import boto3
        from botocore.config import Config

        made = boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=120, **config),
        )
        self.clients.append(made)
        return made


def start_server(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    """Serve from `tmp` (data dir, log file) and return once the health route answers."""
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    environment = {
        **os.environ,
        "LAMBDALITE_PORT": str(port),
        "LAMBDALITE_DATA_DIR": str(tmp / "data"),
        # A free port of its own: servers of parallel tests never share the default 3000.
        "LAMBDALITE_GATEWAY_PORT": str(free_port()),
        **(env or {}),
    }
    gateway = f"http://127.0.0.1:{environment['LAMBDALITE_GATEWAY_PORT']}"
    with open(log_path, "wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "lambdalite.cli.main", "serve", *extra],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()}")
        try:
            if httpx.get(f"{endpoint}/_lambdalite/health", timeout=1).status_code == 200:
                return Server(process, endpoint, tmp / "data", log_path, gateway)
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start: {log_path.read_text()}")


def stop_server(server: Server) -> None:
    """SIGTERM (a graceful shutdown), then SIGKILL if it takes longer than 20 s."""
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()
    for made in server.clients:
        made.close()
    server.clients.clear()


def zip_source(source: str, name: str = "app.py") -> bytes:
    """A deployment package holding one file: the same bytes for the same source (a fixed
    date in the entry, as reproducible builds make), so its CodeSha256 can be predicted."""
    entry = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    entry.external_attr = 0o644 << 16
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, source)
    return buffer.getvalue()
