"""Put/Update/Get/Delete/ListFunctionEventInvokeConfig(s) (spec 3.4) and legacy InvokeAsync."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from lambdalite.api.lambda_api.invoke import invoke_event
from lambdalite.asyncq.model import EventInvokeConfig
from lambdalite.invoke.resolve import resolve_target, split_function_name
from lambdalite.model.function import LATEST
from lambdalite.platform import Platform

LIST_LIMIT = 50
INVOKE_ASYNC_LIMIT = 262_144  # spec 2.10: 256 KB for the deprecated InvokeAsync


def _target(p: Platform, params: dict[str, Any]) -> tuple[str, str]:
    s = p.settings
    fid = split_function_name(
        params["FunctionName"], params.get("Qualifier"), s.region, s.account_id
    )
    return fid.name, fid.qualifier or LATEST


def wire(p: Platform, config: EventInvokeConfig) -> dict[str, Any]:
    """FunctionEventInvokeConfig: retry/age omitted when unset; both destination sides."""
    doc: dict[str, Any] = {
        "LastModified": datetime.fromtimestamp(config.last_modified, tz=UTC),
        "FunctionArn": p.async_queue.configs.arn(config.function_name, config.qualifier),
    }
    if config.maximum_retry_attempts is not None:
        doc["MaximumRetryAttempts"] = config.maximum_retry_attempts
    if config.maximum_event_age_in_seconds is not None:
        doc["MaximumEventAgeInSeconds"] = config.maximum_event_age_in_seconds
    doc["DestinationConfig"] = {
        "OnSuccess": {"Destination": config.on_success} if config.on_success else {},
        "OnFailure": {"Destination": config.on_failure} if config.on_failure else {},
    }
    return doc


async def put_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    configs = p.async_queue.configs
    config = await configs.put(name, qualifier, params, p.clock.now(), merge=False)
    return wire(p, config)


async def update_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    configs = p.async_queue.configs
    config = await configs.put(name, qualifier, params, p.clock.now(), merge=True)
    return wire(p, config)


async def get_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    return wire(p, await p.async_queue.configs.get(name, qualifier))


async def delete_config(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = _target(p, params)
    await p.async_queue.configs.delete(name, qualifier)
    return {}


async def list_configs(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = _target(p, params)
    limit = min(params.get("MaxItems", LIST_LIMIT), LIST_LIMIT)
    items, marker = await p.async_queue.configs.list(name, params.get("Marker"), limit)
    doc: dict[str, Any] = {"FunctionEventInvokeConfigs": [wire(p, c) for c in items]}
    if marker:
        doc["NextMarker"] = marker
    return doc


async def invoke_async(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    """Deprecated InvokeAsync: an Event invoke with a 256 KB limit; answers 202."""
    s = p.settings
    target = await resolve_target(p.store, params["FunctionName"], None, s.region, s.account_id)
    body = params.get("InvokeArgs") or b""
    status, _, _ = await invoke_event(p, target, bytes(body), limit=INVOKE_ASYNC_LIMIT)
    return {"Status": status}


OPERATIONS = {
    "PutFunctionEventInvokeConfig": put_config,
    "UpdateFunctionEventInvokeConfig": update_config,
    "GetFunctionEventInvokeConfig": get_config,
    "DeleteFunctionEventInvokeConfig": delete_config,
    "ListFunctionEventInvokeConfigs": list_configs,
    "InvokeAsync": invoke_async,
}
