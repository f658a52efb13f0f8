"""A real `lambdalite serve` process per session, driven by boto3 and the aws CLI."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

FUNCTIONS = Path(__file__).parent.parent / "fixtures" / "functions"
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

    def client(self, service: str = "lambda", **config: Any) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=120, **config),
        )


def start_server(tmp: Path, *extra: str, env: dict[str, str] | None = None) -> Server:
    port = free_port()
    log_path = tmp / f"server-{port}.log"
    environment = {
        **os.environ,
        "LAMBDALITE_PORT": str(port),
        "LAMBDALITE_DATA_DIR": str(tmp / "data"),
        **(env or {}),
    }
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
                return Server(process, endpoint, tmp / "data", log_path)
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not start: {log_path.read_text()}")


def stop_server(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGTERM)
        try:
            server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.process.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    srv = start_server(tmp_path_factory.mktemp("server"))
    yield srv
    stop_server(srv)


@pytest.fixture(scope="session")
def lam(server: Server) -> Any:
    return server.client("lambda")


def zip_source(source: str, name: str = "app.py") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, source)
    return buffer.getvalue()


_counter = iter(range(1_000_000))


def create(
    lam: Any, source: str, *, handler: str = "app.handler", wait: bool = True, **config: Any
) -> str:
    name = f"fn-{os.getpid()}-{next(_counter)}"
    lam.create_function(
        FunctionName=name,
        Runtime=config.pop("Runtime", "python3.11"),
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zip_source(source)},
        **config,
    )
    if wait:
        lam.get_waiter("function_active_v2").wait(
            FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
        )
    return name
