"""Invoke (spec 2): the hot path, parsed by hand so that a warm call costs microseconds."""

from __future__ import annotations

import base64
import binascii
import json

from lambdalite.api.http import JSON, Headers, Request
from lambdalite.errors import (
    InvalidRequestContentException,
    RequestTooLargeException,
    ValidationException,
)
from lambdalite.invoke.invoker import new_request_id
from lambdalite.invoke.resolve import Target, resolve_target
from lambdalite.observe import trace
from lambdalite.observe.trace import TRACE_HEADER
from lambdalite.platform import Platform

SYNC_PAYLOAD_LIMIT = 6_291_456
EVENT_PAYLOAD_LIMIT = 1_048_576  # spec 3.1: 1 MB since October 2025
LOG_TAIL_BYTES = 4096
CLIENT_CONTEXT_LIMIT = 3583
INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")
LOG_TYPES = ("None", "Tail")


def _enum_header(value: str, member: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy "
            f"constraint: Member must satisfy enum value set: [{', '.join(allowed)}]"
        )


def check_json(body: bytes) -> bytes:
    if not body:
        return b"{}"
    try:
        json.loads(body)
    except UnicodeDecodeError as exc:
        raise InvalidRequestContentException(
            "Could not parse request body into json: Could not parse payload into json: "
            f"Invalid UTF-8 start byte 0x{body[exc.start]:02x}"
        ) from None
    except ValueError as exc:
        raise InvalidRequestContentException(
            f"Could not parse request body into json: Could not parse payload into json: {exc}"
        ) from None
    return body


def decode_client_context(raw: str | None) -> str | None:
    if raw is None:
        return None
    if len(raw) > CLIENT_CONTEXT_LIMIT:
        raise ValidationException(
            f"1 validation error detected: Value '{raw}' at 'clientContext' failed to satisfy "
            f"constraint: Member must have length less than or equal to {CLIENT_CONTEXT_LIMIT}"
        )
    try:
        text = base64.b64decode(raw, validate=True).decode()
        json.loads(text)
    except (binascii.Error, ValueError):
        raise InvalidRequestContentException(
            "Client context must be a valid Base64-encoded JSON object."
        ) from None
    return text


async def invoke(p: Platform, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
    headers = request.headers
    invocation_type = headers.get("x-amz-invocation-type", "RequestResponse")
    _enum_header(invocation_type, "invocationType", INVOCATION_TYPES)
    log_type = headers.get("x-amz-log-type", "None")
    _enum_header(log_type, "logType", LOG_TYPES)
    qualifier = request.query_value("Qualifier") if request.query_string else None
    s = p.settings
    target = await resolve_target(p.store, raw_name, qualifier, s.region, s.account_id)
    trace_header = trace_header_for(target, headers.get(TRACE_HEADER), p.clock.now())
    if invocation_type == "Event":
        return await invoke_event(p, target, request.body, trace_header=trace_header)
    payload = check_json(request.body)
    request_id = new_request_id()
    if invocation_type == "DryRun":
        return 204, [(b"x-amzn-requestid", request_id.encode())], b""
    client_context = decode_client_context(headers.get("x-amz-client-context"))
    _, result = await p.invoker.invoke(
        target,
        payload,
        request_id=request_id,
        client_context=client_context,
        want_log_tail=log_type == "Tail",
        trace_id=trace_header,
    )
    out: Headers = [
        (b"content-type", JSON),
        (b"x-amzn-requestid", request_id.encode()),
        (b"x-amz-executed-version", result.executed_version.encode()),
    ]
    if result.function_error:
        out.append((b"x-amz-function-error", result.function_error.encode()))
    if log_type == "Tail":
        tail = result.log_tail.encode()[-LOG_TAIL_BYTES:]
        out.append((b"x-amz-log-result", base64.b64encode(tail)))
    return 200, out, result.payload


def trace_header_for(target: Target, incoming: str | None, now: float) -> str:
    return trace.for_invocation(incoming, target.config.tracing_mode, now)


async def invoke_event(
    p: Platform,
    target: Target,
    body: bytes,
    *,
    limit: int = EVENT_PAYLOAD_LIMIT,
    trace_header: str | None = None,
) -> tuple[int, Headers, bytes]:
    """InvocationType Event: 202 once the event is committed; the queue does the rest."""
    if len(body) > limit:
        raise RequestTooLargeException(
            f"{len(body)} byte payload is too large for the Event invocation type "
            f"(limit {limit} bytes)"
        )
    payload = check_json(body)
    request_id = await p.async_queue.accept(target, payload, trace_header=trace_header)
    return 202, [(b"x-amzn-requestid", request_id.encode())], b""
