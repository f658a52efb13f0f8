"""Runtime pieces that need no process: framing, error documents, context, exit reasons."""

from __future__ import annotations

import io
import json
import sys

import pytest

from lambdalite.runtime import bootstrap, framing
from lambdalite.runtime.context import LambdaContext
from lambdalite.sandbox.outcomes import exit_reason
from lambdalite.sandbox.protocol import FrameReader, ProtocolError


def _frame(kind: int, meta: dict[str, object] | None, payload: bytes) -> bytes:
    return b"".join(framing.frame_parts(kind, framing.encode_meta(meta), payload))


def test_frame_reader_reassembles_split_frames() -> None:
    data = _frame(framing.RESULT, {"rss_kb": 5}, b"abc") + _frame(framing.READY, None, b"")
    reader = FrameReader(max_payload=100)
    frames = [f for i in range(len(data)) for f in reader.feed(data[i : i + 1])]
    assert [(f.kind, f.meta, f.payload) for f in frames] == [
        (framing.RESULT, {"rss_kb": 5}, b"abc"),
        (framing.READY, {}, b""),
    ]


@pytest.mark.parametrize(
    "meta",
    [b'{"rss_kb":1234}', b'{"rss_kb": 7}', b'{"rss_kb":12,"x":1}', b'{"rss_kb":"a"}', b'{"a":1}'],
)
def test_frame_meta_reads_as_json_does(meta: bytes) -> None:
    """The runtime's usual {"rss_kb":N} is read without json; anything else goes to json."""
    import json

    frame = framing.HEADER.pack(framing.RESULT, len(meta), 2) + meta + b"ok"
    (got,) = FrameReader(max_payload=100).feed(frame)
    assert got.meta == json.loads(meta) and got.payload == b"ok"


def test_frame_reader_skips_oversized_payload_without_buffering() -> None:
    big = _frame(framing.RESULT, None, b"x" * 1000) + _frame(framing.ERROR, None, b"e")
    reader = FrameReader(max_payload=10)
    frames = reader.feed(big[:50]) + reader.feed(big[50:])
    assert [(f.kind, f.payload, f.payload_size) for f in frames] == [
        (framing.RESULT, b"", 1000),
        (framing.ERROR, b"e", 1),
    ]


def test_frame_reader_rejects_garbage() -> None:
    with pytest.raises(ProtocolError):
        FrameReader(10).feed(framing.HEADER.pack(4, 3, 0) + b"{{{")


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        (None, "Runtime exited without providing a reason"),
        (0, "Runtime exited without providing a reason"),
        (127, "Runtime exited with error: exit status 127"),
        (-9, "Runtime exited with error: signal: killed"),
        (-11, "Runtime exited with error: signal: segmentation fault"),
        (-6, "Runtime exited with error: signal: aborted"),
    ],
)
def test_exit_reasons_use_go_wording(code: int | None, reason: str) -> None:
    assert exit_reason(code) == reason


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': not enough values"),
        ("sys.handler", "Runtime.BuiltInModuleConflict", "Cannot use built-in module sys as"),
        ("no/such/mod.fn", "Runtime.ImportModuleError", "Unable to import module 'no/such/mod'"),
        ("json.nope", "Runtime.HandlerNotFound", "Handler 'nope' missing on module 'json'"),
    ],
)
def test_handler_string_faults(handler: str, error_type: str, message: str) -> None:
    with pytest.raises(bootstrap.Fault) as info:
        bootstrap.load_handler(handler)
    assert info.value.error_type == error_type
    assert info.value.msg.startswith(message)


def test_error_document_key_order_and_log_line(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = bootstrap.make_error("boom", "ValueError", ['  File "f.py", line 1, in h\n    x\n'], "r1")
    assert list(doc) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    out = io.StringIO()
    monkeypatch.setattr(sys, "stdout", out)
    bootstrap.log_error(doc)
    nbsp = "\u00a0"
    assert out.getvalue() == (
        "[ERROR] ValueError: boom\rTraceback (most recent call last):\r"
        f'{nbsp * 2}File "f.py", line 1, in h\r{nbsp * 4}x\n'
    )


def test_invoke_marshalling_and_user_frames(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    meta = {"id": "r1", "arn": "arn:x", "deadline_ms": 0}

    def fails(event: object, context: object) -> None:
        raise KeyError("k")

    kind, body = bootstrap.invoke(fails, meta, b"{}")
    doc = json.loads(body)
    assert kind == framing.ERROR and doc["errorType"] == "KeyError"
    assert all(bootstrap.RUNTIME_DIR not in line for line in doc["stackTrace"])
    assert bootstrap.invoke(lambda e, c: e, meta, b'{"a": [1]}') == (framing.RESULT, b'{"a": [1]}')
    kind, body = bootstrap.invoke(lambda e, c: e, meta, b"{bad")
    assert json.loads(body)["errorType"] == "Runtime.UnmarshalError"


def test_context_values() -> None:
    ctx = LambdaContext("r", "arn", 0, {"client": {"app_title": "t"}, "w3c": {}}, None, None)
    assert ctx.get_remaining_time_in_millis() == 0
    assert ctx.identity.cognito_identity_id is None
    assert ctx.client_context is not None and ctx.client_context.client.app_title == "t"
    assert ctx.client_context.custom is None


def test_context_takes_the_environment_facts_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """run() reads the per-environment values once; each context copies them, and a later
    change to the variables does not reach them (nor does it on AWS in practice)."""
    from lambdalite.runtime.context import EnvironmentFacts

    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "fn")
    monkeypatch.setenv("AWS_LAMBDA_LOG_STREAM_NAME", "stream")
    facts = EnvironmentFacts()
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "changed")
    seen: list[tuple[object, object]] = []

    def handler(event: object, context: LambdaContext) -> None:
        seen.append((context.function_name, context.log_stream_name))

    meta = {"id": "r1", "arn": "arn:x", "deadline_ms": 0}
    assert bootstrap.invoke(handler, meta, b"{}", facts) == (framing.RESULT, b"null")
    assert bootstrap.invoke(handler, meta, b"{}") == (framing.RESULT, b"null")
    assert seen == [("fn", "stream"), ("changed", "stream")]


def test_channel_carries_frames_over_pipes_both_ways() -> None:
    """The environment's channel: a request pipe in, an answer pipe out, EOF on close."""
    import os
    import threading

    from lambdalite.runtime import framing

    request_r, request_w = os.pipe()
    answer_r, answer_w = os.pipe()
    env = framing.Channel(request_r, answer_w)
    server = framing.Channel(answer_r, request_w)
    big = b"y" * 300_000  # more than a pipe holds: sendall must loop over partial writes
    try:
        sender = threading.Thread(
            target=framing.write_frame, args=(server, framing.INVOKE, {"id": "a"}, big)
        )
        sender.start()
        assert framing.FrameReader(env).read() == (framing.INVOKE, {"id": "a"}, big)
        sender.join()
        framing.write_frame_raw(env, framing.RESULT, b'{"rss_kb":1}', b"ok")
        assert framing.FrameReader(server).read() == (framing.RESULT, {"rss_kb": 1}, b"ok")
        assert env.fileno() == request_r  # what the runtime polls while it lingers
        os.close(request_w)
        assert framing.FrameReader(env).read() is None  # the server went away
    finally:
        env.close()
        os.close(answer_r)


def test_frame_reader_splits_and_joins_chunks() -> None:
    import socket

    from lambdalite.runtime import framing

    ours, theirs = socket.socketpair()
    try:
        frames = [
            (framing.INVOKE, {"id": "a"}, b"{}"),
            (framing.INVOKE, {"id": "b"}, b"x" * 200_000),  # larger than one recv
            (framing.INVOKE, None, b""),
        ]
        blob = b"".join(
            b"".join(framing.frame_parts(kind, framing.encode_meta(meta), payload))
            for kind, meta, payload in frames
        )
        reader = framing.FrameReader(theirs)
        import threading

        writer = threading.Thread(target=ours.sendall, args=(blob,))
        writer.start()
        got = [reader.read() for _ in frames]
        writer.join()
        assert got == [(k, m or {}, p) for k, m, p in frames]
        ours.close()
        assert reader.read() is None  # clean EOF at a frame boundary
    finally:
        theirs.close()
