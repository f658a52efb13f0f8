"""From a FunctionName path member and a Qualifier to one version's configuration (spec 1.3, 9)."""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass
from typing import Protocol

from lambdalite.errors import (
    AccessDeniedException,
    InvalidParameterValueException,
    ResourceNotFoundException,
    ValidationException,
)
from lambdalite.model.arn import FunctionId, function_arn, parse_function_id
from lambdalite.model.function import LATEST, Alias, FunctionConfig, FunctionRecord

MAX_NAME_LENGTH = 64


class FunctionReader(Protocol):
    """The three reads resolution needs (the control plane's FunctionStore offers them)."""

    async def get_function(self, name: str) -> FunctionRecord | None: ...
    async def get_version(self, name: str, version: str) -> FunctionConfig | None: ...
    async def get_alias(self, function_name: str, name: str) -> Alias | None: ...


@dataclass(slots=True)  # not frozen: built per invocation (see sandbox/types.py)
class Target:
    """A resolved invocation target."""

    record: FunctionRecord
    config: FunctionConfig  # the executed version's configuration
    qualifier: str | None  # as the caller gave it (alias, version, $LATEST) or None
    invoked_arn: str  # the ARN as called: unqualified if called unqualified


@functools.lru_cache(maxsize=4096)  # pure, and asked on every invoke: most ask for few names
def split_function_name(raw: str, qualifier: str | None, region: str, account: str) -> FunctionId:
    """Validate the identifier forms and the qualifier rules that need no store."""
    fid = parse_function_id(raw)
    if fid is None or len(raw) > 256:
        raise ValidationException(
            f"1 validation error detected: Value '{raw}' at 'functionName' failed to satisfy "
            "constraint: Member must satisfy regular expression pattern: "
            r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
            r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
        )
    if len(fid.name) > MAX_NAME_LENGTH:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{fid.name}' at 'functionName' failed to "
            "satisfy constraint: Member must have length less than or equal to 64"
        )
    if fid.qualifier is not None and qualifier is not None and fid.qualifier != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    if fid.region is not None and fid.region != region:
        raise ResourceNotFoundException(
            f"Functions from '{fid.region}' are not reachable in this region ('{region}')"
        )
    if fid.account_id is not None and fid.account_id != account:
        raise AccessDeniedException("")
    return FunctionId(fid.name, fid.qualifier or qualifier, fid.region, fid.account_id)


async def resolve_target(
    store: FunctionReader, raw: str, qualifier: str | None, region: str, account: str
) -> Target:
    fid = split_function_name(raw, qualifier, region, account)
    wanted = fid.qualifier or LATEST

    def not_found() -> ResourceNotFoundException:
        return ResourceNotFoundException(
            f"Function not found: {function_arn(region, account, fid.name, wanted)}"
        )

    record = await store.get_function(fid.name)
    if record is None:
        raise not_found()
    version = wanted
    if wanted != LATEST and not wanted.isdigit():
        alias = await store.get_alias(fid.name, wanted)
        if alias is None:
            raise not_found()
        version = alias.function_version
        for extra, weight in alias.additional_version_weights.items():
            if random.random() < weight:
                version = extra
    config = await store.get_version(fid.name, version)
    if config is None:
        raise not_found()
    invoked = function_arn(region, account, fid.name, fid.qualifier)
    return Target(record, config, fid.qualifier, invoked)
