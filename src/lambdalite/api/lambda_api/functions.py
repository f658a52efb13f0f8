"""CreateFunction, GetFunction(Configuration), ListFunctions, Update*, Delete, versions."""

from __future__ import annotations

import asyncio
from typing import Any

from lambdalite.api.http import endpoint_url
from lambdalite.api.lambda_api.shapes import function_configuration
from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions.package import local_directory, store_zip
from lambdalite.model.arn import parse_function_id
from lambdalite.model.function import LATEST, Code
from lambdalite.platform import Platform

# Non-AWS: Code={"S3Bucket": LOCAL_CODE_BUCKET, "S3Key": "/abs/dir"} runs from that directory.
LOCAL_CODE_BUCKET = "lambdalite-local"
PAGE_LIMIT = 50

_CONFIG_MEMBERS = {
    "Handler": "handler",
    "Runtime": "runtime",
    "Role": "role",
    "Description": "description",
    "Timeout": "timeout",
    "MemorySize": "memory_size",
}


_LOGGING_MEMBERS = {
    "LogFormat": "log_format",
    "LogGroup": "log_group",
    "ApplicationLogLevel": "application_log_level",
    "SystemLogLevel": "system_log_level",
}


def config_changes(params: dict[str, Any]) -> dict[str, Any]:
    changes = {attr: params[key] for key, attr in _CONFIG_MEMBERS.items() if key in params}
    if "Environment" in params:
        changes["environment"] = dict(params["Environment"].get("Variables") or {})
    if "EphemeralStorage" in params:
        changes["ephemeral_storage"] = params["EphemeralStorage"]["Size"]
    if "DeadLetterConfig" in params:
        changes["dead_letter_target_arn"] = params["DeadLetterConfig"].get("TargetArn") or None
    if "TracingConfig" in params:
        changes["tracing_mode"] = params["TracingConfig"].get("Mode", "PassThrough")
    if "Layers" in params:
        changes["layers"] = tuple(params["Layers"])
    if "LoggingConfig" in params:
        logging_config = params["LoggingConfig"]
        for key, attr in _LOGGING_MEMBERS.items():
            if key in logging_config:
                changes[attr] = logging_config[key]
    if "SnapStart" in params:
        changes["snap_start"] = params["SnapStart"].get("ApplyOn") or "None"
    if "Architectures" in params:
        changes["architectures"] = tuple(params["Architectures"])
    return changes


async def code_from(p: Platform, code: dict[str, Any]) -> Code:
    if "ZipFile" in code:
        return await asyncio.to_thread(store_zip, code["ZipFile"], p.settings.code_dir)
    if code.get("S3Bucket") == LOCAL_CODE_BUCKET and code.get("S3Key"):
        return local_directory(code["S3Key"])
    if "ImageUri" in code:
        raise InvalidParameterValueException("Container images are not supported by lambdalite.")
    raise InvalidParameterValueException(
        "Please provide a source for function code: Code.ZipFile, or "
        f"Code.S3Bucket='{LOCAL_CODE_BUCKET}' with Code.S3Key set to a local directory."
    )


def function_name(raw: str) -> tuple[str, str | None]:
    fid = parse_function_id(raw)
    return (raw, None) if fid is None else (fid.name, fid.qualifier)


def wire(p: Platform, config: Any) -> dict[str, Any]:
    return function_configuration(config, p.settings.region, p.settings.account_id)


async def create_function(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    if len(name) > 64:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
            "constraint: Member must have length less than or equal to 64"
        )
    if params.get("PackageType", "Zip") != "Zip":
        raise InvalidParameterValueException("Container images are not supported by lambdalite.")
    changes = config_changes(params)
    changes.setdefault("runtime", params.get("Runtime"))
    if changes["runtime"] is None:
        raise InvalidParameterValueException("Runtime is required for Zip package type.")
    code = await code_from(p, params["Code"])
    config = await p.functions.create(name, code, **changes)
    if params.get("Publish"):
        await p.functions.wait_settled()
        config = await p.functions.publish(name, None, None, "")
    return wire(p, config)


async def get_function_configuration(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = function_name(params["FunctionName"])
    version = await resolve_qualifier(p, name, params.get("Qualifier") or qualifier)
    return wire(p, await p.functions.version(name, version))


async def resolve_qualifier(p: Platform, name: str, qualifier: str | None) -> str:
    if qualifier is None or qualifier == LATEST or qualifier.isdigit():
        return qualifier or LATEST
    return (await p.aliases.get(name, qualifier)).function_version


async def get_function(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    configuration = await get_function_configuration(p, params)
    record = await p.functions.record(configuration["FunctionName"])
    sha = configuration["CodeSha256"]
    doc: dict[str, Any] = {
        "Configuration": configuration,
        "Code": {
            "RepositoryType": "S3",
            "Location": f"{endpoint_url(p.base_url)}/_lambdalite/code/{record.name}?sha256={sha}",
        },
    }
    if record.reserved_concurrency is not None:
        doc["Concurrency"] = {"ReservedConcurrentExecutions": record.reserved_concurrency}
    return doc


async def list_functions(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    limit = min(params.get("MaxItems", PAGE_LIMIT), PAGE_LIMIT)
    page = await p.functions.list_latest(params.get("Marker"), limit)
    configs = [wire(p, c) for c in page.items]
    if params.get("FunctionVersion") == "ALL":
        configs = []
        for latest in page.items:
            versions = await p.functions.list_versions(latest.name, None, 10_000)
            configs.extend(wire(p, v) for v in versions.items)
    doc: dict[str, Any] = {"Functions": configs}
    if page.next_marker:
        doc["NextMarker"] = page.next_marker
    return doc


async def update_function_code(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    await p.functions.record(name)
    code = await code_from(p, params)
    config = await p.functions.update_code(
        name, code, params.get("RevisionId"), bool(params.get("Publish"))
    )
    return wire(p, config)


async def update_function_configuration(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    config = await p.functions.update_configuration(
        name, params.get("RevisionId"), **config_changes(params)
    )
    return wire(p, config)


async def delete_function(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, qualifier = function_name(params["FunctionName"])
    qualifier = params.get("Qualifier") or qualifier
    await p.functions.delete(name, qualifier)
    if qualifier is None:
        await p.function_urls.forget(name)  # a function's URLs go with it
    return {}


async def publish_version(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    config = await p.functions.publish(
        name, params.get("CodeSha256"), params.get("RevisionId"), params.get("Description", "")
    )
    return wire(p, config)


async def list_versions_by_function(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name, _ = function_name(params["FunctionName"])
    limit = min(params.get("MaxItems", PAGE_LIMIT), PAGE_LIMIT)
    page = await p.functions.list_versions(name, params.get("Marker"), limit)
    doc: dict[str, Any] = {"Versions": [wire(p, c) for c in page.items]}
    if page.next_marker:
        doc["NextMarker"] = page.next_marker
    return doc


OPERATIONS = {
    "CreateFunction": create_function,
    "GetFunction": get_function,
    "GetFunctionConfiguration": get_function_configuration,
    "ListFunctions": list_functions,
    "UpdateFunctionCode": update_function_code,
    "UpdateFunctionConfiguration": update_function_configuration,
    "DeleteFunction": delete_function,
    "PublishVersion": publish_version,
    "ListVersionsByFunction": list_versions_by_function,
}
