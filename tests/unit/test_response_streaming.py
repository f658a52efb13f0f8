"""The pieces of response streaming on their own: event stream framing read back by
botocore's own parser, the chunk relay, the trailers' error and the URL prelude."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from botocore.eventstream import ChecksumMismatch, EventStreamBuffer

from lambdalite.api import eventstream
from lambdalite.gateway.responses import MalformedResponse
from lambdalite.gateway.streaming import parse_prelude
from lambdalite.sandbox.runtime_api.streamed import StreamedBody, is_streaming, stream_error
from lambdalite.sandbox.streaming import ResponseStream


def test_event_messages_parse_with_botocore() -> None:
    data = eventstream.event(b"PayloadChunk", b"\x00hello", b"application/octet-stream")
    data += eventstream.event(b"InvokeComplete", b"{}", b"application/json")
    buffer = EventStreamBuffer()
    buffer.add_data(data[:7])  # split anywhere: the reader waits for whole messages
    buffer.add_data(data[7:])
    messages = list(buffer)
    assert [m.headers[":event-type"] for m in messages] == ["PayloadChunk", "InvokeComplete"]
    assert messages[0].headers[":message-type"] == "event"
    assert messages[0].headers[":content-type"] == "application/octet-stream"
    assert messages[0].payload == b"\x00hello" and messages[1].payload == b"{}"


def test_a_corrupted_message_fails_its_checksum() -> None:
    data = bytearray(eventstream.event(b"PayloadChunk", b"payload", b"application/octet-stream"))
    data[-6] ^= 1
    buffer = EventStreamBuffer()
    buffer.add_data(bytes(data))
    with pytest.raises(ChecksumMismatch):
        list(buffer)


def test_chunks_are_read_in_order_and_joined_when_the_reader_lags() -> None:
    async def run() -> list[bytes]:
        stream = ResponseStream()
        stream.start("text/plain")
        stream.feed(b"a")
        stream.feed(b"b")
        got = []
        reader = stream.chunks()
        got.append(await anext(reader))
        asyncio.get_running_loop().call_soon(stream.feed, b"c")
        got.append(await anext(reader))
        stream.end()
        got += [chunk async for chunk in reader]
        return got

    assert asyncio.run(run()) == [b"ab", b"c"]


def test_the_limit_ends_the_stream_and_tells_once() -> None:
    async def run() -> tuple[ResponseStream, list[str]]:
        stream = ResponseStream(limit=5)
        told: list[str] = []
        body = StreamedBody(stream, lambda: told.append("over"))
        for piece in (b"abc", b"de", b"f", b"gh"):
            body.feed(piece)
        return stream, told

    stream, told = asyncio.run(run())
    assert stream.overflowed and stream.ended and told == ["over"]
    assert stream.size == 6


def test_an_abandoned_stream_drops_what_comes() -> None:
    async def run() -> list[bytes]:
        stream = ResponseStream()
        stream.feed(b"kept")
        stream.abandon()
        stream.feed(b"dropped")
        stream.end()
        return [chunk async for chunk in stream.chunks()]

    assert asyncio.run(run()) == []


def test_the_trailers_error() -> None:
    doc = {"errorType": "Error", "errorMessage": "boom"}
    body = base64.b64encode(json.dumps(doc).encode())
    trailers = {
        b"lambda-runtime-function-error-type": b"Error",
        b"lambda-runtime-function-error-body": body,
    }
    assert json.loads(stream_error(trailers) or b"") == doc
    only_type = stream_error({b"lambda-runtime-function-error-type": b"Runtime.Bad"})
    assert json.loads(only_type or b"")["errorType"] == "Runtime.Bad"
    assert stream_error({}) is None and stream_error({b"other": b"x"}) is None
    assert is_streaming({b"lambda-runtime-function-response-mode": b"Streaming"})
    assert not is_streaming({})


def test_the_url_prelude() -> None:
    head = parse_prelude(b'{"statusCode": 404, "headers": {"a": "b"}, "cookies": ["c=d"]}')
    assert head.status == 404 and head.headers == [("a", "b"), ("set-cookie", "c=d")]
    assert parse_prelude(b"").status == 200
    for bad in (b"not json", b"[]", b'{"statusCode": "x"}', b'{"statusCode": 99}'):
        with pytest.raises(MalformedResponse):
            parse_prelude(bad)
