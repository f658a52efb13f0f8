"""One gateway request, end to end: match, build the event, invoke with the integration
timeout, map the answer, or answer with the gateway's own error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from lambdalite.api.eager import start_eagerly
from lambdalite.config import Settings
from lambdalite.errors import TooManyRequestsException
from lambdalite.gateway import cors, errors
from lambdalite.gateway.events import EventContext, alb_event, encode, http_event, rest_event
from lambdalite.gateway.locate import ApiTarget, UrlTarget
from lambdalite.gateway.model import ApiKind, Route
from lambdalite.gateway.request import GatewayRequest, is_text, media_type_matches
from lambdalite.gateway.responses import (
    HttpResponse,
    MalformedResponse,
    alb_response,
    v1_response,
    v2_response,
)
from lambdalite.gateway.streaming import Cut, Decorate, Send, stream_url
from lambdalite.gateway.urls import FunctionUrls
from lambdalite.invoke.invoker import Invoker, new_request_id
from lambdalite.invoke.resolve import FunctionReader, Target, resolve_target
from lambdalite.observe.outcome import Trigger
from lambdalite.sandbox.streaming import ResponseStream, StreamedRun
from lambdalite.sandbox.types import InvocationResult

log = logging.getLogger(__name__)
SYNC_PAYLOAD_LIMIT = 6_291_456  # Lambda's synchronous payload quota (spec 11.1)
# A function whose own timeout ends this long before the integration's needs no timer
# of ours: the sandbox stops it first (cold start included).
_MARGIN_MS = 1_000


class TimedOut(Exception):
    """The integration timeout passed first; the function runs on, as on AWS."""


class GatewayHandler:
    def __init__(
        self, settings: Settings, functions: FunctionReader, invoker: Invoker, urls: FunctionUrls
    ) -> None:
        self._settings = settings
        self._functions = functions
        self._invoker = invoker
        self._urls = urls

    async def _resolve(self, function_arn: str, qualifier: str | None = None) -> Target:
        s = self._settings
        return await resolve_target(
            self._functions, function_arn, qualifier, s.region, s.account_id
        )

    async def _invoke(
        self, target: Target, event: dict[str, Any], timeout_ms: int | None, trigger: Trigger,
        trace_id: str | None,
    ) -> InvocationResult:  # fmt: skip
        payload = encode(event)
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise _Refused("the event is over Lambda's synchronous payload quota")
        run = self._invoker.invoke(target, payload, trigger=trigger, trace_id=trace_id)
        if timeout_ms is None or target.config.timeout * 1000 + _MARGIN_MS <= timeout_ms:
            return (await run)[1]
        # Started as its own run (no Task: api/eager.py), so that it keeps running after the
        # gateway gives up, as on AWS; one timer stands for the integration timeout.
        loop = asyncio.get_running_loop()
        running = start_eagerly(loop, run)
        if not running.done() and not await _settled_within(loop, running, timeout_ms / 1000):
            running.add_done_callback(_settle)
            raise TimedOut()
        return running.result()[1]

    # API Gateway REST and HTTP APIs, and ALB targets -----------------------------------

    async def api(self, target: ApiTarget, req: GatewayRequest) -> HttpResponse:
        api = target.api
        match = target.table.match(req.method, req.raw_path) if target.stage_matched else None
        if match is None:
            if api.kind is ApiKind.REST:
                return errors.missing_token()
            if api.kind is ApiKind.ALB:
                return errors.alb_error(404, "Not Found")
            return errors.not_found_http()
        if api.kind is ApiKind.ALB:
            return await self._alb(target, req, match.route)
        if len(req.body) > errors.API_BODY_LIMIT:
            return errors.too_large()
        request_id = new_request_id()
        route = match.route
        if api.kind is ApiKind.REST:
            binary = media_type_matches(req.header("content-type"), tuple(api.binary_media_types))
        else:
            binary = not is_text(req.header("content-type"))
        route_key = "$default" if route.path == "$default" else f"{route.method} {route.path}"
        ctx = EventContext(
            account_id=self._settings.account_id,
            api_id=api.api_id,
            stage=api.stage,
            domain_name=f"{api.api_id}.execute-api.localhost",
            request_id=request_id,
            stage_variables=dict(api.stage_variables) or None,
            resource=route.path,
            route_key=route_key,
            path_parameters=match.path_parameters or None,
            binary=binary,
        )
        v2 = route.payload_format == "2.0"
        event = (
            http_event(req, ctx) if v2 else rest_event(req, ctx, http_api=api.kind is ApiKind.HTTP)
        )
        id_header = "x-amzn-RequestId" if api.kind is ApiKind.REST else "apigw-requestid"
        try:
            target_fn = await self._resolve(route.function_arn)
            result = await self._invoke(
                target_fn, event, route.timeout_ms, Trigger.GATEWAY, req.header("x-amzn-trace-id")
            )
        except TimedOut:
            response = errors.timed_out()
        except Exception as exc:
            _log_refusal(exc)
            response = errors.internal_error(500)
        else:
            response = _mapped(result, v2_response if v2 else v1_response, errors.internal_error)
        response.headers.append((id_header, request_id))
        return response

    async def _alb(self, target: ApiTarget, req: GatewayRequest, route: Route) -> HttpResponse:
        api = target.api
        if len(req.body) > errors.ALB_BODY_LIMIT:
            return errors.alb_error(413, "Request Entity Too Large")
        s = self._settings
        group = (
            f"arn:aws:elasticloadbalancing:{s.region}:{s.account_id}"
            f":targetgroup/{api.name}/{api.api_id}"
        )
        multi = api.multi_value_headers
        event = alb_event(
            req, group, multi_value=multi, binary=not is_text(req.header("content-type"))
        )
        try:
            target_fn = await self._resolve(route.function_arn)
            result = await self._invoke(
                target_fn, event, route.timeout_ms, Trigger.GATEWAY, req.header("x-amzn-trace-id")
            )
        except TimedOut:
            return errors.alb_error(504, "Gateway Time-out")
        except Exception as exc:
            _log_refusal(exc)
            return errors.alb_error(502, "Bad Gateway")
        if len(result.payload) > errors.ALB_BODY_LIMIT:
            return errors.alb_error(502, "Bad Gateway")
        return _mapped(
            result, lambda p: alb_response(p, multi_value=multi),
            lambda: errors.alb_error(502, "Bad Gateway"),
        )  # fmt: skip

    # Function URLs ----------------------------------------------------------------------

    async def url(
        self,
        target: UrlTarget,
        req: GatewayRequest,
        send: Send | None = None,
        cut: Cut | None = None,
    ) -> HttpResponse | None:
        """`send`: the client can take a streamed answer (RESPONSE_STREAM mode, which then
        answers through it and returns None; gateway/streaming.py)."""
        config = target.config
        answered = cors.preflight(config.cors, req)
        if answered is not None:
            return answered
        authorizer = None
        if config.auth_type == "AWS_IAM":
            authorizer = _iam_authorizer(req, self._settings.account_id)
            if authorizer is None:
                return errors.url_error(403, "Forbidden")
        if len(req.body) > SYNC_PAYLOAD_LIMIT:
            return errors.url_error(
                413, "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
            )
        request_id = new_request_id()
        ctx = EventContext(
            account_id=self._settings.account_id,
            api_id=config.url_id,
            stage="$default",
            domain_name=self._urls.domain(config.url_id),
            request_id=request_id,
            binary=not is_text(req.header("content-type")),
            authorizer=authorizer,
        )
        event = http_event(req, ctx)

        def decorate(response: HttpResponse) -> None:
            cors.decorate(config.cors, req, response)
            response.headers.append(("x-amzn-RequestId", request_id))

        def failure() -> HttpResponse:
            return errors.url_error(502, "Internal Server Error")

        trace_id = req.header("x-amzn-trace-id")
        try:
            fn = await self._resolve(config.function_name, config.qualifier or None)
            if send is not None and config.invoke_mode == "RESPONSE_STREAM":
                result = await self._stream(fn, event, trace_id, send, decorate, failure, cut)
                if result is None:
                    return None  # answered through `send`
            else:
                result = await self._invoke(fn, event, None, Trigger.URL, trace_id)
        except TooManyRequestsException:
            return errors.url_error(429, "Rate Exceeded.")
        except Exception as exc:
            _log_refusal(exc)
            return errors.url_error(500, "Internal Server Error")
        response = _mapped(result, v2_response, failure)
        decorate(response)
        return response

    async def _stream(
        self, fn: Target, event: dict[str, Any], trace_id: str | None, send: Send,
        decorate: Decorate, failure: Callable[[], HttpResponse], cut: Cut | None,
    ) -> InvocationResult | None:  # fmt: skip
        payload = encode(event)
        if len(payload) > SYNC_PAYLOAD_LIMIT:
            raise _Refused("the event is over Lambda's synchronous payload quota")
        stream = ResponseStream()
        call = self._invoker.invoke(
            fn, payload, trigger=Trigger.URL, trace_id=trace_id, stream=stream
        )
        return await stream_url(StreamedRun(call, stream), send, decorate, failure, cut)


class _Refused(Exception):
    """Lambda would refuse this Invoke (API Gateway answers 500)."""


def _mapped(result: InvocationResult, mapping: Any, failure: Any) -> HttpResponse:
    if result.function_error:
        return failure()  # type: ignore[no-any-return]
    try:
        return mapping(result.payload)  # type: ignore[no-any-return]
    except MalformedResponse as exc:
        log.info("malformed proxy response: %s", exc)
        return failure()  # type: ignore[no-any-return]


def _iam_authorizer(req: GatewayRequest, account_id: str) -> dict[str, Any] | None:
    """AWS_IAM auth: a SigV4 Authorization header is required (its signature is not
    checked: any credentials are accepted, as on the rest of the endpoint)."""
    auth = req.header("authorization") or ""
    prefix = "AWS4-HMAC-SHA256 Credential="
    if not auth.startswith(prefix):
        return None
    access_key = auth[len(prefix) :].split("/", 1)[0]
    return {
        "iam": {
            "accessKey": access_key,
            "accountId": account_id,
            "callerId": access_key,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": f"arn:aws:iam::{account_id}:user/{access_key}",
            "userId": access_key,
        }
    }


async def _settled_within(
    loop: asyncio.AbstractEventLoop, run: asyncio.Future[Any], seconds: float
) -> bool:
    """Wait for `run` at most `seconds`; whether it is done. Cancelling the wait leaves
    `run` running."""
    woken: asyncio.Future[None] = loop.create_future()

    def wake(_: object = None) -> None:
        if not woken.done():
            woken.set_result(None)

    timer = loop.call_later(seconds, wake)
    run.add_done_callback(wake)
    try:
        await woken
    finally:
        timer.cancel()
        run.remove_done_callback(wake)
    return run.done()


def _settle(task: asyncio.Future[Any]) -> None:
    """Retrieve a timed-out run's outcome, so that a late failure is not reported unread."""
    if not task.cancelled() and task.exception() is not None:
        log.info("a run the gateway stopped waiting for failed: %r", task.exception())


def _log_refusal(exc: Exception) -> None:
    log.info("gateway invoke refused: %r", exc)
