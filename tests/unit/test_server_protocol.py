"""Each HTTP response leaves in one write (api/server_protocol.py), through uvicorn's own code."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from lambdalite.api.app import LambdaliteApp
from lambdalite.api.http import Headers, Request
from lambdalite.api.server_protocol import LambdaliteHttpProtocol
from lambdalite.config import Settings
from lambdalite.server import uvicorn_config

REQUEST = b'POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 7\r\n\r\n{"a":1}'


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False

    def write(self, data: Any) -> None:
        self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 4566), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def echo_app(scope: Any, receive: Any, send: Any) -> None:
    body = (await receive())["body"]
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def connect(
    protocol_class: type[HttpToolsProtocol], app: Any, transport: RecordingTransport
) -> HttpToolsProtocol:
    config = uvicorn.Config(app, http=protocol_class, log_level="warning", proxy_headers=False)
    config.load()
    protocol = protocol_class(config=config, server_state=ServerState(), app_state={})
    protocol.connection_made(transport)
    return protocol


async def serve_one(
    protocol_class: type[HttpToolsProtocol], app: Any = echo_app, request: bytes = REQUEST
) -> RecordingTransport:
    transport = RecordingTransport()
    protocol = connect(protocol_class, app, transport)
    protocol.data_received(request)
    for _ in range(20):
        await asyncio.sleep(0)
    protocol.connection_lost(None)
    return transport


def test_uvicorn_alone_writes_headers_and_body_apart() -> None:
    transport = asyncio.run(serve_one(HttpToolsProtocol))
    assert len(transport.writes) == 2  # what the coalescing protocol exists to avoid


def test_coalescing_protocol_sends_the_response_in_one_write() -> None:
    transport = asyncio.run(serve_one(LambdaliteHttpProtocol))
    assert len(transport.writes) == 1
    response = transport.writes[0]
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b'\r\n\r\n{"a":1}')


def test_the_server_uses_the_coalescing_protocol(tmp_path: Any) -> None:
    config = uvicorn_config(Settings(data_dir=tmp_path, deploy_example=False))
    assert config.http is LambdaliteHttpProtocol


@pytest.fixture(autouse=True)
def _quiet_uvicorn(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("WARNING", logger="uvicorn")


class InvokeOnly(LambdaliteApp):
    """Answers Invoke directly; fails any request that reaches it through ASGI."""

    def __init__(self) -> None:
        self.asgi_calls: list[str] = []
        self.invoked: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.asgi_calls.append(scope["path"])
        await echo_app(scope, receive, send)

    async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
        self.invoked.append((raw_name, request.body))
        return 200, [(b"x-amz-executed-version", b"$LATEST")], b'"done"'


def test_invoke_is_answered_without_an_asgi_cycle() -> None:
    app = InvokeOnly()
    request = (
        b"POST /2015-03-31/functions/my%2Dfn/invocations HTTP/1.1\r\nHost: t\r\n"
        b"Content-Length: 2\r\n\r\n{}"
    )
    transport = asyncio.run(serve_one(LambdaliteHttpProtocol, app, request))
    assert app.invoked == [("my-fn", b"{}")] and app.asgi_calls == []
    assert len(transport.writes) == 1
    response = transport.writes[0]
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert b"x-amz-executed-version: $LATEST\r\n" in response
    assert response.endswith(b'content-length: 6\r\n\r\n"done"')


def test_other_routes_still_go_through_asgi() -> None:
    app = InvokeOnly()
    transport = asyncio.run(serve_one(LambdaliteHttpProtocol, app))
    assert app.asgi_calls == ["/echo"] and app.invoked == []
    assert transport.writes[0].endswith(b'{"a":1}')


def test_a_direct_answer_is_sent_in_the_turn_it_is_ready() -> None:
    """Not a loop turn later: under load a turn is a turn's worth of other work."""
    seen: list[int] = []
    transport = RecordingTransport()

    class Snapshot(InvokeOnly):
        async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
            # Runs right after this coroutine's step, before anything scheduled later.
            asyncio.get_running_loop().call_soon(lambda: seen.append(len(transport.writes)))
            return 202, [], b""

    async def scenario() -> None:
        protocol = connect(LambdaliteHttpProtocol, Snapshot(), transport)
        protocol.data_received(
            b"POST /2015-03-31/functions/fn/invocations HTTP/1.1\r\nHost: t\r\n"
            b"Content-Length: 2\r\n\r\n{}"
        )
        for _ in range(20):
            await asyncio.sleep(0)
        protocol.connection_lost(None)

    asyncio.run(scenario())
    assert seen == [1]
    assert transport.writes[0].startswith(b"HTTP/1.1 202 Accepted\r\n")


def test_a_direct_invoke_starts_in_the_turn_its_request_completes() -> None:
    app = InvokeOnly()
    transport = RecordingTransport()

    async def scenario() -> None:
        protocol = connect(LambdaliteHttpProtocol, app, transport)
        protocol.data_received(
            b"POST /2015-03-31/functions/fn/invocations HTTP/1.1\r\nHost: t\r\n"
            b"Content-Length: 2\r\n\r\n{}"
        )
        assert app.invoked == [("fn", b"{}")]  # no loop turn has passed
        assert len(transport.writes) == 1  # nor for the answer, which needed no waiting
        protocol.connection_lost(None)

    asyncio.run(scenario())


def test_a_request_pipelined_behind_an_instant_answer_is_not_cut_by_keep_alive() -> None:
    """The first answer completes inside the parser's callback and arms uvicorn's idle
    timer; the request parsed right after it must disarm it, or a long second request
    would be closed under it after timeout_keep_alive seconds."""
    transport = RecordingTransport()

    async def scenario() -> None:
        gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        class FirstInstantSecondSlow(InvokeOnly):
            async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
                if raw_name == "slow":
                    await gate
                return 200, [], b'"ok"'

        protocol = connect(LambdaliteHttpProtocol, FirstInstantSecondSlow(), transport)
        request = b"POST /2015-03-31/functions/%s/invocations HTTP/1.1\r\nHost: t\r\n"
        body = b"Content-Length: 2\r\n\r\n{}"
        protocol.data_received(request % b"fast" + body + request % b"slow" + body)
        assert len(transport.writes) == 1  # the first answer; the second is running
        assert protocol.timeout_keep_alive_task is None
        gate.set_result(None)
        for _ in range(5):
            await asyncio.sleep(0)
        assert len(transport.writes) == 2 and protocol.timeout_keep_alive_task is not None
        protocol.connection_lost(None)

    asyncio.run(scenario())


def test_invoke_urls_give_name_path_and_query_and_others_none() -> None:
    from lambdalite.api.app import LambdaliteApp
    from lambdalite.api.server_protocol import _invoke_url

    app: Any = LambdaliteApp  # invoke_target is a static method
    url = b"/2015-03-31/functions/my%2Dfn/invocations?Qualifier=live"
    assert _invoke_url(app, url) == (
        "my-fn",
        "/2015-03-31/functions/my-fn/invocations",
        b"/2015-03-31/functions/my%2Dfn/invocations",
        b"Qualifier=live",
    )
    assert _invoke_url(app, b"/2015-03-31/functions/my-fn") is None
