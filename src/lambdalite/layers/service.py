"""Publish, read, list and delete layer versions; resolve a function's Layers (spec 8.1)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lambdalite.config import Settings
from lambdalite.errors import InvalidParameterValueException, ResourceNotFoundException
from lambdalite.layers.store import LayerStore
from lambdalite.model.function import Code, LayerRef
from lambdalite.model.layer import LayerVersion

MAX_LAYERS = 5
_VERSION_ARN = re.compile(
    r"^arn:[a-zA-Z0-9-]+:lambda:(?P<region>[a-zA-Z0-9-]+):(?P<account>\d{12}):layer:"
    r"(?P<name>[a-zA-Z0-9-_]+):(?P<version>[0-9]+)$"
)
_NOT_FOUND = "The resource you requested does not exist."


@dataclass(frozen=True)
class Listed:
    items: list[LayerVersion]
    next_marker: str | None


class LayerService:
    def __init__(self, settings: Settings, store: LayerStore) -> None:
        self._settings = settings
        self._store = store

    def arn(self, name: str, version: int | None = None) -> str:
        s = self._settings
        base = f"arn:aws:lambda:{s.region}:{s.account_id}:layer:{name}"
        return base if version is None else f"{base}:{version}"

    @staticmethod
    def name_of(layer_name: str) -> str:
        """LayerName may be the layer's ARN (without a version)."""
        return layer_name.rsplit(":layer:", 1)[-1] if layer_name.startswith("arn:") else layer_name

    async def publish(
        self,
        name: str,
        code: Code,
        *,
        created_date: str,
        description: str = "",
        compatible_runtimes: Sequence[str] = (),
        compatible_architectures: Sequence[str] = (),
        license_info: str | None = None,
    ) -> LayerVersion:
        def make(number: int) -> LayerVersion:
            return LayerVersion(
                name=name,
                version=number,
                code=code,
                created_date=created_date,
                description=description,
                compatible_runtimes=tuple(compatible_runtimes),
                compatible_architectures=tuple(compatible_architectures),
                license_info=license_info,
            )

        return await self._store.publish_layer_version(self.name_of(name), make)

    async def get(self, name: str, version: int) -> LayerVersion:
        found = await self._store.get_layer_version(self.name_of(name), version)
        if found is None:
            raise ResourceNotFoundException(_NOT_FOUND)
        return found

    async def get_by_arn(self, arn: str) -> LayerVersion:
        match = _VERSION_ARN.match(arn)
        if match is None or not self._ours(match):
            raise ResourceNotFoundException(_NOT_FOUND)
        return await self.get(match["name"], int(match["version"]))

    async def list_versions(
        self,
        name: str,
        runtime: str | None,
        architecture: str | None,
        marker: str | None,
        limit: int,
    ) -> Listed:
        versions = await self._store.list_layer_versions(self.name_of(name))
        matching = [v for v in versions if v.compatible(runtime, architecture)]
        return _page(matching, marker, limit, key=lambda v: str(v.version))

    async def list_latest(
        self, runtime: str | None, architecture: str | None, marker: str | None, limit: int
    ) -> Listed:
        """Each layer's newest version that matches the filters (ListLayers)."""
        latest: list[LayerVersion] = []
        for name in await self._store.list_layer_names():
            versions = await self._store.list_layer_versions(name)
            found = next((v for v in versions if v.compatible(runtime, architecture)), None)
            if found is not None:
                latest.append(found)
        return _page(latest, marker, limit, key=lambda v: v.name)

    async def delete(self, name: str, version: int) -> None:
        """Idempotent, as on AWS; functions using the version keep its content."""
        await self._store.delete_layer_version(self.name_of(name), version)

    async def resolve(self, arns: Sequence[str]) -> tuple[LayerRef, ...]:
        """A function's Layers, checked and pinned to their content (CreateFunction,
        UpdateFunctionConfiguration)."""
        if len(arns) > MAX_LAYERS:
            raise InvalidParameterValueException("Cannot reference more than 5 layers.")
        refs = []
        for arn in arns:
            match = _VERSION_ARN.match(arn)
            found = None
            if match is not None and self._ours(match):
                found = await self._store.get_layer_version(match["name"], int(match["version"]))
            if found is None:
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
            refs.append(
                LayerRef(
                    arn=arn,
                    directory=found.code.directory,
                    size=found.code.size,
                    local=found.code.local,
                )
            )
        return tuple(refs)

    def _ours(self, match: re.Match[str]) -> bool:
        s = self._settings
        return match["region"] == s.region and match["account"] == s.account_id


def _page(
    items: list[LayerVersion], marker: str | None, limit: int, *, key: Callable[[LayerVersion], str]
) -> Listed:
    start = 0
    if marker is not None:
        keys = [key(item) for item in items]
        start = keys.index(marker) + 1 if marker in keys else len(items)
    chunk = items[start : start + limit]
    more = start + limit < len(items)
    return Listed(chunk, key(chunk[-1]) if more and chunk else None)
