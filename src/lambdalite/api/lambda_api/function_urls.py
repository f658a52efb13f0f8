"""Create/Get/Update/Delete/ListFunctionUrlConfigs: the Lambda API face of gateway/urls.py."""

from __future__ import annotations

from typing import Any

from lambdalite.api.lambda_api.functions import function_name
from lambdalite.errors import InvalidParameterValueException
from lambdalite.gateway.urls import UrlConfig
from lambdalite.platform import Platform

_CORS_MEMBERS = (
    "AllowCredentials",
    "AllowHeaders",
    "AllowMethods",
    "AllowOrigins",
    "ExposeHeaders",
    "MaxAge",
)


def _target(params: dict[str, Any]) -> tuple[str, str]:
    name, derived = function_name(params["FunctionName"])
    qualifier = params.get("Qualifier")
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    return name, qualifier or derived or ""


def _wire(p: Platform, config: UrlConfig, *, modified: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "FunctionUrl": p.function_urls.url(config),
        "FunctionArn": p.function_urls.arn(config),
        "AuthType": config.auth_type,
        "CreationTime": config.creation_time,
        "InvokeMode": config.invoke_mode,
    }
    if modified:
        doc["LastModifiedTime"] = config.last_modified_time
    if config.cors is not None:
        doc["Cors"] = config.cors
    return doc


def _cors(params: dict[str, Any]) -> dict[str, Any] | None:
    cors = params.get("Cors")
    if cors is None:
        return None
    return {k: cors[k] for k in _CORS_MEMBERS if k in cors}


async def create_function_url_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(params)
    config = await p.function_urls.create(
        name, qualifier, params["AuthType"], _cors(params), params.get("InvokeMode", "BUFFERED")
    )
    return _wire(p, config, modified=False)


async def get_function_url_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return _wire(p, await p.function_urls.get(*_target(params)))


async def update_function_url_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    if "AuthType" in params:
        changes["auth_type"] = params["AuthType"]
    if "InvokeMode" in params:
        changes["invoke_mode"] = params["InvokeMode"]
    if "Cors" in params:
        changes["cors"] = _cors(params)
    return _wire(p, await p.function_urls.update(*_target(params), changes))


async def delete_function_url_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.function_urls.delete(*_target(params))
    return {}


async def list_function_url_configs(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    page, marker = await p.function_urls.list(
        name, params.get("Marker"), params.get("MaxItems", 50)
    )
    doc: dict[str, Any] = {"FunctionUrlConfigs": [_wire(p, c) for c in page]}
    if marker is not None:
        doc["NextMarker"] = marker
    return doc


OPERATIONS = {
    "CreateFunctionUrlConfig": create_function_url_config,
    "GetFunctionUrlConfig": get_function_url_config,
    "UpdateFunctionUrlConfig": update_function_url_config,
    "DeleteFunctionUrlConfig": delete_function_url_config,
    "ListFunctionUrlConfigs": list_function_url_configs,
}
