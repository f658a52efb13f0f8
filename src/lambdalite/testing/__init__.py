"""Helpers for driving a real lambdalite server from tests and benchmarks."""

from __future__ import annotations

from lambdalite.testing.server import (
    ROLE,
    Server,
    free_port,
    start_server,
    stop_server,
    zip_source,
)

__all__ = ["ROLE", "Server", "free_port", "start_server", "stop_server", "zip_source"]
