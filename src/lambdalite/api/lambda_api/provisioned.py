"""Put/Get/Delete/ListProvisionedConcurrencyConfig(s) (spec 7.3)."""

from __future__ import annotations

from typing import Any

from lambdalite.api.lambda_api.functions import function_name
from lambdalite.functions.provisioned import ProvisionedView
from lambdalite.platform import Platform

MAX_ITEMS = 50


def _doc(view: ProvisionedView) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "RequestedProvisionedConcurrentExecutions": view.config.requested,
        "AvailableProvisionedConcurrentExecutions": view.allocated,
        "AllocatedProvisionedConcurrentExecutions": view.allocated,
        "Status": view.status,
        "LastModified": view.config.last_modified,
    }
    if view.reason:
        doc["StatusReason"] = view.reason
    return doc


def _target(params: dict[str, Any]) -> tuple[str, str | None]:
    name, qualifier = function_name(params["FunctionName"])
    return name, params.get("Qualifier") or qualifier


async def put_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(params)
    view = await p.provisioned.put(name, qualifier, params["ProvisionedConcurrentExecutions"])
    return _doc(view)


async def get_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return _doc(await p.provisioned.get(*_target(params)))


async def delete_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.provisioned.delete(*_target(params))
    return {}


async def list_configs(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    views = await p.provisioned.list(name)
    start = int(params["Marker"]) if str(params.get("Marker", "")).isdigit() else 0
    limit = min(params.get("MaxItems", MAX_ITEMS), MAX_ITEMS)
    page = views[start : start + limit]
    items = [{"FunctionArn": p.functions.arn(name, v.config.qualifier), **_doc(v)} for v in page]
    doc: dict[str, Any] = {"ProvisionedConcurrencyConfigs": items}
    if start + limit < len(views):
        doc["NextMarker"] = str(start + limit)
    return doc


OPERATIONS = {
    "PutProvisionedConcurrencyConfig": put_config,
    "GetProvisionedConcurrencyConfig": get_config,
    "DeleteProvisionedConcurrencyConfig": delete_config,
    "ListProvisionedConcurrencyConfigs": list_configs,
}
