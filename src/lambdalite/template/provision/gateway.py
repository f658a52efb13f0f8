"""API Gateway REST and HTTP APIs (what SAM's Api and HttpApi events produce) declared to
the platform's gateway (gateway/model.py) as ApiDefinitions; the gateway serves them.

The routes come from the API's Body (swagger 2.0 / OpenAPI 3 with
x-amazon-apigateway-integration); a Stage names the stage the API is served under.
"""

from __future__ import annotations

import dataclasses
import random
import re
import string
from typing import Any

from lambdalite.gateway.model import ApiDefinition, ApiKind, Route
from lambdalite.template.provision.base import Env, Provisioned, Request
from lambdalite.template.state import ResourceState

_FUNCTION_IN_URI = re.compile(r":lambda:path/2015-03-31/functions/(.+?)/invocations")
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}
DEFAULT_STAGE = {ApiKind.REST: "Prod", ApiKind.HTTP: "$default"}


def new_api_id() -> str:
    return "".join(random.choices(string.ascii_lowercase + string.digits, k=10))


def routes(kind: ApiKind, body: Any) -> list[Route]:
    """Every method of every path whose integration is a Lambda proxy."""
    out: list[Route] = []
    for path, methods in (body or {}).get("paths", {}).items():
        for method, operation in (methods or {}).items():
            name = "ANY" if method == "x-amazon-apigateway-any-method" else method.upper()
            if name != "ANY" and method not in _METHODS:
                continue
            integration = (operation or {}).get("x-amazon-apigateway-integration") or {}
            match = _FUNCTION_IN_URI.search(str(integration.get("uri", "")))
            if match is None:
                continue
            default_format = "1.0" if kind is ApiKind.REST else "2.0"
            out.append(
                Route(
                    method=name,
                    path=path,
                    function_arn=match.group(1),
                    payload_format=str(integration.get("payloadFormatVersion", default_format)),
                    timeout_ms=int(integration.get("timeoutInMillis", 29_000)),
                )
            )
    return out


def api_definition(kind: ApiKind, api_id: str, name: str, body: Any, owner: str) -> ApiDefinition:
    return ApiDefinition(
        api_id=api_id,
        kind=kind,
        name=name,
        stage=DEFAULT_STAGE[kind],
        routes=routes(kind, body),
        owner=owner,
    )


class ApiProvisioner:
    replace_on: frozenset[str] = frozenset()

    def __init__(self, kind: ApiKind) -> None:
        self.kind = kind

    def create(self, env: Env, request: Request) -> Provisioned:
        return self._put(env, request, new_api_id())

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return self._put(env, request, old.physical_id)

    def delete(self, env: Env, old: ResourceState) -> None:
        if env.gateway is not None:
            env.on_loop(env.gateway.delete(old.physical_id))

    def _put(self, env: Env, request: Request, api_id: str) -> Provisioned:
        props = request.properties
        body = props.get("Body")
        name = str(props.get("Name") or (body or {}).get("info", {}).get("title") or api_id)
        api = api_definition(self.kind, api_id, name, body, env.stack_name)
        attributes = {"RootResourceId": "root", "ApiEndpoint": ""}
        if env.gateway is None:
            env.warn(
                f"{request.type} {request.logical_id}: the API gateway is not part of this "
                f"server; {len(api.routes)} route(s) not served"
            )
        else:
            env.on_loop(env.gateway.put(api))
            attributes["ApiEndpoint"] = env.gateway.url(api)
        return Provisioned(api_id, attributes)


class StageProvisioner:
    """A stage renames the stage its API is served under (SAM: `Prod`, or StageName)."""

    replace_on: frozenset[str] = frozenset()

    def create(self, env: Env, request: Request) -> Provisioned:
        api_id = request.properties.get("RestApiId") or request.properties.get("ApiId")
        stage = str(request.properties.get("StageName", ""))
        if env.gateway is not None and api_id:
            api = env.on_loop(env.gateway.get(api_id))
            if api is not None and stage:
                env.on_loop(env.gateway.put(dataclasses.replace(api, stage=stage)))
        return Provisioned(stage or request.logical_id)

    def update(self, env: Env, request: Request, old: ResourceState) -> Provisioned:
        return self.create(env, request)

    def delete(self, env: Env, old: ResourceState) -> None:
        return None
