"""Routes the non-Lambda AWS services served on lambdalite's one endpoint.

A service is a ``ServiceSpec``: botocore's service name, its protocol and a table of
``Operation`` handlers named as in the model. ``app.py`` lists the specs it serves
(``SERVICES``) and hands them to a ``Dispatcher``. A request is routed by, in order:

1. ``X-Amz-Target: <targetPrefix>.<Operation>`` → that json service;
   ``smithy-protocol: rpc-v2-cbor`` on ``/service/<targetPrefix>/operation/<Operation>`` →
   that json service in CBOR, when its model lists the protocol (CloudWatch);
2. a form ``Action`` → a query service (SNS), or a json service marked
   ``awsQueryCompatible`` spoken to over query (legacy SQS clients); which one comes from
   the SigV4 credential scope (``Credential=…/<date>/<region>/<service>/aws4_request``),
   else the path (SQS queue URLs are ``/<account-id>/<queue-name>``), else whichever
   model has the action.

This module is the error edge for those services (STYLE R6): everything raised while
serving one is rendered once, here, in that service's protocol.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from botocore.model import OperationModel, ServiceModel

from lambdalite.api import cbor_protocol, json_protocol, query_protocol
from lambdalite.api.http import Headers, Request
from lambdalite.api.json_protocol import wire_error
from lambdalite.api.service_model import load_service
from lambdalite.errors import AwsError
from lambdalite.invoke.invoker import new_request_id
from lambdalite.observe import trace
from lambdalite.platform import Platform

__all__ = ["Dispatcher", "Operation", "ServiceSpec"]

log = logging.getLogger(__name__)

Operation = Callable[[Platform, dict[str, Any]], Awaitable[dict[str, Any]]]
Response = tuple[int, Headers, bytes]

_FORM = "application/x-www-form-urlencoded"
_SCOPE = re.compile(r"Credential=[^/,]+/\d{8}/[^/,]+/([^/,]+)/aws4_request")
_SQS_QUEUE_PATH = re.compile(r"^/\d{12}/[^/]+/?$")


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    name: str  # botocore's service name: "logs", "sqs", "sns", "events", "kinesis", ...
    protocol: Literal["json", "query"]
    operations: Mapping[str, Operation]


@dataclass(frozen=True, slots=True)
class _Service:
    spec: ServiceSpec
    model: ServiceModel  # the model of spec.protocol
    query: ServiceModel | None  # the query model, when the service also speaks query


def _bind(spec: ServiceSpec) -> _Service:
    model = load_service(spec.name)
    # CloudWatch's model names CBOR first and lists json and query among its `protocols`.
    if spec.protocol not in (model.protocol, *model.metadata.get("protocols", ())):
        raise ValueError(f"{spec.name} speaks {model.protocol}, not {spec.protocol}")
    unknown = set(spec.operations) - set(model.operation_names)
    if unknown:
        raise ValueError(f"{spec.name} has no operations {sorted(unknown)}")
    speaks_query = spec.protocol == "query" or "awsQueryCompatible" in model.metadata
    return _Service(spec, model, query_protocol.query_model(spec.name) if speaks_query else None)


class _Codec(NamedTuple):
    """One protocol's three steps for an operation named by target (json_protocol,
    cbor_protocol): input from the body, the output's body, and an error's."""

    parse: Callable[[OperationModel, bytes], dict[str, Any]]
    serialize: Callable[[OperationModel, Mapping[str, Any]], Response]
    error: Callable[[_Service | None, AwsError, str], Response]


_JSON = _Codec(
    json_protocol.parse_request,
    json_protocol.serialize_response,
    lambda service, exc, rid: json_protocol.error_response(
        service.model if service else None, exc, rid, service.query if service else None
    ),
)
_CBOR = _Codec(
    cbor_protocol.parse_request,
    cbor_protocol.serialize_response,
    lambda service, exc, rid: cbor_protocol.error_response(
        service.model if service else None, exc, rid
    ),
)


class Dispatcher:
    def __init__(self, services: Iterable[ServiceSpec] = ()) -> None:
        self._by_target: dict[str, _Service] = {}
        self._cbor_by_target: dict[str, _Service] = {}  # json services that speak CBOR too
        self._by_scope: dict[str, _Service] = {}  # SigV4 signing name -> query-speaking service
        for spec in services:
            self.register(spec)

    def register(self, spec: ServiceSpec) -> None:
        service = _bind(spec)
        if spec.protocol == "json":
            prefix = service.model.metadata["targetPrefix"]
            self._by_target[prefix] = service
            if cbor_protocol.PROTOCOL in service.model.metadata.get("protocols", ()):
                self._cbor_by_target[prefix] = service
        if service.query is not None:
            self._by_scope[service.model.signing_name or service.model.endpoint_prefix] = service

    @staticmethod
    def claims(request: Request) -> bool:
        """Whether ``request`` carries a json or query protocol marker (headers only, cheap)."""
        headers = request.headers
        if "x-amz-target" in headers or cbor_protocol.HEADER in headers:
            return True
        content_type = headers.get("content-type")
        if content_type is not None and content_type.startswith(_FORM):
            return True
        return b"Action=" in request.query_string

    async def handle(self, platform: Platform, request: Request) -> Response:
        request_id = new_request_id()
        target = request.headers.get("x-amz-target")
        token = trace.incoming.set(request.headers.get(trace.TRACE_HEADER))
        try:
            if target is not None:
                return await self._json(platform, request, target, request_id)
            if cbor_protocol.HEADER in request.headers:
                return await self._cbor(platform, request, request_id)
            return await self._query(platform, request, request_id)
        finally:
            trace.incoming.reset(token)

    async def _json(self, p: Platform, request: Request, target: str, rid: str) -> Response:
        prefix, _, name = target.rpartition(".")
        return await self._rpc(p, self._by_target.get(prefix), name, target, request, rid, _JSON)

    async def _cbor(self, p: Platform, request: Request, rid: str) -> Response:
        prefix, name = cbor_protocol.target(request.path) or ("", "")
        service = self._cbor_by_target.get(prefix)
        return await self._rpc(p, service, name, f"{prefix}.{name}", request, rid, _CBOR)

    async def _rpc(
        self,
        p: Platform,
        service: _Service | None,
        name: str,
        label: str,
        request: Request,
        rid: str,
        codec: _Codec,
    ) -> Response:
        """An operation named by target prefix and name (awsJson, RPC v2 CBOR), in `codec`."""
        try:
            if service is None or name not in service.spec.operations:
                raise wire_error("UnknownOperationException")(f"Operation {label} is unknown.")
            op = service.model.operation_model(name)
            params = codec.parse(op, request.body)
            output = await service.spec.operations[name](p, params)
            status, headers, body = codec.serialize(op, output)
        except Exception as exc:
            status, headers, body = codec.error(service, _as_aws(exc, rid), rid)
        else:
            headers.append((b"x-amzn-requestid", rid.encode()))
        _count(p, service, name, status)
        return status, headers, body

    async def _query(self, p: Platform, request: Request, rid: str) -> Response:
        form = query_protocol.read_form(request)
        action = form.get("Action")
        service = self._query_service(request, action)
        model = service.query if service is not None else None
        try:
            if action is None:
                raise wire_error("MissingAction")("The request must contain the parameter Action.")
            if model is not None:
                query_protocol.check_version(model, form)
            if service is None or model is None or action not in service.spec.operations:
                raise wire_error("InvalidAction")(
                    f"The action {action} is not valid for this web service."
                )
            op = model.operation_model(action)
            params = query_protocol.parse_request(op, form)
            output = await service.spec.operations[action](p, params)
            status, headers, body = query_protocol.serialize_response(op, output, rid)
        except Exception as exc:
            status, headers, body = query_protocol.error_response(model, _as_aws(exc, rid), rid)
        else:
            headers.append((b"x-amzn-requestid", rid.encode()))
        _count(p, service, action, status)
        return status, headers, body

    def _query_service(self, request: Request, action: str | None) -> _Service | None:
        scope = _SCOPE.search(request.headers.get("authorization", ""))
        if scope is not None and scope.group(1) in self._by_scope:
            return self._by_scope[scope.group(1)]
        if _SQS_QUEUE_PATH.match(request.path) and "sqs" in self._by_scope:
            return self._by_scope["sqs"]
        for service in self._by_scope.values():
            if service.query is not None and action in service.query.operation_names:
                return service
        return next(iter(self._by_scope.values()), None)


def _count(p: Platform, service: _Service | None, operation: str | None, status: int) -> None:
    """lambdalite_api_requests_total; only operations the service serves are labels."""
    if service is None:
        p.api_requests.count("unknown", None, status)
    else:
        known = operation if operation in service.spec.operations else None
        p.api_requests.count(service.spec.name, known, status)


def _as_aws(exc: Exception, request_id: str) -> AwsError:
    if isinstance(exc, AwsError):
        return exc
    log.error("internal error (request %s)", request_id, exc_info=exc)
    return wire_error("InternalFailure", 500)(
        "The request processing has failed because of an unknown error, exception or failure."
    )
