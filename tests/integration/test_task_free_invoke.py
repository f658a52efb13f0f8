"""Real Invokes through the fast path (api/server_protocol.py + api/eager.py) work on the
running Python: the driver runs them outside any Task, so anything on the way that needs a
current task (asyncio.timeout, wait_for from 3.12, TaskGroup) fails here.

The function runs on another installed Python when there is one, so its cold start also
starts a fork server from inside the Invoke (sandbox/forkserver.py's start)."""

from __future__ import annotations

import asyncio
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import uvicorn
from botocore.config import Config

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.http import Headers, Request
from lambdalite.api.server_protocol import LambdaliteHttpProtocol
from lambdalite.config import Settings
from lambdalite.functions.interpreters import SUPPORTED_RUNTIMES, interpreter_for
from lambdalite.server import EXAMPLE_ROLE, example_zip, uvicorn_config
from tests.acceptance.conftest import free_port

OWN_RUNTIME = f"python{sys.version_info.major}.{sys.version_info.minor}"


def other_runtime() -> str:
    """An installed runtime other than the server's, so the Invoke starts its fork server."""
    others = [r for r in SUPPORTED_RUNTIMES if r != OWN_RUNTIME and interpreter_for(r).exact]
    return others[-1] if others else OWN_RUNTIME


@pytest.fixture
def tasks_seen(monkeypatch: pytest.MonkeyPatch) -> list[asyncio.Task[Any] | None]:
    """The current task inside each LambdaliteApp.invoke call."""
    seen: list[asyncio.Task[Any] | None] = []
    invoke = LambdaliteApp.invoke

    async def spy(
        self: LambdaliteApp, request: Request, raw_name: str
    ) -> tuple[int, Headers, bytes]:
        seen.append(asyncio.current_task())
        return await invoke(self, request, raw_name)

    monkeypatch.setattr(LambdaliteApp, "invoke", spy)
    return seen


@pytest.fixture
def lam(tmp_path: Path, tasks_seen: list[Any]) -> Iterator[Any]:
    port = free_port()
    config = uvicorn_config(Settings(data_dir=tmp_path, port=port, deploy_example=False))
    assert config.http is LambdaliteHttpProtocol
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield boto3.client(
        "lambda",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, read_timeout=60),
    )
    server.should_exit = True
    thread.join(timeout=30)


def test_cold_warm_and_event_invokes_run_outside_any_task(
    lam: Any, tasks_seen: list[asyncio.Task[Any] | None]
) -> None:
    lam.create_function(
        FunctionName="fast",
        Runtime=other_runtime(),
        Role=EXAMPLE_ROLE,
        Handler="app.handler",
        Code={"ZipFile": example_zip()},
    )
    for name in ("cold", "warm"):
        response = lam.invoke(FunctionName="fast", Payload=json.dumps({"name": name}))
        assert "FunctionError" not in response, response["Payload"].read()
        assert json.loads(response["Payload"].read())["message"] == f"Hello, {name}!"
    event = lam.invoke(FunctionName="fast", InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202  # accepted once the group commit resolved inline
    assert tasks_seen == [None, None, None]  # all three took the driver, on every version
