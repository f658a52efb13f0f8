"""InvokeWithResponseStream (spec 2.9): the response is an event stream (api/eventstream.py)
of `PayloadChunk` events, sent as the runtime streams them, then one `InvokeComplete`
carrying a mid-stream error (ErrorCode, ErrorDetails) and the log tail (LogResult).

A function that answers in one piece (every Python function, a custom runtime posting a
plain response) gets one PayloadChunk with its payload, as on AWS. Refusals before the
function runs (bad input, throttles, a function not active) are the usual error documents;
once the stream's head is out, every failure is told in InvokeComplete.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from lambdalite.api import eventstream
from lambdalite.api.errors import error_response
from lambdalite.api.http import Headers, Receive, Scope, Send, read_request, respond
from lambdalite.api.lambda_api.invoke import (
    LOG_TAIL_BYTES,
    LOG_TYPES,
    SYNC_PAYLOAD_LIMIT,
    _enum_header,
    check_json,
    decode_client_context,
    trace_header_for,
)
from lambdalite.invoke.invoker import new_request_id
from lambdalite.invoke.resolve import resolve_target
from lambdalite.observe.trace import TRACE_HEADER
from lambdalite.platform import Platform
from lambdalite.sandbox.streaming import ResponseStream, StreamedRun
from lambdalite.sandbox.types import InvocationResult

OPERATION = "InvokeWithResponseStream"
INVOCATION_TYPES = ("RequestResponse", "DryRun")
_PATH = re.compile(r"^/2021-11-15/functions/([^/]+)/response-streaming-invocations$")
_OCTETS = b"application/octet-stream"


def stream_target(method: str, path: str) -> str | None:
    """The FunctionName path member when this request is an InvokeWithResponseStream."""
    match = _PATH.match(path) if method == "POST" else None
    return None if match is None else match.group(1)


async def invoke_with_response_stream(
    p: Platform, scope: Scope, receive: Receive, send: Send, raw_name: str
) -> None:
    request_id = new_request_id()
    try:
        head, run, tail = await _start(p, scope, receive, raw_name, request_id)
    except Exception as exc:
        status, headers, body = error_response(exc, request_id)
        p.api_requests.count("lambda", OPERATION, status)
        await respond(send, status, headers, body)
        return
    p.api_requests.count("lambda", OPERATION, 200 if run is not None else 204)
    if run is None:  # DryRun
        await respond(send, 204, head, b"")
        return
    await send({"type": "http.response.start", "status": 200, "headers": head})
    try:
        if run.stream.started:
            async for chunk in run.stream.chunks():
                await _send(send, eventstream.event(b"PayloadChunk", chunk, _OCTETS))
            complete = await _complete(run, tail)
        else:
            result = await run.result()
            if result.payload and not result.function_error:
                await _send(send, eventstream.event(b"PayloadChunk", result.payload, _OCTETS))
            complete = _complete_event(result, tail)
    finally:
        run.abandon()  # no-op once the run is over; else it finishes unread
    await send({"type": "http.response.body", "body": complete, "more_body": False})


async def _start(
    p: Platform, scope: Scope, receive: Receive, raw_name: str, request_id: str
) -> tuple[Headers, StreamedRun | None, bool]:
    """Validate, resolve and start the run; returns the response head, the run (None for
    DryRun) and whether the log tail was asked for. Raises what the caller is refused."""
    request = await read_request(scope, receive, SYNC_PAYLOAD_LIMIT, OPERATION)
    headers = request.headers
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    _enum_header(invocation_type, "invocationType", INVOCATION_TYPES)
    log_type = headers.get("x-amz-log-type", "None")
    _enum_header(log_type, "logType", LOG_TYPES)
    qualifier = request.query_value("Qualifier") if request.query_string else None
    s = p.settings
    target = await resolve_target(p.store, raw_name, qualifier, s.region, s.account_id)
    payload = check_json(request.body)
    head: Headers = [(b"x-amzn-requestid", request_id.encode())]
    if invocation_type == "DryRun":
        return head, None, False
    client_context = decode_client_context(headers.get("x-amz-client-context"))
    trace_id = trace_header_for(target, headers.get(TRACE_HEADER), p.clock.now())
    stream = ResponseStream()
    call = p.invoker.invoke(
        target, payload, request_id=request_id, client_context=client_context,
        want_log_tail=log_type == "Tail", trace_id=trace_id, stream=stream,
    )  # fmt: skip
    run = StreamedRun(call, stream)
    if not await run.started():
        await run.result()  # a refusal (throttle, SnapStart) raises here, before any head
    head += [
        (b"content-type", eventstream.CONTENT_TYPE),
        (b"x-amz-executed-version", target.config.version.encode()),
    ]
    return head, run, log_type == "Tail"


async def _send(send: Send, data: bytes) -> None:
    await send({"type": "http.response.body", "body": data, "more_body": True})


async def _complete(run: StreamedRun, tail: bool) -> bytes:
    try:
        result = await run.result()
    except Exception as exc:  # raised after the run (a failed SnapStart restore)
        return _invoke_complete({"ErrorCode": type(exc).__name__, "ErrorDetails": str(exc)})
    return _complete_event(result, tail)


def _complete_event(result: InvocationResult, tail: bool) -> bytes:
    fields: dict[str, Any] = {}
    if result.function_error:
        fields["ErrorCode"], fields["ErrorDetails"] = _error_fields(result.payload)
    if tail:
        fields["LogResult"] = base64.b64encode(result.log_tail.encode()[-LOG_TAIL_BYTES:]).decode()
    return _invoke_complete(fields)


def _invoke_complete(fields: dict[str, Any]) -> bytes:
    return eventstream.event(b"InvokeComplete", json.dumps(fields).encode(), b"application/json")


def _error_fields(document: bytes) -> tuple[str, str]:
    """ErrorCode: the error's type; ErrorDetails: its message (the document itself when it
    is not one of Lambda's error objects). Unconfirmed against AWS recordings."""
    try:
        doc = json.loads(document)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        return "Unhandled", document.decode("utf-8", "replace")
    error_type, message = doc.get("errorType"), doc.get("errorMessage")
    return (
        error_type if isinstance(error_type, str) and error_type else "Unhandled",
        message if isinstance(message, str) else document.decode("utf-8", "replace"),
    )
