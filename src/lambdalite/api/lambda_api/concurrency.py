"""Put/Get/DeleteFunctionConcurrency and GetAccountSettings."""

from __future__ import annotations

from typing import Any

from lambdalite.api.lambda_api.functions import function_name
from lambdalite.errors import InvalidParameterValueException
from lambdalite.functions.concurrency import QUALIFIED_NOT_ALLOWED
from lambdalite.functions.package import MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES
from lambdalite.platform import Platform

TOTAL_CODE_SIZE = 80_530_636_800


def _unqualified(raw: str) -> str:
    name, qualifier = function_name(raw)
    if qualifier is not None:
        raise InvalidParameterValueException(QUALIFIED_NOT_ALLOWED)
    return name


async def put_function_concurrency(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    value = await p.concurrency.put(
        _unqualified(params["FunctionName"]), params["ReservedConcurrentExecutions"]
    )
    return {"ReservedConcurrentExecutions": value}


async def get_function_concurrency(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    value = await p.concurrency.get(_unqualified(params["FunctionName"]))
    return {} if value is None else {"ReservedConcurrentExecutions": value}


async def delete_function_concurrency(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await p.concurrency.delete(_unqualified(params["FunctionName"]))
    return {}


async def get_account_settings(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    total, count = await p.functions.account_usage()
    return {
        "AccountLimit": {
            "TotalCodeSize": TOTAL_CODE_SIZE,
            "CodeSizeUnzipped": MAX_UNZIPPED_BYTES,
            "CodeSizeZipped": MAX_ZIPPED_BYTES,
            "ConcurrentExecutions": p.settings.account_concurrency,
            "UnreservedConcurrentExecutions": await p.concurrency.unreserved(),
        },
        "AccountUsage": {"TotalCodeSize": total, "FunctionCount": count},
    }


OPERATIONS = {
    "PutFunctionConcurrency": put_function_concurrency,
    "GetFunctionConcurrency": get_function_concurrency,
    "DeleteFunctionConcurrency": delete_function_concurrency,
    "GetAccountSettings": get_account_settings,
}
