"""A lambdalite server on uvicorn in a thread of the test process, driven by boto3."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
import uvicorn
from botocore.config import Config

from lambdalite.server import EXAMPLE_ROLE, example_zip


@contextmanager
def lambda_client(config: uvicorn.Config) -> Iterator[Any]:
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    try:
        yield boto3.client(
            "lambda",
            endpoint_url=f"http://127.0.0.1:{config.port}",
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
            config=Config(retries={"max_attempts": 1}, read_timeout=60),
        )
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def create_hello(lam: Any, name: str, runtime: str) -> None:
    """The example function `lambdalite serve` deploys, under `name`."""
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=EXAMPLE_ROLE,
        Handler="app.handler",
        Code={"ZipFile": example_zip()},
    )
