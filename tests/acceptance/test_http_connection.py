"""HTTP/1.1 connection behaviour around Invoke, which the protocol answers without an ASGI
cycle (api/server_protocol.py): keep-alive, pipelining, Connection: close, HTTP/1.0,
chunked bodies and 100-continue must behave as on every other route."""

from __future__ import annotations

import json
import socket
from typing import Any

import pytest

from tests.acceptance.conftest import Server, create

ECHO = "def handler(event, context):\n    return {'got': event, 'id': context.aws_request_id}\n"


@pytest.fixture(scope="module")
def echo(lam: Any) -> str:
    return create(lam, ECHO)


def connect(server: Server) -> socket.socket:
    host, port = server.endpoint.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=20)
    return sock


def invoke_request(name: str, body: bytes, *, extra: bytes = b"", version: bytes = b"1.1") -> bytes:
    return (
        b"POST /2015-03-31/functions/%s/invocations HTTP/%s\r\nHost: lambdalite\r\n"
        b"Content-Type: application/json\r\n%sContent-Length: %d\r\n\r\n%s"
        % (name.encode(), version, extra, len(body), body)
    )


class Responses:
    """Reads HTTP/1.1 responses with Content-Length bodies off one socket, in order."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buffer = b""

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        self.buffer += data
        return bool(data)

    def next(self) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buffer:
            assert self._fill(), "connection closed before a response"
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            assert self._fill(), "connection closed mid-body"
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, headers, body

    def closed(self) -> bool:
        return not self.buffer and not self._fill()


def test_pipelined_requests_are_answered_in_order(server: Server, echo: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            invoke_request(echo, b'{"n": 1}')
            + b"GET /_lambdalite/health HTTP/1.1\r\nHost: lambdalite\r\n\r\n"
            + invoke_request(echo, b'{"n": 2}')
            + invoke_request("no-such-function", b"{}")
        )
        responses = Responses(sock)
        first, health, second, missing = (responses.next() for _ in range(4))
    assert first[0] == 200 and json.loads(first[2])["got"] == {"n": 1}
    assert health[0] == 200
    assert second[0] == 200 and json.loads(second[2])["got"] == {"n": 2}
    assert missing[0] == 404
    assert missing[1]["x-amzn-errortype"] == "ResourceNotFoundException"
    # each invocation kept its own request id, echoed by the function
    assert first[1]["x-amzn-requestid"] == json.loads(first[2])["id"]
    assert second[1]["x-amzn-requestid"] == json.loads(second[2])["id"]


def test_keep_alive_serves_many_invokes_on_one_connection(server: Server, echo: str) -> None:
    with connect(server) as sock:
        responses = Responses(sock)
        for n in range(20):
            sock.sendall(invoke_request(echo, b'{"n": %d}' % n))
            status, headers, body = responses.next()
            assert status == 200 and json.loads(body)["got"] == {"n": n}
            assert headers["x-amz-executed-version"] == "$LATEST"
            assert "date" in headers


def test_connection_close_is_honoured(server: Server, echo: str) -> None:
    with connect(server) as sock:
        sock.sendall(invoke_request(echo, b"{}", extra=b"Connection: close\r\n"))
        responses = Responses(sock)
        status, headers, _ = responses.next()
        assert status == 200 and headers["connection"] == "close"
        assert responses.closed()


def test_http_1_0_closes_after_the_response(server: Server, echo: str) -> None:
    with connect(server) as sock:
        sock.sendall(invoke_request(echo, b'{"v": "1.0"}', version=b"1.0"))
        responses = Responses(sock)
        status, _, body = responses.next()
        assert status == 200 and json.loads(body)["got"] == {"v": "1.0"}
        assert responses.closed()


def test_chunked_invoke_body_is_read_whole(server: Server, echo: str) -> None:
    body = b'{"chunked": true}'
    with connect(server) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/%s/invocations HTTP/1.1\r\nHost: lambdalite\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n"
            % (echo.encode(), len(body), body)
        )
        status, _, answer = Responses(sock).next()
    assert status == 200 and json.loads(answer)["got"] == {"chunked": True}


def test_expect_100_continue_gets_the_interim_response(server: Server, echo: str) -> None:
    body = b'{"waited": true}'
    with connect(server) as sock:
        head = invoke_request(echo, body, extra=b"Expect: 100-continue\r\n")
        sock.sendall(head[: -len(body)])
        interim = sock.recv(65536)
        assert interim.startswith(b"HTTP/1.1 100")
        sock.sendall(body)
        status, _, answer = Responses(sock).next()
    assert status == 200 and json.loads(answer)["got"] == {"waited": True}


def test_oversized_declared_body_is_refused_before_it_is_sent(server: Server, echo: str) -> None:
    with connect(server) as sock:
        sock.sendall(
            b"POST /2015-03-31/functions/%s/invocations HTTP/1.1\r\nHost: lambdalite\r\n"
            b"Content-Length: %d\r\n\r\n" % (echo.encode(), 6 * 1024 * 1024 + 1)
        )
        status, headers, body = Responses(sock).next()
    assert status == 413
    assert headers["x-amzn-errortype"] == "RequestEntityTooLargeException"
    assert b"InvokeFunction" in body
