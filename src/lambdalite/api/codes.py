"""lambdalite's own routes under /_lambdalite/: health and code download."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import lambdalite
from lambdalite.api import metrics_routes, stacks_api
from lambdalite.api.gateway_admin import PREFIX as GATEWAY_APIS
from lambdalite.api.gateway_admin import gateway_apis
from lambdalite.api.http import JSON, Headers, Request
from lambdalite.asyncq import journey
from lambdalite.clock import VirtualClock
from lambdalite.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    UnknownOperationException,
)
from lambdalite.esm.stats import PollerStats
from lambdalite.fast_forward import fast_forward
from lambdalite.platform import DRAIN_TIMEOUT_S, Platform
from lambdalite.sandbox.interpreters import describe_runtimes


async def internal_route(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    if request.path == "/_lambdalite/health":
        body = json.dumps({"status": "running", "version": lambdalite.__version__}).encode()
        return 200, [(b"content-type", JSON)], body
    if request.path == "/_lambdalite/clock":
        return await _clock(p, request)
    if request.path == "/_lambdalite/drain" and request.method == "POST":
        return await _drain(p, request)
    if request.path == "/_lambdalite/runtimes":
        runtimes = await asyncio.to_thread(describe_runtimes)
        return 200, [(b"content-type", JSON)], json.dumps(runtimes).encode()
    if request.path == "/_lambdalite/async-events" and request.method == "GET":
        return await _async_events(p, request)
    if request.path == "/_lambdalite/mapping-stats" and request.method == "GET":
        return await _mapping_stats(p)
    if request.path.startswith(stacks_api.PREFIXES):
        return await stacks_api.route(p, request)
    if request.path.startswith(GATEWAY_APIS):
        return await gateway_apis(p, request)
    if request.path == "/_lambdalite/metrics" and request.method == "GET":
        return await metrics_routes.scrape(p)
    if request.path.startswith("/_lambdalite/code/") and request.method == "GET":
        return await _code_zip(p, request.path.removeprefix("/_lambdalite/code/"))
    raise UnknownOperationException(f"Unknown operation {request.method} {request.path}")


async def _mapping_stats(p: Platform) -> tuple[int, Headers, bytes]:
    every: dict[str, PollerStats] = {**p.stream_deps.stats, **p.sqs_pollers.stats}
    for stats in every.values():
        await stats.refresh()
    body = {uuid: stats.to_json() for uuid, stats in every.items()}
    return 200, [(b"content-type", JSON)], json.dumps(body).encode()


async def _code_zip(p: Platform, name: str) -> tuple[int, Headers, bytes]:
    config = await p.functions.latest(name)
    if config.code.zip_path is None:
        raise ResourceNotFoundException("This function runs from a local directory; no zip.")
    data = await asyncio.to_thread(Path(config.code.zip_path).read_bytes)
    return 200, [(b"content-type", b"application/zip")], data


async def _clock(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    """GET: the platform's time. POST {"advance": seconds}: move a virtual clock forward;
    with "drain": true, through every deadline on the way, draining at each
    (fast_forward.py), answering 408 if that took longer than "timeout" seconds."""
    clock = p.clock
    drained: bool | None = None
    if request.method == "POST":
        if not isinstance(clock, VirtualClock):
            raise InvalidParameterValueException(
                "The clock is not virtual; start the server with --clock virtual."
            )
        try:
            doc = json.loads(request.body or b"{}")
            seconds = float(doc.get("advance", 0))
            if doc.get("drain"):
                timeout = float(doc.get("timeout", DRAIN_TIMEOUT_S))
                drained = await fast_forward(clock, seconds, p.drain, timeout)
            else:
                clock.advance(seconds)
        except (ValueError, TypeError, AttributeError) as exc:
            raise InvalidParameterValueException(f"Cannot advance the clock: {exc}") from None
    body: dict[str, object] = {"now": clock.now(), "virtual": isinstance(clock, VirtualClock)}
    if drained is not None:
        body["drained"] = drained
    return (408 if drained is False else 200), [(b"content-type", JSON)], json.dumps(body).encode()


async def _drain(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    """POST [{"timeout": seconds}]: answer once everything due by now is settled (the test
    hook); 200 {"drained": true, "now": ...}, or 408 when the timeout passed first."""
    try:
        timeout = float(json.loads(request.body or b"{}").get("timeout", DRAIN_TIMEOUT_S))
    except (ValueError, TypeError, AttributeError) as exc:
        raise InvalidParameterValueException(f"Cannot drain: {exc}") from None
    drained = await p.drain(timeout)
    doc: dict[str, object] = {"drained": drained, "now": p.clock.now()}
    if not drained:
        doc["waitingOn"] = p.drain_waited_on
    body = json.dumps(doc).encode()
    return (200 if drained else 408), [(b"content-type", JSON)], body


async def _async_events(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    """?function=NAME[&limit=N]: recent async events; ?request-id=ID: one event's journey."""
    store = p.async_queue.async_store
    request_id = request.query_value("request-id")
    if request_id:
        doc = await journey.event_journey(store, request_id)
        if doc is None:
            raise ResourceNotFoundException(f"No asynchronous event with request id {request_id}")
    else:
        name = request.query_value("function") or ""
        limit = request.query_value("limit") or str(journey.DEFAULT_LIMIT)
        if not name or not limit.isdigit():
            raise InvalidParameterValueException("Give ?function=NAME[&limit=N] or ?request-id=ID")
        doc = await journey.recent_events(store, name, int(limit))
    return 200, [(b"content-type", JSON)], json.dumps(doc).encode()
