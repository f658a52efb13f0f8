"""CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases."""

from __future__ import annotations

from typing import Any

from lambdalite.api.lambda_api.functions import PAGE_LIMIT, function_name
from lambdalite.api.lambda_api.shapes import alias_configuration
from lambdalite.model.function import Alias
from lambdalite.platform import Platform


def _weights(params: dict[str, Any]) -> dict[str, float] | None:
    routing = params.get("RoutingConfig")
    if routing is None:
        return None
    return {k: float(v) for k, v in (routing.get("AdditionalVersionWeights") or {}).items()}


def wire(p: Platform, alias: Alias) -> dict[str, Any]:
    return alias_configuration(alias, p.settings.region, p.settings.account_id)


async def create_alias(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    alias = await p.aliases.create(
        name,
        params["Name"],
        params["FunctionVersion"],
        params.get("Description", ""),
        _weights(params) or {},
    )
    return wire(p, alias)


async def get_alias(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    return wire(p, await p.aliases.get(name, params["Name"]))


async def update_alias(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    alias = await p.aliases.update(
        name,
        params["Name"],
        params.get("FunctionVersion"),
        params.get("Description"),
        _weights(params),
        params.get("RevisionId"),
    )
    return wire(p, alias)


async def delete_alias(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    await p.aliases.delete(name, params["Name"])
    await p.function_urls.forget(name, params["Name"])  # the alias's URL goes with it
    return {}


async def list_aliases(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    limit = min(params.get("MaxItems", PAGE_LIMIT), PAGE_LIMIT)
    page = await p.aliases.list(name, params.get("FunctionVersion"), params.get("Marker"), limit)
    doc: dict[str, Any] = {"Aliases": [wire(p, a) for a in page.items]}
    if page.next_marker:
        doc["NextMarker"] = page.next_marker
    return doc


OPERATIONS = {
    "CreateAlias": create_alias,
    "GetAlias": get_alias,
    "UpdateAlias": update_alias,
    "DeleteAlias": delete_alias,
    "ListAliases": list_aliases,
}
