"""api/uvicorn_check.py: the protocol is used only on uvicorn internals it knows."""

from __future__ import annotations

import logging
from types import ModuleType
from typing import Any

import pytest
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from lambdalite.api.server_protocol import LambdaliteHttpProtocol
from lambdalite.api.uvicorn_check import http_protocol, mismatch


def test_the_installed_uvicorn_is_one_the_protocol_knows(caplog: pytest.LogCaptureFixture) -> None:
    assert mismatch() is None
    with caplog.at_level(logging.WARNING):
        assert http_protocol() is LambdaliteHttpProtocol
    assert caplog.records == []


def uvicorn_like(protocol: type[Any] = HttpToolsProtocol, **attributes: Any) -> ModuleType:
    module = ModuleType("httptools_impl")
    module.HttpToolsProtocol = protocol  # type: ignore[attr-defined]
    module.STATUS_LINE = httptools_impl.STATUS_LINE  # type: ignore[attr-defined]
    for name, value in attributes.items():
        setattr(module, name, value)
    return module


class RenamedParameter(HttpToolsProtocol):
    def on_body(self, chunk: bytes) -> None:  # type: ignore[override]
        pass


class NoKeepAliveHelper(HttpToolsProtocol):
    _unset_keepalive_if_required = None  # type: ignore[assignment]


class NoCycle(HttpToolsProtocol):
    def __init__(self, config: Any, server_state: Any, app_state: Any) -> None:
        self.app = self.loop = self.parser = self.tasks = self.server_state = None
        self.transport = self.expect_100_continue = self.timeout_keep_alive_task = None


class NoDefaultHeaders:
    def __init__(self) -> None:
        self.total_requests = 0


@pytest.mark.parametrize(
    ("version", "module", "state", "problem"),
    [
        ("0.53.1", uvicorn_like(), ServerState, "not a vetted version"),
        ("0.56.0", uvicorn_like(), ServerState, "not a vetted version"),
        ("1.0.0", uvicorn_like(), ServerState, "not a vetted version"),
        ("0.55.0", ModuleType("empty"), ServerState, "no HttpToolsProtocol"),
        (
            "0.55.0",
            uvicorn_like(RenamedParameter),
            ServerState,
            "HttpToolsProtocol.on_body takes other parameters",
        ),
        (
            "0.55.0",
            uvicorn_like(NoKeepAliveHelper),
            ServerState,
            "no HttpToolsProtocol._unset_keepalive_if_required",
        ),
        (
            "0.55.0",
            uvicorn_like(NoCycle),
            ServerState,
            "HttpToolsProtocol.__init__ no longer sets cycle",
        ),
        ("0.55.0", uvicorn_like(STATUS_LINE={}), ServerState, "no STATUS_LINE table"),
        ("0.55.0", uvicorn_like(), NoDefaultHeaders, "no ServerState.default_headers"),
        ("0.54.3", uvicorn_like(), ServerState, None),
    ],
)
def test_each_difference_is_named(
    version: str, module: ModuleType, state: type[Any], problem: str | None
) -> None:
    assert mismatch(version, module, state) == problem


def test_a_mismatch_falls_back_to_uvicorns_protocol_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delattr(HttpToolsProtocol, "_unset_keepalive_if_required")
    with caplog.at_level(logging.WARNING):
        assert http_protocol() == "httptools"
    assert len(caplog.records) == 1
    assert "no HttpToolsProtocol._unset_keepalive_if_required" in caplog.records[0].getMessage()
