"""Response streaming end to end: a custom runtime (tests/fixtures/functions/streaming)
posts chunked responses in streaming mode; boto3's invoke_with_response_stream and httpx on
a RESPONSE_STREAM function URL read them as they come. Each test that proves incremental
delivery holds the function on a FIFO the test writes only after the first chunk arrived,
so a buffered answer could never pass it."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import ROLE, Server, drain
from tests.acceptance.conftest import create
from tests.acceptance.custom_runtimes import package

BOOTSTRAP = Path(__file__).parents[1] / "fixtures" / "functions" / "streaming" / "bootstrap"
LIMIT = 20 * 1024 * 1024
_names = iter(range(1_000_000))


def deploy(lam: Any, **config: Any) -> str:
    name = f"stream-{os.getpid()}-{next(_names)}"
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=ROLE,
        Code={"ZipFile": package({"bootstrap": BOOTSTRAP})},
        **config,
    )
    lam.get_waiter("function_active_v2").wait(
        FunctionName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )
    return name


@pytest.fixture(scope="module")
def fn(lam: Any) -> str:
    return deploy(lam, Timeout=10)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "go"
    os.mkfifo(path)
    yield path


def release(path: Path) -> None:
    """Let the function write the rest (it blocks reading the FIFO until then)."""
    with open(path, "w") as f:
        f.write("go")


def events(lam: Any, name: str, event: dict[str, Any], **kw: Any) -> Iterator[dict[str, Any]]:
    response = lam.invoke_with_response_stream(FunctionName=name, Payload=json.dumps(event), **kw)
    assert response["StatusCode"] == 200
    yield from response["EventStream"]


def split(received: list[dict[str, Any]]) -> tuple[bytes, dict[str, Any]]:
    body = b"".join(e["PayloadChunk"]["Payload"] for e in received if "PayloadChunk" in e)
    assert "InvokeComplete" in received[-1]
    return body, received[-1]["InvokeComplete"]


def test_chunks_arrive_before_the_function_has_written_the_last(
    lam: Any, fn: str, fifo: Path
) -> None:
    stream = events(lam, fn, {"chunks": ["first;", "second;", "third"], "wait": str(fifo)})
    first = next(stream)
    assert first["PayloadChunk"]["Payload"] == b"first;"
    release(fifo)  # only now does the function write the rest
    body, complete = split([first, *stream])
    assert body == b"first;second;third"
    assert "ErrorCode" not in complete


def test_head_and_log_tail(lam: Any, fn: str) -> None:
    response = lam.invoke_with_response_stream(
        FunctionName=fn, Payload=json.dumps({"chunks": ["a"]}), LogType="Tail"
    )
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    body, complete = split(list(response["EventStream"]))
    assert body == b"a"
    tail = base64.b64decode(complete["LogResult"]).decode()
    assert "streaming " in tail and "REPORT RequestId: " in tail


def test_mid_stream_error_in_invoke_complete(lam: Any, fn: str) -> None:
    error = {"errorType": "Error", "errorMessage": "it broke", "trace": []}
    received = list(
        events(lam, fn, {"chunks": ["partial"], "error": {"type": "Error", "body": error}})
    )
    body, complete = split(received)
    assert body == b"partial"
    assert complete["ErrorCode"] == "Error"
    assert complete["ErrorDetails"] == "it broke"


def test_size_limit(lam: Any, fn: str) -> None:
    body, complete = split(list(events(lam, fn, {"chunks": ["x"], "big": LIMIT})))
    assert len(body) <= LIMIT
    assert complete["ErrorCode"] == "Function.ResponseSizeTooLarge"
    assert f"({LIMIT} bytes)" in complete["ErrorDetails"]
    # The environment is still of use.
    assert split(list(events(lam, fn, {"chunks": ["ok"]})))[0] == b"ok"


def test_a_function_that_does_not_stream(lam: Any, fn: str) -> None:
    body, complete = split(list(events(lam, fn, {"plain": True})))
    assert json.loads(body) == {"plain": True} and "ErrorCode" not in complete
    python = create(lam, "def handler(event, context):\n    return {'py': event}\n")
    body, complete = split(list(events(lam, python, {"k": 1})))
    assert json.loads(body) == {"py": {"k": 1}} and "ErrorCode" not in complete
    failing = create(lam, "def handler(event, context):\n    raise KeyError('nope')\n")
    _, complete = split(list(events(lam, failing, {})))
    assert complete["ErrorCode"] == "KeyError"


def test_buffered_invoke_of_a_streaming_function_gets_the_whole_body(lam: Any, fn: str) -> None:
    response = lam.invoke(FunctionName=fn, Payload=json.dumps({"chunks": ["a", "b"]}))
    assert response["Payload"].read() == b"ab" and "FunctionError" not in response


def test_bad_input_gets_aws_errors(lam: Any, fn: str) -> None:
    errors = lam.exceptions
    with pytest.raises(errors.ResourceNotFoundException):
        lam.invoke_with_response_stream(FunctionName="no-such-function", Payload=b"{}")
    with pytest.raises(errors.InvalidRequestContentException):
        lam.invoke_with_response_stream(FunctionName=fn, Payload=b"{not json")
    response = lam.invoke_with_response_stream(FunctionName=fn, InvocationType="DryRun")
    assert response["StatusCode"] == 204


def test_bootstrap_dying_mid_stream(lam: Any, fn: str, fifo: Path) -> None:
    stream = events(lam, fn, {"chunks": ["before", "after"], "wait": str(fifo), "die": True})
    first = next(stream)
    release(fifo)
    body, complete = split([first, *stream])
    assert body == b"beforeafter"
    assert complete["ErrorCode"] == "Runtime.ExitError"
    assert split(list(events(lam, fn, {"chunks": ["again"]})))[0] == b"again"


def test_runtime_hanging_up_mid_stream_fails_at_once(lam: Any) -> None:
    name = deploy(lam, Timeout=3)  # unseen, the hang-up would end in Sandbox.Timedout
    body, complete = split(list(events(lam, name, {"chunks": ["half"], "hang_up": True})))
    assert body == b"half"
    assert complete["ErrorCode"] == "Runtime.TruncatedResponse"
    # The runtime carried on (back in invocation/next): its environment serves the next.
    assert split(list(events(lam, name, {"chunks": ["again"]})))[0] == b"again"


def test_client_disconnecting_mid_stream(server: Server, lam: Any, fn: str, fifo: Path) -> None:
    response = lam.invoke_with_response_stream(
        FunctionName=fn, Payload=json.dumps({"chunks": ["one", "two"], "wait": str(fifo)})
    )
    stream = response["EventStream"]
    assert next(iter(stream))["PayloadChunk"]["Payload"] == b"one"
    stream.close()  # the client goes away mid-stream
    release(fifo)
    drain(server.endpoint)
    assert split(list(events(lam, fn, {"chunks": ["still"]})))[0] == b"still"


def test_timeout_mid_stream(lam: Any, fifo: Path) -> None:
    name = deploy(lam, Timeout=1)
    received = list(events(lam, name, {"chunks": ["slow", "never"], "wait": str(fifo)}))
    body, complete = split(received)
    assert body == b"slow"
    assert complete["ErrorCode"] == "Sandbox.Timedout"


# Function URLs in RESPONSE_STREAM mode ------------------------------------------------


def stream_url(lam: Any, name: str, mode: str = "RESPONSE_STREAM") -> str:
    created = lam.create_function_url_config(FunctionName=name, AuthType="NONE", InvokeMode=mode)
    assert created["InvokeMode"] == mode
    return str(created["FunctionUrl"])


def prelude(status: int, headers: dict[str, str], cookies: list[str]) -> str:
    doc = {"statusCode": status, "headers": headers, "cookies": cookies}
    return json.dumps(doc) + "\0" * 8


HTTP_INTEGRATION = "application/vnd.awslambda.http-integration-response"


def test_url_streams_with_status_and_headers_from_the_prelude(lam: Any, fifo: Path) -> None:
    name = deploy(lam, Timeout=10)
    url = stream_url(lam, name)
    head = prelude(201, {"content-type": "text/plain", "x-custom": "yes"}, ["a=1", "b=2"])
    event = {
        "chunks": [head + "hello ", "streamed ", "world"],
        "wait": str(fifo),
        "content_type": HTTP_INTEGRATION,
    }
    # The function URL's event is the HTTP request: the test's steering travels in its body.
    with httpx.stream("POST", url, json=event, timeout=30) as response:
        assert response.status_code == 201
        assert response.headers["content-type"] == "text/plain"
        assert response.headers["x-custom"] == "yes"
        assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert response.headers["transfer-encoding"] == "chunked"
        assert "x-amzn-requestid" in response.headers
        pieces = response.iter_raw()
        first = next(pieces)
        assert first == b"hello "
        release(fifo)
        assert first + b"".join(pieces) == b"hello streamed world"


@pytest.fixture(scope="module")
def url(lam: Any, fn: str) -> str:
    return stream_url(lam, fn)


def test_url_stream_without_prelude_is_the_body(url: str) -> None:
    event = {"chunks": ["raw ", "bytes"], "content_type": "text/csv"}
    with httpx.stream("POST", url, json=event, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/csv"
        assert response.read() == b"raw bytes"


def test_url_of_a_function_that_does_not_stream(url: str) -> None:
    answer = {"statusCode": 202, "headers": {"x-plain": "1"}, "body": "buffered"}
    response = httpx.post(url, json={"plain": answer}, timeout=30)
    assert response.status_code == 202 and response.text == "buffered"
    assert response.headers["x-plain"] == "1"


def test_url_stream_failing_before_its_prelude(url: str) -> None:
    error = {"type": "Error", "body": {"errorType": "Error", "errorMessage": "early"}}
    event = {"chunks": [], "content_type": HTTP_INTEGRATION, "error": error}
    response = httpx.post(url, json=event, timeout=30)
    assert response.status_code == 502
    assert response.json() == {"Message": "Internal Server Error"}


def test_url_mid_stream_error_cuts_the_body_short(url: str) -> None:
    error = {"type": "Error", "body": {"errorType": "Error", "errorMessage": "late"}}
    event = {"chunks": [prelude(200, {}, []) + "part"], "content_type": HTTP_INTEGRATION}
    with httpx.stream("POST", url, json={**event, "error": error}, timeout=30) as response:
        assert response.status_code == 200
        received = b""
        # The connection ends without the chunked body's end: the client sees the error.
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            for piece in response.iter_raw():
                received += piece
        assert received == b"part"
    ok = {"chunks": [prelude(200, {}, []) + "whole"], "content_type": HTTP_INTEGRATION}
    assert httpx.post(url, json=ok, timeout=30).content == b"whole"  # ends as it should


def test_url_client_disconnecting_mid_stream(server: Server, url: str, fifo: Path) -> None:
    event = {"chunks": ["one", "two"], "wait": str(fifo)}
    # A client of its own, closed here: it closes the socket the unread stream leaves behind.
    with httpx.Client(timeout=30) as client, client.stream("POST", url, json=event) as response:
        assert next(response.iter_raw()) == b"one"
    release(fifo)  # the client is gone; the function finishes all the same
    drain(server.endpoint)
    assert httpx.post(url, json={"chunks": ["alive"]}, timeout=30).content == b"alive"


def test_buffered_url_still_answers_in_one_piece(lam: Any) -> None:
    name = deploy(lam, Timeout=10)
    buffered = stream_url(lam, name, "BUFFERED")
    response = httpx.post(buffered, json={"plain": {"statusCode": 200, "body": "b"}}, timeout=30)
    assert response.text == "b" and "content-length" in response.headers


def test_each_streamed_invocation_is_recorded_once(server: Server, lam: Any) -> None:
    name = deploy(lam, Timeout=10)
    split(list(events(lam, name, {"chunks": ["fine"]})))
    error = {"type": "Error", "body": {"errorType": "Error", "errorMessage": "x"}}
    split(list(events(lam, name, {"chunks": ["then"], "error": error})))
    drain(server.endpoint)
    cw = server.client("cloudwatch")
    now = time.time()

    def total(metric: str) -> float:
        points = cw.get_metric_statistics(
            Namespace="AWS/Lambda", MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - 3600, EndTime=now + 3600, Period=60, Statistics=["Sum"],
        )["Datapoints"]  # fmt: skip
        return sum(p["Sum"] for p in points)

    assert total("Invocations") == 2.0 and total("Errors") == 1.0
