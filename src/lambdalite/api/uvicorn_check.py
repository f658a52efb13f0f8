"""Serve through lambdalite's protocol only on the uvicorn internals it was written for.

api/server_protocol.py subclasses uvicorn's HttpToolsProtocol: it overrides parser
callbacks, reads per-connection attributes and stands in for uvicorn's request cycle.
None of that is uvicorn's public API, so a release may change it without notice. At start
the installed uvicorn must be a vetted minor version and still have what the protocol
relies on; otherwise the server runs uvicorn's own httptools protocol (no Invoke fast
path, same behaviour) and says so in one warning.
"""

from __future__ import annotations

import inspect
import logging
from types import ModuleType
from typing import Any

import uvicorn
from uvicorn.protocols.http import httptools_impl
from uvicorn.server import ServerState

log = logging.getLogger(__name__)

# Read through when a new minor is added: uvicorn's diff of protocols/http/httptools_impl.py.
VETTED = ((0, 54), (0, 55))
# Methods the subclass overrides or calls, with their parameters.
METHODS = {
    "connection_made": ("self", "transport"),
    "connection_lost": ("self", "exc"),
    "on_message_begin": ("self",),
    "on_headers_complete": ("self",),
    "on_body": ("self", "body"),
    "on_message_complete": ("self",),
    "on_response_complete": ("self",),
    "shutdown": ("self",),
    "_unset_keepalive_if_required": ("self",),
}
# Attributes it reads, by the method of uvicorn's that sets them (checked by name).
ATTRIBUTES = {
    "__init__": (
        "app",
        "loop",
        "parser",
        "tasks",
        "server_state",
        "transport",
        "cycle",
        "expect_100_continue",
        "timeout_keep_alive_task",
    ),
    "on_message_begin": ("url", "headers"),
}


def mismatch(
    version: str | None = None,
    module: ModuleType = httptools_impl,
    state: type[Any] = ServerState,
) -> str | None:
    """What differs from the uvicorn the protocol knows, or None when nothing does."""
    version = uvicorn.__version__ if version is None else version
    minor = tuple(int(part) for part in version.split(".")[:2] if part.isdigit())
    if minor not in VETTED:
        return "not a vetted version"
    protocol = getattr(module, "HttpToolsProtocol", None)
    if not isinstance(protocol, type):
        return "no HttpToolsProtocol"
    for name, parameters in METHODS.items():
        method = getattr(protocol, name, None)
        if not inspect.isfunction(method):
            return f"no HttpToolsProtocol.{name}"
        if tuple(inspect.signature(method).parameters) != parameters:
            return f"HttpToolsProtocol.{name} takes other parameters"
    for setter, attributes in ATTRIBUTES.items():
        code = getattr(getattr(protocol, setter, None), "__code__", None)
        named = code.co_names if code is not None else ()  # attributes it reads or sets
        if missing := [a for a in attributes if a not in named]:
            return f"HttpToolsProtocol.{setter} no longer sets {', '.join(missing)}"
    if getattr(module, "STATUS_LINE", {}).get(200) != b"HTTP/1.1 200 OK\r\n":
        return "no STATUS_LINE table"
    if "default_headers" not in state.__init__.__code__.co_names:
        return "no ServerState.default_headers"
    return None


def http_protocol() -> type[httptools_impl.HttpToolsProtocol] | str:
    """lambdalite's protocol if this uvicorn has the internals it extends, else "httptools"."""
    problem = mismatch()
    if problem is not None:
        log.warning(
            "uvicorn %s: %s; serving through uvicorn's own httptools protocol, "
            "without lambdalite's Invoke fast path",
            uvicorn.__version__,
            problem,
        )
        return "httptools"
    # Imported only now: the module itself imports uvicorn internals by name.
    from lambdalite.api.server_protocol import LambdaliteHttpProtocol

    return LambdaliteHttpProtocol
