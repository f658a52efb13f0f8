"""The ASGI application: one endpoint, routed by protocol markers to each service."""

from __future__ import annotations

import gc
import json
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote

from lambdalite.api import (
    cloudwatch_api,
    codes,
    coverage,
    events_api,
    kinesis_api,
    logs_api,
    sns_api,
    sqs_api,
)
from lambdalite.api.console_api import STREAM_PATH, ConsoleApi
from lambdalite.api.dispatch import Dispatcher, ServiceSpec
from lambdalite.api.errors import error_response
from lambdalite.api.http import (
    JSON,
    Headers,
    Receive,
    Request,
    Scope,
    Send,
    read_request,
    remember_endpoint,
    respond,
)
from lambdalite.api.lambda_api import (
    aliases,
    concurrency,
    event_invoke_config,
    event_source_mappings,
    function_urls,
    functions,
    layers,
    permissions,
    provisioned,
)
from lambdalite.api.lambda_api.invoke import SYNC_PAYLOAD_LIMIT, invoke
from lambdalite.api.lambda_api.invoke_stream import invoke_with_response_stream, stream_target
from lambdalite.api.rest_json import RestJsonRouter, parse_request, serialize_response
from lambdalite.api.service_model import load_service
from lambdalite.errors import UnknownOperationException
from lambdalite.invoke.invoker import new_request_id
from lambdalite.platform import Platform

log = logging.getLogger(__name__)

Operation = Callable[[Platform, dict[str, Any]], Awaitable[dict[str, Any]]]
LAMBDA_OPERATIONS: dict[str, Operation] = {
    **functions.OPERATIONS,
    **aliases.OPERATIONS,
    **concurrency.OPERATIONS,
    **event_invoke_config.OPERATIONS,
    **event_source_mappings.OPERATIONS,
    **permissions.OPERATIONS,
    **function_urls.OPERATIONS,
    **layers.OPERATIONS,
    **provisioned.OPERATIONS,
}
CONTROL_BODY_LIMIT = 75 * 1024 * 1024  # a 50 MB zip, base64-encoded, with room to spare
_INVOKE_PATH = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
# The json/query services served next to Lambda, routed by api/dispatch.py.
SERVICES: tuple[ServiceSpec, ...] = (
    logs_api.SERVICE,
    kinesis_api.SERVICE,
    sqs_api.SERVICE,
    sns_api.SERVICE,
    events_api.SERVICE,
    cloudwatch_api.SERVICE,
)


COVERAGE_PATH = "/_lambdalite/api/coverage"


def served_operations() -> dict[str, frozenset[str]]:
    """Per botocore service name, the operations this app routes: read off the tables above
    and the Invoke fast path, so coverage (api/coverage.py) cannot drift from routing. A new
    way of routing a service must be added here."""
    model = load_service("lambda")
    fast = set()
    for name in model.operation_names:
        http = model.operation_model(name).http
        sample = re.sub(r"\{[^}]+\}", "x", http["requestUri"].partition("?")[0])
        if LambdaliteApp.invoke_target(http["method"], sample) is not None:
            fast.add(name)
        if stream_target(http["method"], sample) is not None:
            fast.add(name)  # streamed from the ASGI app itself
    served = {"lambda": frozenset(LAMBDA_OPERATIONS) | fast}
    served.update((spec.name, frozenset(spec.operations)) for spec in SERVICES)
    return served


class LambdaliteApp:
    def __init__(
        self, platform: Platform, on_started: Callable[[Platform], Awaitable[None]] | None = None
    ) -> None:
        self.platform = platform
        self._on_started = on_started
        self._lambda_router = RestJsonRouter(load_service("lambda"), set(LAMBDA_OPERATIONS))
        self._dispatcher = Dispatcher(SERVICES)
        self.console = ConsoleApi(platform)  # the web console and its JSON twins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.platform.start()
                    if self._on_started is not None:
                        await self._on_started(self.platform)
                except Exception as exc:
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                # Everything loaded at start-up (botocore's models above all) lives as long as
                # the server: keep it out of the cyclic collector's full passes, which would
                # otherwise stall requests for milliseconds.
                gc.freeze()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.platform.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == STREAM_PATH and await self.console.stream(scope, receive, send):
            return
        streamed = stream_target(scope["method"], scope["path"])
        if streamed is not None:
            name = _unquote(streamed)
            await invoke_with_response_stream(self.platform, scope, receive, send, name)
            return
        try:
            raw_name = self.invoke_target(scope["method"], scope["path"])
            if raw_name is not None:
                request = await read_request(scope, receive, SYNC_PAYLOAD_LIMIT, "InvokeFunction")
                status, headers, body = await self.invoke(request, raw_name)
            else:
                status, headers, body = await self._other(scope, receive)
        except Exception as exc:
            status, headers, body = error_response(exc, new_request_id())
        await respond(send, status, headers, body)

    @staticmethod
    def invoke_target(method: str, path: str) -> str | None:
        """The FunctionName path member when this request is an Invoke, else None."""
        if method != "POST":
            return None
        match = _INVOKE_PATH.match(path)
        return None if match is None else _unquote(match.group(1))

    async def invoke(self, request: Request, raw_name: str) -> tuple[int, Headers, bytes]:
        """Invoke, with any failure as its AWS error document. Also called straight from
        the HTTP protocol (api/server_protocol.py), without an ASGI cycle."""
        try:
            response = await invoke(self.platform, request, raw_name)
        except Exception as exc:
            response = error_response(exc, new_request_id())
        self.platform.api_requests.count("lambda", "Invoke", response[0])
        return response

    async def _other(self, scope: Scope, receive: Receive) -> tuple[int, Headers, bytes]:
        request = await read_request(scope, receive, CONTROL_BODY_LIMIT, "Lambda")
        remember_endpoint(request)
        if request.path == COVERAGE_PATH and request.method == "GET":
            doc = coverage.to_json(coverage.build(served_operations()))
            return 200, [(b"content-type", JSON)], json.dumps(doc).encode()
        if self.console.claims(request.path):
            return await self.console.handle(request)
        if request.path.startswith("/_lambdalite/"):
            return await codes.internal_route(self.platform, request)
        moto_route = self.platform.moto.route(request)  # S3, DynamoDB (embedded moto)
        if moto_route is not None:
            return await self.platform.moto.handle(request, moto_route)
        if self._dispatcher.claims(request):
            return await self._dispatcher.handle(self.platform, request)
        match = self._lambda_router.match(
            request.method, request.raw_path.decode("latin-1"), request.query
        )
        if match is None:
            raise UnknownOperationException(f"Unknown operation {request.method} {request.path}")
        try:
            params = parse_request(
                match.operation, match.uri_params, request.query, request.headers, request.body
            )
            output = await LAMBDA_OPERATIONS[match.operation.name](self.platform, params)
            status, headers, body = serialize_response(match.operation, output)
        except Exception as exc:
            status, headers, body = error_response(exc, new_request_id())
            self.platform.api_requests.count("lambda", match.operation.name, status)
            return status, headers, body
        self.platform.api_requests.count("lambda", match.operation.name, status)
        headers.append((b"x-amzn-requestid", new_request_id().encode()))
        if body and not any(k == b"content-type" for k, _ in headers):
            headers.append((b"content-type", JSON))
        return status, headers, body


def _unquote(segment: str) -> str:
    return unquote(segment) if "%" in segment else segment
