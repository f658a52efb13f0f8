"""The Node.js bootstrap's side of response streaming, read off the wire: a streamified
handler's response is a chunked POST with `Lambda-Runtime-Function-Response-Mode: streaming`,
and a failure mid-stream ends it with AWS's error trailers. A stand-in Runtime API (h11)
records what the bootstrap sends; lambdalite's own streaming side is tested where it lives."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h11
import pytest

from lambdalite.sandbox.runtime_api.node import BOOTSTRAP

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="no node on PATH")


@dataclass
class Posted:
    headers: dict[str, str]
    body: bytes = b""
    trailers: dict[str, str] = field(default_factory=dict)


class FakeRuntimeApi:
    """Hands out one event, then records the one response posted for it."""

    def __init__(self, event: bytes) -> None:
        self.event = event
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.posted: Posted | None = None
        self.done = threading.Event()
        self.closed = threading.Event()
        self._handed_out = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                self._converse(conn)
        except (OSError, h11.ProtocolError):
            pass  # node was killed mid-call: the test is over

    def _converse(self, conn: socket.socket) -> None:
        h = h11.Connection(h11.SERVER)
        request: Posted | None = None
        while True:
            event = h.next_event()
            if event is h11.NEED_DATA:
                data = conn.recv(65536)
                if not data:
                    return
                h.receive_data(data)
            elif isinstance(event, h11.Request):
                headers = {k.decode().lower(): v.decode() for k, v in event.headers}
                request = Posted(headers)
                path = event.target.decode()
            elif isinstance(event, h11.Data) and request is not None:
                request.body += bytes(event.data)
            elif isinstance(event, h11.EndOfMessage) and request is not None:
                request.trailers = {k.decode().lower(): v.decode() for k, v in event.headers}
                if not self._answer(conn, h, path, request):
                    return
                h.start_next_cycle()
            elif isinstance(event, h11.ConnectionClosed):
                return

    def _answer(self, conn: socket.socket, h: h11.Connection, path: str, req: Posted) -> bool:
        if path.endswith("/invocation/next"):
            if self._handed_out:
                self.closed.wait()  # the second next: parked until the test is over
                return False
            self._handed_out = True
            headers = [
                ("Lambda-Runtime-Aws-Request-Id", "req-1"),
                ("Lambda-Runtime-Deadline-Ms", "99999999999999"),
                ("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:0:function:f"),
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(self.event))),
            ]
            conn.sendall(h.send(h11.Response(status_code=200, headers=headers)) or b"")
            conn.sendall(h.send(h11.Data(data=self.event)) or b"")
        else:
            self.posted = req
            reply = b'{"status":"OK"}'
            head = [("Content-Type", "application/json"), ("Content-Length", str(len(reply)))]
            conn.sendall(h.send(h11.Response(status_code=202, headers=head)) or b"")
            conn.sendall(h.send(h11.Data(data=reply)) or b"")
            self.done.set()
        conn.sendall(h.send(h11.EndOfMessage()) or b"")
        return True

    def close(self) -> None:
        self.closed.set()
        self.sock.close()


Run = Callable[[dict[str, object]], Posted]

HANDLER = """
exports.handler = awslambda.streamifyResponse(async (event, stream) => {
  stream = awslambda.HttpResponseStream.from(stream, { statusCode: 201, headers: { a: 'b' } });
  stream.write('part one;');
  await new Promise((r) => setTimeout(r, 5));
  if (event.fail) throw new TypeError('broke mid-stream');
  stream.end('part two');
});
"""


@pytest.fixture
def run_bootstrap(tmp_path: Path) -> Iterator[Run]:
    (tmp_path / "index.js").write_text(HANDLER)
    started: list[tuple[subprocess.Popen[bytes], FakeRuntimeApi]] = []

    def run(event: dict[str, object]) -> Posted:
        api = FakeRuntimeApi(json.dumps(event).encode())
        env = {
            "PATH": os.environ["PATH"],
            "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.port}",
            "_HANDLER": "index.handler",
            "LAMBDA_TASK_ROOT": str(tmp_path),
            "AWS_EXECUTION_ENV": "AWS_Lambda_nodejs20.x",
        }
        node = subprocess.Popen(
            ["node", BOOTSTRAP], env=env, cwd=tmp_path, stdout=subprocess.DEVNULL
        )
        started.append((node, api))
        assert api.done.wait(20), "no response was posted"
        assert api.posted is not None
        return api.posted

    yield run
    for node, api in started:
        node.kill()
        node.wait()
        api.close()


PRELUDE = json.dumps({"statusCode": 201, "headers": {"a": "b"}}, separators=(",", ":")).encode()
PRELUDE += b"\0" * 8


def test_streamed_response_is_chunked_with_the_streaming_header(run_bootstrap: Run) -> None:
    posted = run_bootstrap({})
    assert posted.headers["lambda-runtime-function-response-mode"] == "streaming"
    assert posted.headers["transfer-encoding"] == "chunked"
    assert posted.headers["content-type"] == "application/vnd.awslambda.http-integration-response"
    assert posted.body == PRELUDE + b"part one;part two"
    assert posted.trailers == {}


def test_a_failure_mid_stream_ends_with_error_trailers(run_bootstrap: Run) -> None:
    posted = run_bootstrap({"fail": True})
    assert posted.body == PRELUDE + b"part one;"
    assert posted.trailers["lambda-runtime-function-error-type"] == "TypeError"
    document = json.loads(base64.b64decode(posted.trailers["lambda-runtime-function-error-body"]))
    assert document["errorType"] == "TypeError"
    assert document["errorMessage"] == "broke mid-stream"
    assert document["trace"][0] == "TypeError: broke mid-stream"
