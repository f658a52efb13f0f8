"""lambdalite's own routes under /_lambdalite/: health and code download."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import lambdalite
from lambdalite.api.http import JSON, Headers, Request
from lambdalite.errors import ResourceNotFoundException, UnknownOperationException
from lambdalite.functions.interpreters import describe_runtimes
from lambdalite.platform import Platform


async def internal_route(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    if request.path == "/_lambdalite/health":
        body = json.dumps({"status": "running", "version": lambdalite.__version__}).encode()
        return 200, [(b"content-type", JSON)], body
    if request.path == "/_lambdalite/runtimes":
        runtimes = await asyncio.to_thread(describe_runtimes)
        return 200, [(b"content-type", JSON)], json.dumps(runtimes).encode()
    if request.path.startswith("/_lambdalite/code/") and request.method == "GET":
        return await _code_zip(p, request.path.removeprefix("/_lambdalite/code/"))
    raise UnknownOperationException(f"Unknown operation {request.method} {request.path}")


async def _code_zip(p: Platform, name: str) -> tuple[int, Headers, bytes]:
    config = await p.functions.latest(name)
    if config.code.zip_path is None:
        raise ResourceNotFoundException("This function runs from a local directory; no zip.")
    data = await asyncio.to_thread(Path(config.code.zip_path).read_bytes)
    return 200, [(b"content-type", b"application/zip")], data
