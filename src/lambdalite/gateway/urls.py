"""Function URLs (Create/Get/Update/Delete/ListFunctionUrlConfigs): one URL per function
or alias, durable in the gateway store, with AWS's errors. The gateway server finds a
URL's target by its id (`by_id`), from memory."""

from __future__ import annotations

import secrets
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from typing import Any

from lambdalite.config import Settings
from lambdalite.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from lambdalite.gateway.registry import local_base
from lambdalite.gateway.store import GatewayStore
from lambdalite.invoke.resolve import FunctionReader
from lambdalite.model.arn import function_arn

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
PAGE_LIMIT = 50


@dataclass(frozen=True, slots=True)
class UrlConfig:
    function_name: str
    qualifier: str  # an alias name, or "" for the unqualified function
    url_id: str  # 32 lowercase alphanumerics, as AWS's
    auth_type: str  # NONE | AWS_IAM
    invoke_mode: str  # BUFFERED | RESPONSE_STREAM (streamed: gateway/streaming.py)
    creation_time: str
    last_modified_time: str
    cors: dict[str, Any] | None = None


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _doc(config: UrlConfig) -> dict[str, Any]:
    return {
        k: v for k, v in asdict(config).items() if k not in ("function_name", "qualifier", "url_id")
    }


def _config(doc: dict[str, Any]) -> UrlConfig:
    return UrlConfig(**doc)


def url_path(url_id: str) -> str:
    """The path form of a function URL, which works whatever the Host header."""
    return f"/lambda-url/{url_id}/"


class FunctionUrls:
    def __init__(self, settings: Settings, store: GatewayStore, functions: FunctionReader) -> None:
        self._settings = settings
        self._store = store
        self._functions = functions
        self._by_id: dict[str, UrlConfig] = {}

    async def load(self) -> None:
        self._by_id = {doc["url_id"]: _config(doc) for doc in await self._store.all_urls()}

    def arn(self, config: UrlConfig) -> str:
        s = self._settings
        return function_arn(s.region, s.account_id, config.function_name, config.qualifier or None)

    def url(self, config: UrlConfig) -> str:
        return local_base(self._settings) + url_path(config.url_id)

    def domain(self, url_id: str) -> str:
        """The host name the URL has in the event (AWS: <id>.lambda-url.<region>.on.aws)."""
        return f"{url_id}.lambda-url.{self._settings.region}.localhost"

    def by_id(self, url_id: str) -> UrlConfig | None:
        return self._by_id.get(url_id)

    async def _check_target(self, name: str, qualifier: str) -> None:
        s = self._settings
        missing = ResourceNotFoundException(
            f"Function not found: {function_arn(s.region, s.account_id, name, qualifier or None)}"
        )
        if await self._functions.get_function(name) is None:
            raise missing
        if qualifier:
            if qualifier == "$LATEST" or qualifier.isdigit():
                raise InvalidParameterValueException(
                    f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed "
                    "to satisfy constraint: Member must satisfy regular expression pattern: "
                    "((?!^\\d+$)^[0-9a-zA-Z-_]+$)"
                )
            if await self._functions.get_alias(name, qualifier) is None:
                raise missing

    async def create(
        self, name: str, qualifier: str, auth_type: str, cors: dict[str, Any] | None, mode: str
    ) -> UrlConfig:
        await self._check_target(name, qualifier)
        now = _now()
        url_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(32))
        config = UrlConfig(name, qualifier, url_id, auth_type, mode, now, now, cors)
        if not await self._store.create_url(name, qualifier, url_id, _doc(config)):
            raise ResourceConflictException(
                f"Failed to create function url config for [functionArn = {self.arn(config)}]. "
                "Error message:  FunctionUrlConfig exists for this Lambda function"
            )
        self._by_id[url_id] = config
        return config

    async def get(self, name: str, qualifier: str) -> UrlConfig:
        await self._check_target(name, qualifier)
        doc = await self._store.get_url(name, qualifier)
        if doc is None:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return _config(doc)

    async def update(self, name: str, qualifier: str, changes: dict[str, Any]) -> UrlConfig:
        config = await self.get(name, qualifier)
        config = replace(config, **changes, last_modified_time=_now())
        await self._store.update_url(name, qualifier, _doc(config))
        self._by_id[config.url_id] = config
        return config

    async def delete(self, name: str, qualifier: str) -> None:
        config = await self.get(name, qualifier)
        await self._store.delete_url(name, qualifier)
        self._by_id.pop(config.url_id, None)

    async def list(
        self, name: str, marker: str | None, limit: int
    ) -> tuple[list[UrlConfig], str | None]:
        await self._check_target(name, "")
        every = [_config(doc) for doc in await self._store.list_urls(name)]
        start = int(marker) if marker and marker.isdigit() else 0
        limit = min(limit, PAGE_LIMIT)
        page = every[start : start + limit]
        more = start + limit < len(every)
        return page, str(start + limit) if more else None

    async def forget(self, name: str, qualifier: str | None = None) -> None:
        """The function (every URL of it) or one alias (its URL) was deleted."""
        if qualifier is None:
            await self._store.delete_urls(name)
        else:
            await self._store.delete_url(name, qualifier)
        self._by_id = {
            k: v
            for k, v in self._by_id.items()
            if not (v.function_name == name and qualifier in (None, v.qualifier))
        }
