"""Lambda-side checks that the service model cannot express (spec 8.1, 7.2)."""

from __future__ import annotations

import json
from typing import Any

from lambdalite.errors import InvalidParameterValueException
from lambdalite.sandbox.interpreters import SUPPORTED_RUNTIMES
from lambdalite.sandbox.node_interpreters import NODE_RUNTIMES
from lambdalite.sandbox.runtime_api.environment import RUNTIME_API_RUNTIMES

RUNTIMES = SUPPORTED_RUNTIMES + NODE_RUNTIMES + RUNTIME_API_RUNTIMES

MAX_TIMEOUT_S = 900
MAX_MEMORY_MB = 10_240
MAX_ENVIRONMENT_BYTES = 4096
RESERVED_VARIABLES = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
    }
)


def check_runtime(runtime: str) -> None:
    if runtime not in RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {runtime} is not supported by lambdalite. "
            f"Supported runtimes: {', '.join(RUNTIMES)}."
        )


SNAP_START_VALUES = ("None", "PublishedVersions")


def snap_start_runtime(runtime: str) -> bool:
    """SnapStart for Python: python3.12 and later, as on AWS."""
    if not runtime.startswith("python3."):
        return False
    minor = runtime.removeprefix("python3.")
    return minor.isdigit() and int(minor) >= 12


def check_snap_start(apply_on: str, runtime: str) -> None:
    if apply_on not in SNAP_START_VALUES:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{apply_on}' at 'snapStart.applyOn' failed to "
            "satisfy constraint: Member must satisfy enum value set: [PublishedVersions, None]"
        )
    if apply_on == "PublishedVersions" and not snap_start_runtime(runtime):
        raise InvalidParameterValueException(
            f"{runtime} is not supported for SnapStart enabled functions."
        )


def check_limits(timeout: int, memory_size: int) -> None:
    if timeout > MAX_TIMEOUT_S:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy "
            f"constraint: Member must have value less than or equal to {MAX_TIMEOUT_S}"
        )
    if memory_size > MAX_MEMORY_MB:
        raise InvalidParameterValueException(
            f"'MemorySize' value failed to satisfy constraint: Member must have value less "
            f"than or equal to {MAX_MEMORY_MB}"
        )


def check_environment(variables: dict[str, str]) -> None:
    reserved = sorted(k for k in variables if k in RESERVED_VARIABLES)
    if reserved:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided contains reserved keys that are "
            f"currently not supported for modification. Reserved keys used in this request: "
            f"{', '.join(reserved)}"
        )
    measured = json.dumps(variables, separators=(",", ":"))
    if len(measured.encode()) > MAX_ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the "
            "environment variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )


def check_handler(handler: str | None, runtime: str = "") -> str:
    """A custom runtime runs its bootstrap, which may read _HANDLER or not: optional there."""
    if runtime in RUNTIME_API_RUNTIMES:
        return handler or ""
    if not handler:
        raise InvalidParameterValueException("Handler is required for Zip package type.")
    return handler


LOGGING_KEYS = {"log_format", "application_log_level", "system_log_level"}


def logging_levels(log_format: str, given: dict[str, Any]) -> dict[str, str | None]:
    """The log levels a function ends up with: only JSON has them (INFO unless given);
    asking for one with Text is AWS's error."""
    app, system = given.get("application_log_level"), given.get("system_log_level")
    if log_format != "JSON":
        if app or system:
            raise InvalidParameterValueException(
                'LogLevel is not supported when LogFormat is set to "Text". Remove LogLevel '
                'from your request or change the LogFormat to "Json" and try again.'
            )
        return {"application_log_level": None, "system_log_level": None}
    return {"application_log_level": app or "INFO", "system_log_level": system or "INFO"}
