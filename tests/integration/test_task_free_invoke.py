"""Real Invokes through the fast path (api/server_protocol.py + api/eager.py) work on the
running Python: the driver runs them outside any Task, so anything on the way that needs a
current task (asyncio.timeout, wait_for from 3.12, TaskGroup) fails here.

The function runs on another installed Python when there is one, so its cold start also
starts a fork server from inside the Invoke (sandbox/forkserver.py's start)."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.http import Headers, Request
from lambdalite.api.server_protocol import LambdaliteHttpProtocol
from lambdalite.config import Settings
from lambdalite.sandbox.interpreters import SUPPORTED_RUNTIMES, interpreter_for
from lambdalite.server import uvicorn_config
from lambdalite.testing import free_port
from tests.integration.served import create_hello, lambda_client

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
    config = uvicorn_config(Settings(data_dir=tmp_path, port=free_port(), deploy_example=False))
    assert config.http is LambdaliteHttpProtocol
    with lambda_client(config) as client:
        yield client


def test_cold_warm_and_event_invokes_run_outside_any_task(
    lam: Any, tasks_seen: list[asyncio.Task[Any] | None]
) -> None:
    create_hello(lam, "fast", other_runtime())
    for name in ("cold", "warm"):
        response = lam.invoke(FunctionName="fast", Payload=json.dumps({"name": name}))
        assert "FunctionError" not in response, response["Payload"].read()
        assert json.loads(response["Payload"].read())["message"] == f"Hello, {name}!"
    event = lam.invoke(FunctionName="fast", InvocationType="Event", Payload=b"{}")
    assert event["StatusCode"] == 202  # accepted once the group commit resolved inline
    assert tasks_seen == [None, None, None]  # all three took the driver, on every version
