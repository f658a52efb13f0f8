"""Serve the gateway port through gateway/protocol.py only on the uvicorn it was written for.

The gateway's protocol relies on what the Invoke API's does (api/uvicorn_check.py) and on
a little more: the header callback, a few more per-connection attributes, uvicorn's header
checks and its request cycle, which it runs for the answers it does not send itself.
Elsewhere the port runs uvicorn's own httptools protocol (header names arrive lowercased,
no direct path; everything else the same) and says so in one warning.
"""

from __future__ import annotations

import inspect
import logging
from types import ModuleType
from typing import Any

import uvicorn
from uvicorn.protocols.http import httptools_impl

from lambdalite.api.uvicorn_check import mismatch as api_mismatch

log = logging.getLogger(__name__)

CYCLE_PARAMETERS = (
    "scope",
    "transport",
    "flow",
    "logger",
    "access_logger",
    "access_log",
    "default_headers",
    "message_event",
    "expect_100_continue",
    "keep_alive",
    "on_response",
)
# Per-connection attributes read beyond the Invoke API protocol's, set in __init__ or
# connection_made.
ATTRIBUTES = {
    "__init__": ("root_path", "asgi_version", "limit_concurrency", "logger", "access_logger",
                 "access_log"),
    "connection_made": ("flow", "server", "client", "scheme"),
}  # fmt: skip


def mismatch(module: ModuleType = httptools_impl, version: str | None = None) -> str | None:
    """What differs from the uvicorn the gateway protocol knows, or None."""
    problem = api_mismatch(version=version, module=module)
    if problem is not None:
        return problem
    protocol: Any = module.HttpToolsProtocol
    if tuple(inspect.signature(protocol.on_header).parameters) != ("self", "name", "value"):
        return "HttpToolsProtocol.on_header takes other parameters"
    for setter, attributes in ATTRIBUTES.items():
        named = getattr(protocol, setter).__code__.co_names
        if missing := [a for a in attributes if a not in named]:
            return f"HttpToolsProtocol.{setter} no longer sets {', '.join(missing)}"
    cycle: Any = getattr(module, "RequestResponseCycle", None)
    if not isinstance(cycle, type) or not inspect.iscoroutinefunction(
        getattr(cycle, "run_asgi", None)
    ):
        return "no RequestResponseCycle.run_asgi"
    if tuple(inspect.signature(cycle).parameters) != CYCLE_PARAMETERS:
        return "RequestResponseCycle takes other parameters"
    run_asgi: Any = getattr(cycle, "run_asgi", None)  # a coroutine function: checked above
    if "disconnected" not in run_asgi.__code__.co_names:
        return "RequestResponseCycle.run_asgi no longer reads disconnected (a cut stream)"
    if not all(hasattr(module, name) for name in ("HEADER_RE", "HEADER_VALUE_RE")):
        return "no HEADER_RE or HEADER_VALUE_RE"
    return None


def http_protocol() -> type[httptools_impl.HttpToolsProtocol] | str:
    """The gateway's protocol if this uvicorn has the internals it extends, else "httptools"."""
    problem = mismatch()
    if problem is not None:
        log.warning(
            "uvicorn %s: %s; the HTTP gateway serves through uvicorn's own httptools "
            "protocol (header names lowercased in REST events, no direct path)",
            uvicorn.__version__,
            problem,
        )
        return "httptools"
    # Imported only now: the module itself imports uvicorn internals by name.
    from lambdalite.gateway.protocol import GatewayHttpProtocol

    return GatewayHttpProtocol
