"""PublishLayerVersion, GetLayerVersion(ByArn), ListLayerVersions, ListLayers,
DeleteLayerVersion (botocore's lambda model names the shapes)."""

from __future__ import annotations

import asyncio
from typing import Any

from lambdalite.api.http import endpoint_url
from lambdalite.api.lambda_api.functions import LOCAL_CODE_BUCKET
from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions.package import local_directory, store_zip
from lambdalite.functions.service import timestamp
from lambdalite.model.function import Code
from lambdalite.model.layer import LayerVersion
from lambdalite.platform import Platform

PAGE_LIMIT = 50


async def content_from(p: Platform, content: dict[str, Any]) -> Code:
    if "ZipFile" in content:
        return await asyncio.to_thread(store_zip, content["ZipFile"], p.settings.layer_dir)
    if content.get("S3Bucket") == LOCAL_CODE_BUCKET and content.get("S3Key"):
        return local_directory(content["S3Key"])
    raise InvalidParameterValueException(
        "Please provide a source for layer content: Content.ZipFile, or "
        f"Content.S3Bucket='{LOCAL_CODE_BUCKET}' with Content.S3Key set to a local directory."
    )


def layer_version(p: Platform, layer: LayerVersion, *, content: bool = True) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "LayerVersionArn": p.layers.arn(layer.name, layer.version),
        "Version": layer.version,
        "Description": layer.description,
        "CreatedDate": layer.created_date,
    }
    if content:
        location = f"{endpoint_url(p.base_url)}/_lambdalite/layers/{layer.name}/{layer.version}"
        doc["LayerArn"] = p.layers.arn(layer.name)
        doc["Content"] = {
            "Location": location,
            "CodeSha256": layer.code.sha256,
            "CodeSize": layer.code.size,
        }
    if layer.compatible_runtimes:
        doc["CompatibleRuntimes"] = list(layer.compatible_runtimes)
    if layer.compatible_architectures:
        doc["CompatibleArchitectures"] = list(layer.compatible_architectures)
    if layer.license_info is not None:
        doc["LicenseInfo"] = layer.license_info
    return doc


async def publish_layer_version(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    code = await content_from(p, params["Content"])
    layer = await p.layers.publish(
        params["LayerName"],
        code,
        created_date=timestamp(),
        description=params.get("Description", ""),
        compatible_runtimes=params.get("CompatibleRuntimes", ()),
        compatible_architectures=params.get("CompatibleArchitectures", ()),
        license_info=params.get("LicenseInfo"),
    )
    return layer_version(p, layer)


async def get_layer_version(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return layer_version(p, await p.layers.get(params["LayerName"], params["VersionNumber"]))


async def get_layer_version_by_arn(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    return layer_version(p, await p.layers.get_by_arn(params["Arn"]))


def _limit(params: dict[str, Any]) -> int:
    return min(params.get("MaxItems") or PAGE_LIMIT, PAGE_LIMIT)


async def list_layer_versions(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.layers.list_versions(
        params["LayerName"],
        params.get("CompatibleRuntime"),
        params.get("CompatibleArchitecture"),
        params.get("Marker"),
        _limit(params),
    )
    doc: dict[str, Any] = {
        "LayerVersions": [layer_version(p, v, content=False) for v in page.items]
    }
    if page.next_marker:
        doc["NextMarker"] = page.next_marker
    return doc


async def list_layers(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await p.layers.list_latest(
        params.get("CompatibleRuntime"),
        params.get("CompatibleArchitecture"),
        params.get("Marker"),
        _limit(params),
    )
    layers = [
        {
            "LayerName": v.name,
            "LayerArn": p.layers.arn(v.name),
            "LatestMatchingVersion": layer_version(p, v, content=False),
        }
        for v in page.items
    ]
    doc: dict[str, Any] = {"Layers": layers}
    if page.next_marker:
        doc["NextMarker"] = page.next_marker
    return doc


async def delete_layer_version(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.layers.delete(params["LayerName"], params["VersionNumber"])
    return {}


OPERATIONS = {
    "PublishLayerVersion": publish_layer_version,
    "GetLayerVersion": get_layer_version,
    "GetLayerVersionByArn": get_layer_version_by_arn,
    "ListLayerVersions": list_layer_versions,
    "ListLayers": list_layers,
    "DeleteLayerVersion": delete_layer_version,
}
