"""Helpers for driving a real lambdalite server from tests and benchmarks: start and stop
one, and wait on its background work (`drain`, `advance`) instead of sleeping."""

from __future__ import annotations

from lambdalite.testing.hooks import DrainTimeout, advance, clock_now, drain, fast_forward
from lambdalite.testing.server import (
    ROLE,
    Server,
    free_port,
    start_server,
    stop_server,
    zip_source,
)

__all__ = [
    "ROLE",
    "DrainTimeout",
    "Server",
    "advance",
    "clock_now",
    "drain",
    "fast_forward",
    "free_port",
    "start_server",
    "stop_server",
    "zip_source",
]
