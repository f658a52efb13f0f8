"""Environment variables of an execution environment (spec 8.4)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from lambdalite.sandbox.types import EnvironmentSpec

RUNTIME_DIR = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "runtime"))

# Unreserved defaults (the function configuration may override them). AWS's PATH points at
# /var/lang; here the interpreter's own directory comes first instead.
_DEFAULTS = {
    "LANG": "en_US.UTF-8",
    "LC_CTYPE": "C.UTF-8",
    "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
    "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    "_AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1",
    "_AWS_XRAY_DAEMON_PORT": "2000",
}

# Platform-wide values the server may replace (credentials, the Runtime API address).
PLATFORM_DEFAULTS = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    "AWS_SESSION_TOKEN": "test",
    "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9001",
}


def sdk_defaults(host: str, port: int) -> dict[str, str]:
    """Points AWS SDKs in function code at this server (botocore reads AWS_ENDPOINT_URL
    since 1.31). Unreserved, so a function's own value wins; credentials and region are
    reserved variables, set below."""
    return {"AWS_ENDPOINT_URL": endpoint_url(host, port)}


def endpoint_url(host: str, port: int) -> str:
    """The URL an environment on this machine reaches the server at: a wildcard listening
    address becomes the loopback one."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def build_env(
    spec: EnvironmentSpec,
    log_stream: str,
    platform_env: Mapping[str, str],
    default_env: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Defaults (ours, then `default_env`) < the function's variables < reserved variables
    (which always win)."""
    interp_dir = os.path.dirname(spec.interpreter) or "/usr/bin"
    env = {"PATH": f"{interp_dir}:/usr/local/bin:/usr/bin:/bin", **_DEFAULTS}
    env.update(default_env or {})
    env.update(spec.environment)
    env.update(PLATFORM_DEFAULTS)
    env.update(platform_env)
    env.update(
        {
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.function_version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": log_group(spec),
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream,
            "LAMBDA_TASK_ROOT": str(spec.code_dir),
            "LAMBDA_RUNTIME_DIR": RUNTIME_DIR,
            "TZ": ":UTC",
            "PWD": str(spec.code_dir),
        }
    )
    if spec.log_format == "JSON":  # the runtime formats and filters its records by these
        env["AWS_LAMBDA_LOG_FORMAT"] = "JSON"
        env["AWS_LAMBDA_LOG_LEVEL"] = spec.application_log_level or "INFO"
    return env


def log_group(spec: EnvironmentSpec) -> str:
    return spec.log_group or f"/aws/lambda/{spec.function_name}"
