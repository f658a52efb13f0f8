"""On a uvicorn whose internals are not the vetted ones, the server still serves, through
uvicorn's own httptools protocol, and says so in one warning (api/uvicorn_check.py)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path

import pytest
import uvicorn

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.http import Headers, Request
from lambdalite.config import Settings
from lambdalite.server import uvicorn_config
from lambdalite.testing import free_port
from tests.integration.served import create_hello, lambda_client


def test_an_unknown_uvicorn_is_served_through_its_standard_protocol(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(uvicorn, "__version__", "0.99.0")
    in_task: list[bool] = []
    invoke = LambdaliteApp.invoke

    async def spy(
        self: LambdaliteApp, request: Request, raw_name: str
    ) -> tuple[int, Headers, bytes]:
        in_task.append(asyncio.current_task() is not None)
        return await invoke(self, request, raw_name)

    monkeypatch.setattr(LambdaliteApp, "invoke", spy)
    with caplog.at_level(logging.WARNING):
        config = uvicorn_config(Settings(data_dir=tmp_path, port=free_port(), deploy_example=False))
    assert config.http == "httptools"
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "uvicorn 0.99.0: not a vetted version; serving through uvicorn's own httptools "
            "protocol, without lambdalite's Invoke fast path",
        )
    ]
    with lambda_client(config) as lam:
        create_hello(lam, "standard", f"python{sys.version_info.major}.{sys.version_info.minor}")
        response = lam.invoke(FunctionName="standard", Payload=json.dumps({"name": "Ada"}))
        assert json.loads(response["Payload"].read())["message"] == "Hello, Ada!"
        event = lam.invoke(FunctionName="standard", InvocationType="Event", Payload=b"{}")
        assert event["StatusCode"] == 202
    assert in_task == [True, True]  # uvicorn's ASGI tasks, not lambdalite's direct path
