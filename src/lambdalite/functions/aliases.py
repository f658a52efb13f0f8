"""Aliases and their weighted routing (spec 9.2)."""

from __future__ import annotations

from lambdalite.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambdalite.functions.service import FunctionService, new_revision
from lambdalite.functions.store import FunctionStore, Page
from lambdalite.model.function import LATEST, Alias


class AliasService:
    def __init__(self, store: FunctionStore, functions: FunctionService) -> None:
        self._store = store
        self._functions = functions

    async def _check_routing(
        self, function_name: str, primary: str, weights: dict[str, float]
    ) -> None:
        if len(weights) > 1:
            raise InvalidParameterValueException(
                "Number of items in AdditionalVersionWeights cannot be greater than 1"
            )
        for version in weights:
            if version == primary:
                raise InvalidParameterValueException(
                    f"Invalid function version {version}. Function version {version} is "
                    "already included in routing configuration."
                )
            if not version.isdigit() or primary == LATEST:
                raise InvalidParameterValueException(
                    "$LATEST is not supported for an alias pointing to more than 1 version"
                )
            await self._functions.version(function_name, version)

    async def create(
        self,
        function_name: str,
        name: str,
        version: str,
        description: str,
        weights: dict[str, float],
    ) -> Alias:
        await self._functions.version(function_name, version)
        await self._check_routing(function_name, version, weights)
        alias = Alias(
            function_name=function_name,
            name=name,
            function_version=version,
            description=description,
            additional_version_weights=weights,
            revision_id=new_revision(),
        )
        if not await self._store.create_alias(alias):
            raise ResourceConflictException(
                f"Alias already exists: {self._functions.arn(function_name, name)}"
            )
        return alias

    async def get(self, function_name: str, name: str) -> Alias:
        await self._functions.record(function_name)
        alias = await self._store.get_alias(function_name, name)
        if alias is None:
            raise ResourceNotFoundException(
                f"Cannot find alias arn: {self._functions.arn(function_name, name)}"
            )
        return alias

    async def update(
        self,
        function_name: str,
        name: str,
        version: str | None,
        description: str | None,
        weights: dict[str, float] | None,
        revision_id: str | None,
    ) -> Alias:
        await self._functions.record(function_name)
        current = await self._store.get_alias(function_name, name)
        if current is None:
            raise ResourceNotFoundException(
                f"Alias not found: {self._functions.arn(function_name, name)}"
            )
        if revision_id is not None and revision_id != current.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetFunction/GetAlias API to retrieve the latest Revision Id"
            )
        primary = version or current.function_version
        if version is not None:
            await self._functions.version(function_name, version)
        routing = current.additional_version_weights if weights is None else weights
        await self._check_routing(function_name, primary, routing)
        updated = Alias(
            function_name=function_name,
            name=name,
            function_version=primary,
            description=current.description if description is None else description,
            additional_version_weights=routing,
            revision_id=new_revision(),
        )
        await self._store.replace_alias(updated)
        return updated

    async def delete(self, function_name: str, name: str) -> None:
        await self._functions.record(function_name)
        await self._store.delete_alias(function_name, name)
        for listener in self._functions.on_delete:  # an alias is a qualifier too
            await listener(function_name, name)

    async def list(
        self, function_name: str, version: str | None, marker: str | None, limit: int
    ) -> Page[Alias]:
        await self._functions.record(function_name)
        return await self._store.list_aliases(function_name, version, marker, limit)
