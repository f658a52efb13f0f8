"""The console's HTTP face: pages under `/_lambdalite/ui/`, their JSON twins under
`/_lambdalite/api/`, HTML fragments for live regions, static assets and the live stream.

Every page and its twin render the same view model (console/views.py and neighbours).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any
from urllib.parse import unquote

from lambdalite.api import console_actions, coverage, metrics_routes, sse
from lambdalite.api.errors import error_response
from lambdalite.api.http import JSON, Headers, Receive, Request, Scope, Send, decode_headers
from lambdalite.console import (
    dlq_view,
    journey_view,
    live,
    mappings_view,
    resources_view,
    views,
)
from lambdalite.console.guard import Forbidden, Guard
from lambdalite.console.logfilter import compile_filter
from lambdalite.console.render import render
from lambdalite.errors import AwsError, InvalidParameterValueException, UnknownOperationException
from lambdalite.invoke.invoker import new_request_id
from lambdalite.platform import Platform

UI = "/_lambdalite/ui"
API = "/_lambdalite/api"
HTML = b"text/html; charset=utf-8"
STREAM_PATH = f"{UI}/stream"
CHARTS = f"{API}/metrics"
TAIL_LINES = 200
_TYPES = {".js": b"text/javascript", ".css": b"text/css", ".md": b"text/markdown"}
_SECURITY = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"content-security-policy", b"default-src 'self'; style-src 'self' 'unsafe-inline'"),
]

Model = Callable[[Platform, Request, str], Awaitable[dict[str, Any]]]


def _int(request: Request, name: str, default: int) -> int:
    value = request.query_value(name)
    if value is None or value == "":
        return default
    if not value.isdigit():
        raise InvalidParameterValueException(f"{name} must be a whole number")
    return int(value)


async def _overview(p: Platform, request: Request, _: str) -> dict[str, Any]:
    return await views.overview(p)


async def _function(p: Platform, request: Request, name: str) -> dict[str, Any]:
    return await views.function_detail(p, name, failed_only=request.query_value("failed") == "1")


async def _invocations(p: Platform, request: Request, request_id: str) -> dict[str, Any]:
    if request_id:
        return await views.invocation(p, request_id)
    before = request.query_value("before")
    return await views.invocations(
        p,
        request.query_value("function") or "",
        limit=_int(request, "limit", views.DEFAULT_LIMIT),
        failed_only=request.query_value("failed") == "1",
        before_id=int(before) if before and before.isdigit() else None,
    )


async def _journey(p: Platform, request: Request, request_id: str) -> dict[str, Any]:
    return await journey_view.journey_view(p, request_id or request.query_value("request-id") or "")


async def _dlq(p: Platform, request: Request, name: str) -> dict[str, Any]:
    return await (dlq_view.dlq_queue(p, name) if name else dlq_view.dlq_list(p))


async def _clock(p: Platform, request: Request, _: str) -> dict[str, Any]:
    return {"clock": views.clock_view(p)}


async def _logs(p: Platform, request: Request, _: str) -> dict[str, Any]:
    group = request.query_value("group") or ""
    keep = compile_filter(request.query_value("filter") or "")
    found = await p.backend.logs.tail(group, _int(request, "limit", TAIL_LINES) * 5)
    lines = [{"timestamp": e.timestamp_ms, "message": e.message} for e in found if keep(e.message)]
    return {"logGroup": group, "lines": lines[-TAIL_LINES:]}


async def _mappings(p: Platform, request: Request, _: str) -> dict[str, Any]:
    return await mappings_view.mappings_list(p)


async def _batch(p: Platform, request: Request, batch_id: str) -> dict[str, Any]:
    return await mappings_view.batch_view(p, batch_id or request.query_value("request-id") or "")


async def _resources(p: Platform, request: Request, arg: str) -> dict[str, Any]:
    if not arg:
        return await resources_view.resources_list(p)
    kind, _, name = arg.partition("/")
    return await resources_view.resource(p, kind, name)


@functools.cache
def _coverage_doc() -> dict[str, Any]:
    """The coverage twin's document (routing is fixed once the server runs)."""
    from lambdalite.api.app import served_operations  # app imports this module

    return coverage.to_json(coverage.build(served_operations()))


async def _coverage(p: Platform, request: Request, _: str) -> dict[str, Any]:
    return {**_coverage_doc(), "clock": views.clock_view(p)}


# name -> (view model, page template, fragment template)
SCREENS: dict[str, tuple[Model, str, str]] = {
    "overview": (_overview, "overview.html", "_overview_rows.html"),
    "functions": (_function, "function.html", "_invocation_rows.html"),
    "invocations": (_invocations, "_invocation.html", "_invocation_rows.html"),
    "events": (_journey, "journey.html", "_journey.html"),
    "journey": (_journey, "journey.html", "_journey.html"),
    "dlq": (_dlq, "dlq.html", "dlq.html"),
    "clock": (_clock, "clock.html", "clock.html"),
    "logs": (_logs, "_log_lines.html", "_log_lines.html"),
    "mappings": (_mappings, "mappings.html", "_mapping_rows.html"),
    "batches": (_batch, "batch.html", "_batch.html"),
    "resources": (_resources, "resources.html", "resources.html"),
    "coverage": (_coverage, "coverage.html", "coverage.html"),
}
# Screens whose page for one item is not their list page.
_PAGES_OF_ONE = {"dlq": "dlq_queue.html", "resources": "resource.html"}
_ROUTE = re.compile(r"^/(?:(?P<screen>[a-z]+)(?:/(?P<arg>[^/]+(?:/[^/]+)?))?)?/?$")
_TWO_SEGMENTS = {"resources"}  # /resources/<kind>/<name>


class ConsoleApi:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.guard = Guard(platform.settings.host)
        static = resources.files("lambdalite.console").joinpath("static")
        self._static = {
            f"{UI}/static/{sub}{f.name}": f
            for sub, folder in (("", static), ("vendor/", static.joinpath("vendor")))
            for f in folder.iterdir()
            if f.is_file()
        }

    @staticmethod
    def claims(path: str) -> bool:
        return path == UI or path.startswith((UI + "/", API + "/"))

    async def stream(self, scope: Scope, receive: Receive, send: Send) -> bool:
        """Serve the live stream if this is its request; False if it is not."""
        if scope["path"] != STREAM_PATH or scope["method"] != "GET":
            return False
        headers = decode_headers(scope["headers"])
        try:
            self.guard.check_host(headers)
        except Forbidden as exc:
            await _respond(send, 403, [(b"content-type", b"text/plain")], str(exc).encode())
            return True
        request = Request("GET", scope["path"], b"", scope.get("query_string", b""), headers, b"")
        topics = request.query.get("topic", [])
        source = live.messages(self.platform, topics, request.query_value("filter") or "")
        await sse.stream(scope, receive, send, source)
        return True

    async def handle(self, request: Request) -> tuple[int, Headers, bytes]:
        json_twin = request.path.startswith(API + "/")
        try:
            self.guard.check_host(request.headers)
            if request.method == "POST":
                return await console_actions.handle(self, request, json_twin)
            if request.method != "GET":
                raise UnknownOperationException(
                    f"Unknown operation {request.method} {request.path}"
                )
            return await self._get(request, json_twin)
        except Forbidden as exc:
            return 403, [(b"content-type", b"text/plain; charset=utf-8")], str(exc).encode()
        except Exception as exc:
            if json_twin:
                return error_response(exc, new_request_id())
            return self.error_page(exc, fragment=request.path.startswith(f"{UI}/fragments/"))

    async def _get(self, request: Request, json_twin: bool) -> tuple[int, Headers, bytes]:
        if request.path == CHARTS:  # the charts' twin: one series, by GetMetricData's code
            return metrics_routes.chart(self.platform, request)
        static = self._static.get(request.path)
        if static is not None:
            kind = _TYPES.get(static.name[static.name.rfind(".") :], b"application/octet-stream")
            return (
                200,
                [(b"content-type", kind), (b"cache-control", b"max-age=300")],
                static.read_bytes(),
            )
        base = API if json_twin else UI
        fragment = request.path.startswith(f"{UI}/fragments/")
        rest = request.path.removeprefix(f"{UI}/fragments" if fragment else base)
        match = _ROUTE.match(rest)
        screen = (match.group("screen") or "overview") if match else None
        if match and "/" in (match.group("arg") or "") and screen not in _TWO_SEGMENTS:
            screen = None
        if screen is None or screen not in SCREENS:
            raise UnknownOperationException(f"Unknown operation GET {request.path}")
        model, page, part = SCREENS[screen]
        arg = unquote(match.group("arg") or "") if match else ""
        doc = await model(self.platform, request, arg)
        if json_twin:
            return 200, [(b"content-type", JSON)], json.dumps(doc).encode()
        if arg and not fragment:
            page = _PAGES_OF_ONE.get(screen, page)
        body = render(part if fragment else page, csrf=self.guard.token, **doc)
        return 200, [(b"content-type", HTML), *_SECURITY], body

    def error_page(self, exc: Exception, *, fragment: bool = False) -> tuple[int, Headers, bytes]:
        """The error as a page, or for a live region's fetch as a fragment it can show."""
        if not isinstance(exc, AwsError):
            status, headers, _ = error_response(exc, new_request_id())  # logs it
            code, message = "ServiceException", "Internal error"
        else:
            status, code, message = exc.status_code, exc.wire_code, str(exc)
        body = render("_error.html" if fragment else "error.html", code=code, message=message)
        return status, [(b"content-type", HTML), *_SECURITY], body


async def _respond(send: Send, status: int, headers: Headers, body: bytes) -> None:
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
