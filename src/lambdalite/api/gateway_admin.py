"""`/_lambdalite/gateway/apis[/{api-id}]`: declare, read and remove the APIs the gateway
serves, as the JSON twin of ApiDefinition (gateway/wire.py). What tests and tools outside
the process use; in-process callers (`lambdalite up`) use `platform.gateway` itself.

PUT /_lambdalite/gateway/apis          body: one definition; 200 with it and its "url"
GET /_lambdalite/gateway/apis          {"apis": [definition + "url", ...]}
GET /_lambdalite/gateway/apis/{id}     one, or 404
DELETE /_lambdalite/gateway/apis/{id}  204
"""

from __future__ import annotations

import json
from typing import Any

from lambdalite.api.http import JSON, Headers, Request
from lambdalite.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    UnknownOperationException,
)
from lambdalite.gateway.model import ApiDefinition
from lambdalite.gateway.wire import api_from_json, api_to_json
from lambdalite.platform import Platform

PREFIX = "/_lambdalite/gateway/apis"


def _doc(p: Platform, api: ApiDefinition) -> dict[str, Any]:
    return {**api_to_json(api), "url": p.gateway.url(api)}


async def gateway_apis(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    api_id = request.path[len(PREFIX) :].strip("/")
    if request.method == "PUT" and not api_id:
        try:
            doc = json.loads(request.body or b"null")
        except ValueError as exc:
            raise InvalidParameterValueException(f"Invalid API definition: {exc}") from None
        api = api_from_json(doc)
        await p.gateway.put(api)
        return 200, [(b"content-type", JSON)], json.dumps(_doc(p, api)).encode()
    if request.method == "GET" and not api_id:
        body = {"apis": [_doc(p, api) for api in await p.gateway.list()]}
        return 200, [(b"content-type", JSON)], json.dumps(body).encode()
    if request.method == "GET":
        found = await p.gateway.get(api_id)
        if found is None:
            raise ResourceNotFoundException(f"No API with id {api_id}")
        return 200, [(b"content-type", JSON)], json.dumps(_doc(p, found)).encode()
    if request.method == "DELETE" and api_id:
        await p.gateway.delete(api_id)
        return 204, [], b""
    raise UnknownOperationException(f"Unknown operation {request.method} {request.path}")
