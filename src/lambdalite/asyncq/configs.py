"""Event invoke configuration per function and qualifier (spec 3.4), with AWS's checks."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from lambdalite.asyncq.model import EventInvokeConfig
from lambdalite.asyncq.records import destination_kind
from lambdalite.asyncq.store import AsyncEventStore
from lambdalite.errors import InvalidParameterValueException, ResourceNotFoundException
from lambdalite.functions.store import FunctionStore
from lambdalite.model.arn import function_arn, parse_function_id
from lambdalite.model.function import LATEST

AT_LEAST_ONE = "You must specify at least one of error handling or destination setting."
SELF_DESTINATION = "You can't specify the function as a destination for itself."
FUNCTION_MISSING = "The function doesn't exist."


class EventInvokeConfigs:
    """CRUD with a read cache: the consumer reads the config of every event it runs."""

    def __init__(
        self, store: FunctionStore, async_store: AsyncEventStore, region: str, account: str
    ) -> None:
        self._store = store
        self._async = async_store
        self._region = region
        self._account = account
        # (function, qualifier) -> (the function record it was read under, config)
        self._cache: dict[tuple[str, str], tuple[object, EventInvokeConfig | None]] = {}

    async def effective(
        self, function_name: str, qualifier: str, record: object
    ) -> EventInvokeConfig | None:
        """`record` is the function's record as the store handed it out just now. The store
        decodes a new one after any change to functions, versions or aliases, deletions
        included (whose triggers also drop configs), so a different object means re-read."""
        key = (function_name, qualifier)
        hit = self._cache.get(key)
        if hit is not None and hit[0] is record:
            return hit[1]
        config = await self._async.get_config(function_name, qualifier)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[key] = (record, config)
        return config

    def arn(self, name: str, qualifier: str) -> str:
        return function_arn(self._region, self._account, name, qualifier)

    async def check_target(self, name: str, qualifier: str) -> None:
        """The function, and the version or alias when one is named, must exist."""
        if await self._store.get_function(name) is None:
            raise ResourceNotFoundException(FUNCTION_MISSING)
        if qualifier == LATEST:
            return
        found: object = (
            await self._store.get_version(name, qualifier)
            if qualifier.isdigit()
            else await self._store.get_alias(name, qualifier)
        )
        if found is None:
            raise ResourceNotFoundException(FUNCTION_MISSING)

    def missing(self, name: str, qualifier: str) -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"The function {self.arn(name, qualifier)} doesn't have an EventInvokeConfig"
        )

    async def get(self, name: str, qualifier: str) -> EventInvokeConfig:
        await self.check_target(name, qualifier)
        config = await self._async.get_config(name, qualifier)
        if config is None:
            raise self.missing(name, qualifier)
        return config

    async def put(
        self, name: str, qualifier: str, params: dict[str, Any], now: float, *, merge: bool
    ) -> EventInvokeConfig:
        await self.check_target(name, qualifier)
        keys = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
        if not any(k in params for k in keys):
            raise InvalidParameterValueException(AT_LEAST_ONE)
        base = EventInvokeConfig(function_name=name, qualifier=qualifier)
        if merge:
            current = await self._async.get_config(name, qualifier)
            if current is None:
                raise self.missing(name, qualifier)
            base = current
        changes: dict[str, Any] = {"last_modified": now}
        if "MaximumRetryAttempts" in params:
            changes["maximum_retry_attempts"] = params["MaximumRetryAttempts"]
        if "MaximumEventAgeInSeconds" in params:
            changes["maximum_event_age_in_seconds"] = params["MaximumEventAgeInSeconds"]
        if "DestinationConfig" in params:
            on_success, on_failure = await self._destinations(name, params["DestinationConfig"])
            changes.update(on_success=on_success, on_failure=on_failure)
        config = replace(base, **changes)
        await self._async.put_config(config)
        self._cache.pop((name, qualifier), None)
        return config

    async def delete(self, name: str, qualifier: str) -> None:
        await self.check_target(name, qualifier)
        if not await self._async.delete_config(name, qualifier):
            raise self.missing(name, qualifier)
        self._cache.pop((name, qualifier), None)

    async def list(
        self, name: str, marker: str | None, limit: int
    ) -> tuple[list[EventInvokeConfig], str | None]:
        await self.check_target(name, LATEST)
        return await self._async.list_configs(name, marker, limit)

    async def _destinations(
        self, name: str, config: dict[str, Any]
    ) -> tuple[str | None, str | None]:
        sides = {side: (config.get(side) or {}).get("Destination") or None for side in config}
        for side, arn in sides.items():
            if arn is not None:
                await self._check_destination(name, side, arn, config)
        return sides.get("OnSuccess"), sides.get("OnFailure")

    async def _check_destination(
        self, name: str, side: str, arn: str, config: dict[str, Any]
    ) -> None:
        kind = destination_kind(arn)
        resource = arn.split(":", 5)[5] if kind else ""
        if kind == "lambda" and resource.startswith("function:"):
            await self._check_function_destination(name, arn)
            return
        supported = kind in ("sqs", "sns") or (
            kind == "events" and resource.startswith("event-bus/")
        )
        if kind == "s3" and side == "OnFailure":
            supported = True
        if not supported:
            raise InvalidParameterValueException(
                f"The provided destination config {_describe(config)} is invalid."
            )

    async def _check_function_destination(self, name: str, arn: str) -> None:
        fid = parse_function_id(arn)
        if fid is not None and fid.name == name:
            raise InvalidParameterValueException(SELF_DESTINATION)
        exists = (
            fid is not None
            and fid.region == self._region
            and fid.account_id == self._account
            and await self._store.get_function(fid.name) is not None
        )
        if exists and fid is not None and fid.qualifier not in (None, LATEST):
            qualifier = fid.qualifier or LATEST
            found: object = (
                await self._store.get_version(fid.name, qualifier)
                if qualifier.isdigit()
                else await self._store.get_alias(fid.name, qualifier)
            )
            exists = found is not None
        if not exists:
            raise InvalidParameterValueException(f"The destination ARN {arn} is invalid.")


def _describe(config: dict[str, Any]) -> str:
    """AWS echoes the config in Java toString form."""

    def side(cls: str, key: str) -> str:
        if key not in config:
            return "null"
        arn = (config.get(key) or {}).get("Destination")
        return f"{cls}(destination={arn if arn else 'null'})"

    return (
        f"DestinationConfig(onSuccess={side('OnSuccess', 'OnSuccess')}, "
        f"onFailure={side('OnFailure', 'OnFailure')})"
    )
