"""The JSON twin of ApiDefinition: what the store keeps and what
`/_lambdalite/gateway/apis` accepts and answers (camelCase, as API Gateway's own API)."""

from __future__ import annotations

import re
from typing import Any

from lambdalite.errors import InvalidParameterValueException
from lambdalite.gateway.model import ApiDefinition, ApiKind, Route

API_ID = re.compile(r"^[a-z0-9]{10}$")
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}
FORMATS = {"1.0", "2.0"}
MIN_TIMEOUT_MS = 50  # spec 6.2.1


def api_to_json(api: ApiDefinition) -> dict[str, Any]:
    return {
        "apiId": api.api_id,
        "kind": api.kind.value,
        "name": api.name,
        "stage": api.stage,
        "routes": [
            {
                "method": r.method,
                "path": r.path,
                "functionArn": r.function_arn,
                "payloadFormat": r.payload_format,
                "timeoutMs": r.timeout_ms,
            }
            for r in api.routes
        ],
        "owner": api.owner,
        "stageVariables": dict(api.stage_variables),
        "binaryMediaTypes": list(api.binary_media_types),
        "multiValueHeaders": api.multi_value_headers,
    }


def api_from_json(doc: Any) -> ApiDefinition:
    """A definition from its JSON twin; InvalidParameterValueException names what is wrong."""
    if not isinstance(doc, dict):
        raise _bad("the body must be a JSON object")
    try:
        kind = ApiKind(doc.get("kind", ""))
    except ValueError:
        raise _bad(f"kind must be one of {[k.value for k in ApiKind]}") from None
    api_id = doc.get("apiId")
    if not isinstance(api_id, str) or not API_ID.match(api_id):
        raise _bad("apiId must be 10 lowercase letters or digits")
    routes = doc.get("routes")
    if not isinstance(routes, list):
        raise _bad("routes must be a list")
    default_stage = "$default" if kind is not ApiKind.REST else "Prod"
    return ApiDefinition(
        api_id=api_id,
        kind=kind,
        name=str(doc.get("name", api_id)),
        stage=_text(doc.get("stage", default_stage), "stage"),
        routes=[_route(r, kind) for r in routes],
        owner=str(doc.get("owner", "")),
        stage_variables=_strings(doc.get("stageVariables") or {}, "stageVariables"),
        binary_media_types=[str(t) for t in doc.get("binaryMediaTypes") or []],
        multi_value_headers=bool(doc.get("multiValueHeaders", False)),
    )


def _route(doc: Any, kind: ApiKind) -> Route:
    if not isinstance(doc, dict):
        raise _bad("each route must be an object")
    method = _text(doc.get("method", "ANY"), "method").upper()
    path = _text(doc.get("path"), "path")
    if method not in METHODS:
        raise _bad(f"method {method} is not one of {sorted(METHODS)}")
    if not (path.startswith("/") or (path == "$default" and kind is ApiKind.HTTP)):
        raise _bad(f"path {path!r} must start with / (or be $default on an HTTP API)")
    default_format = "2.0" if kind is ApiKind.HTTP else "1.0"
    payload_format = _text(doc.get("payloadFormat", default_format), "payloadFormat")
    if payload_format not in FORMATS:
        raise _bad("payloadFormat must be 1.0 or 2.0")
    timeout_ms = doc.get("timeoutMs", 29_000 if kind is not ApiKind.HTTP else 30_000)
    if not isinstance(timeout_ms, int) or timeout_ms < MIN_TIMEOUT_MS:
        raise _bad(f"timeoutMs must be an integer of at least {MIN_TIMEOUT_MS}")
    return Route(
        method=method,
        path=path,
        function_arn=_text(doc.get("functionArn"), "functionArn"),
        payload_format=payload_format,
        timeout_ms=timeout_ms,
    )


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise _bad(f"{name} must be a non-empty string")
    return value


def _strings(value: Any, name: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise _bad(f"{name} must map names to strings")
    return {str(k): v for k, v in value.items()}


def _bad(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(f"Invalid API definition: {message}")
