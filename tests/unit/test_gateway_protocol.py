"""The gateway port's direct path (gateway/protocol.py) answers byte for byte as its ASGI
path does, through uvicorn's own code, and leaves to uvicorn what it does not handle."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from lambdalite.gateway import uvicorn_fit
from lambdalite.gateway.app import GatewayApp
from lambdalite.gateway.protocol import CasePreservingProtocol, GatewayHttpProtocol
from lambdalite.gateway.responses import HttpResponse

# Answers that uvicorn checks or acts on itself, by path.
SPECIAL: dict[str, list[tuple[str, str]]] = {
    "/bad-value": [("X-Bad", "a\nb")],
    "/bad-name": [("X Bad", "v")],
    "/length": [("Content-Length", "2")],
    "/close": [("Connection", "close")],
    "/chunked": [("Transfer-Encoding", "chunked")],
    "/euro": [("X-Price", "5 \u20ac")],
}


class Echo(GatewayApp):
    """Answers with what it was handed (the protocol under test hands it the request)."""

    def __init__(self) -> None:
        self.asgi_calls = 0
        self.answered: list[str] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.asgi_calls += 1
        await super().__call__(scope, receive, send)

    def streams(self, host: str, raw_path: str) -> bool:
        return raw_path == "/streamed"

    async def answer(
        self, method: str, raw_path: str, query_string: str, headers: list[tuple[str, str]],
        body: bytes, client: tuple[str, int] | None, http_version: str, send: Any = None,
        cut: Any = None,
    ) -> HttpResponse:  # fmt: skip
        self.answered.append(raw_path)
        await asyncio.sleep(0)  # answered on a later turn, as after an invoke
        seen = [method, raw_path, query_string, headers, body.decode(), client, http_version]
        response_headers = [("Content-Type", "application/json"), ("X-Case", "Kept")]
        response_headers += SPECIAL.get(raw_path, [])
        return HttpResponse(201, response_headers, json.dumps(seen).encode())


class RecordingTransport(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.writes: list[bytes] = []
        self.closed = False
        self.closed_by_server = False  # before the client went away

    def write(self, data: Any) -> None:
        if not self.closed:
            self.writes.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        extra = {"sockname": ("127.0.0.1", 3000), "peername": ("10.0.0.7", 50000)}
        return extra.get(name, default)

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def serve(
    protocol_class: type[HttpToolsProtocol], app: Any, *chunks: bytes
) -> RecordingTransport:
    config = uvicorn.Config(app, http=protocol_class, log_level="critical", proxy_headers=False)
    config.load()
    state = ServerState()
    state.default_headers = [(b"date", b"Mon, 07 Dec 2026 05:00:00 GMT")]
    transport = RecordingTransport()
    protocol = protocol_class(config=config, server_state=state, app_state={})
    protocol.connection_made(transport)
    for chunk in chunks:
        protocol.data_received(chunk)
        for _ in range(20):
            await asyncio.sleep(0)
    transport.closed_by_server = transport.closed
    protocol.connection_lost(None)
    return transport


def both(*chunks: bytes) -> tuple[RecordingTransport, RecordingTransport, Echo]:
    """The same bytes through the direct path's protocol and through the ASGI path."""
    direct = Echo()
    fast = asyncio.run(serve(GatewayHttpProtocol, direct, *chunks))
    asgi = asyncio.run(serve(CasePreservingProtocol, Echo(), *chunks))
    return fast, asgi, direct


POST = (
    b"POST /items/1?b=2&a=%201 HTTP/1.1\r\nHost: api.test\r\nX-Mixed-Case: One\r\n"
    b'x-mixed-case: Two\r\nContent-Length: 7\r\n\r\n{"a":1}'
)


@pytest.mark.parametrize(
    "request_bytes",
    [
        POST,
        b"GET /a%20b/%C3%A9/ HTTP/1.1\r\nHost: t\r\nCookie: a=1; b=2\r\n\r\n",
        b"GET /old HTTP/1.0\r\nHost: t\r\n\r\n",
        b"DELETE /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        *(f"GET {path} HTTP/1.1\r\nHost: t\r\n\r\n".encode() for path in SPECIAL),
    ],
    ids=["post", "encoded-path", "http-1.0", "connection-close", *SPECIAL],
)
def test_a_direct_answer_is_the_asgi_answer_byte_for_byte(request_bytes: bytes) -> None:
    fast, asgi, direct = both(request_bytes)
    assert direct.asgi_calls == 0 and len(direct.answered) == 1  # answered directly
    assert b"".join(fast.writes) == b"".join(asgi.writes)
    assert fast.closed_by_server == asgi.closed_by_server


def test_the_direct_answer_leaves_in_one_write_with_names_as_sent() -> None:
    fast, _, _ = both(POST)
    assert len(fast.writes) == 1
    head, _, body = fast.writes[0].partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 201 Created\r\ndate: Mon, 07 Dec 2026")
    seen = json.loads(body)
    assert seen[1:3] == ["/items/1", "b=2&a=%201"]
    assert ["X-Mixed-Case", "One"] in seen[3] and ["x-mixed-case", "Two"] in seen[3]
    assert seen[4:] == ['{"a":1}', ["10.0.0.7", 50000], "1.1"]
    assert not fast.closed_by_server  # kept alive


def test_answers_uvicorn_would_refuse_are_refused_as_uvicorn_does() -> None:
    bad, _, _ = both(b"GET /bad-value HTTP/1.1\r\nHost: t\r\n\r\n")
    assert bad.writes == [] and bad.closed_by_server  # uvicorn drops the connection
    euro, _, _ = both(b"GET /euro HTTP/1.1\r\nHost: t\r\n\r\n")
    assert b"".join(euro.writes).startswith(b"HTTP/1.1 500 Internal Server Error\r\n")


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
        b"POST /e HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi",
        b"HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /streamed HTTP/1.1\r\nHost: t\r\n\r\n",  # a RESPONSE_STREAM function URL
    ],
    ids=["chunked", "100-continue", "head", "non-ascii-target", "streamed-url"],
)
def test_what_the_direct_path_does_not_handle_goes_through_asgi(request_bytes: bytes) -> None:
    fast, asgi, direct = both(request_bytes)
    assert direct.asgi_calls == len(direct.answered)  # every answer came through ASGI
    assert b"".join(fast.writes) == b"".join(asgi.writes)


def test_pipelined_requests_are_answered_in_order_as_uvicorn_does() -> None:
    second = b"GET /second HTTP/1.1\r\nHost: t\r\n\r\n"
    fast, asgi, direct = both(POST + second)
    assert direct.answered == ["/items/1", "/second"]
    assert direct.asgi_calls == 1  # the one behind a running request went through uvicorn
    assert b"".join(fast.writes) == b"".join(asgi.writes)
    assert b"".join(fast.writes).count(b"HTTP/1.1 201 Created") == 2


def test_keep_alive_requests_one_after_another_are_all_direct() -> None:
    fast, asgi, direct = both(POST, POST, POST)
    assert direct.asgi_calls == 0 and len(direct.answered) == 3
    assert fast.writes == asgi.writes and len(fast.writes) == 3


def test_the_gateway_serves_through_its_protocol_only_on_a_vetted_uvicorn(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    assert uvicorn_fit.mismatch() is None
    assert uvicorn_fit.http_protocol() is GatewayHttpProtocol
    monkeypatch.setattr(uvicorn, "__version__", "0.99.0")
    with caplog.at_level("WARNING", logger="lambdalite.gateway.uvicorn_fit"):
        assert uvicorn_fit.http_protocol() == "httptools"  # uvicorn's own, through ASGI
    assert [r.getMessage() for r in caplog.records] == [
        "uvicorn 0.99.0: not a vetted version; the HTTP gateway serves through uvicorn's own "
        "httptools protocol (header names lowercased in REST events, no direct path)"
    ]


def test_the_check_sees_a_changed_request_cycle() -> None:
    from uvicorn.protocols.http import httptools_impl

    class Module:
        pass

    module: Any = Module()
    module.__dict__.update(vars(httptools_impl))

    class Cycle(httptools_impl.RequestResponseCycle):
        def __init__(self, scope: Any, transport: Any) -> None:
            pass

    module.RequestResponseCycle = Cycle
    assert uvicorn_fit.mismatch(module) == "RequestResponseCycle takes other parameters"


def test_the_integration_timer_waits_for_the_run_and_leaves_it_running_when_cancelled() -> None:
    from lambdalite.gateway.handler import _settled_within

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        run: asyncio.Future[str] = loop.create_future()
        loop.call_soon(run.set_result, "done")
        assert await _settled_within(loop, run, 60.0)  # done first: no waiting for the timer

        slow: asyncio.Future[str] = loop.create_future()
        wait = loop.create_task(_settled_within(loop, slow, 60.0))
        await asyncio.sleep(0)
        wait.cancel()  # the gateway's request went away (shutdown's deadline)
        with pytest.raises(asyncio.CancelledError):
            await wait
        assert not slow.cancelled()  # the function runs on, as on AWS
        slow.set_result("late")

    asyncio.run(scenario())
