"""lambdalite's stack routes: deploy, describe and delete stacks (`lambdalite up`/`down`),
and the ResponseURL custom resources PUT their response to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lambdalite.api.http import JSON, Headers, Request
from lambdalite.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
    UnknownOperationException,
)
from lambdalite.platform import Platform
from lambdalite.template.errors import TemplateError
from lambdalite.template.provision.custom import RESPONSE_ROUTE
from lambdalite.template.state import StackState

STACKS = "/_lambdalite/stacks"
PREFIXES = (STACKS, RESPONSE_ROUTE)


def _json(status: int, body: Any) -> tuple[int, Headers, bytes]:
    return status, [(b"content-type", JSON)], json.dumps(body, default=str).encode()


def stack_json(state: StackState) -> dict[str, Any]:
    return {
        "StackName": state.name,
        "Parameters": dict(state.parameters),
        "Outputs": dict(state.outputs),
        "Exports": dict(state.exports),
        "Resources": [
            {"LogicalResourceId": r.logical_id, "ResourceType": r.type,
             "PhysicalResourceId": r.physical_id}
            for r in state.resources.values()
        ],
    }  # fmt: skip


async def route(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    if request.path.startswith(RESPONSE_ROUTE) and request.method == "PUT":
        token = request.path.removeprefix(RESPONSE_ROUTE)
        try:
            response = json.loads(request.body or b"{}")
        except ValueError as exc:
            raise InvalidParameterValueException(f"Not a custom resource response: {exc}") from None
        if not p.stacks.responses.answer(token, response):
            raise ResourceNotFoundException(f"No custom resource waits for response {token}")
        return 200, [], b""
    name = request.path.removeprefix(STACKS).strip("/")
    if request.method == "POST" and not name:
        return await _deploy(p, request)
    if request.method == "GET" and name:
        state = await p.stacks.store.get(name)
        if state is None:
            raise ResourceNotFoundException(f"Stack {name} does not exist")
        return _json(200, stack_json(state))
    if request.method == "DELETE" and name:
        lines: list[str] = []
        if not await p.stacks.delete(name, lines.append):
            raise ResourceNotFoundException(f"Stack {name} does not exist")
        return _json(200, {"StackName": name, "Progress": lines})
    raise UnknownOperationException(f"Unknown operation {request.method} {request.path}")


async def _deploy(p: Platform, request: Request) -> tuple[int, Headers, bytes]:
    """POST {"Template": "/abs/template.yaml", "StackName": ..., "Parameters": {K: V}}."""
    try:
        doc = json.loads(request.body or b"{}")
        path, stack_name = Path(doc["Template"]), str(doc["StackName"])
        overrides = {str(k): str(v) for k, v in (doc.get("Parameters") or {}).items()}
    except (ValueError, KeyError, TypeError) as exc:
        raise InvalidParameterValueException(f"Give Template and StackName: {exc}") from None
    lines: list[str] = []
    try:
        state = await p.stacks.deploy(path, stack_name, overrides, lines.append)
    except TemplateError as exc:
        return _json(400, {"Type": "TemplateError", "Message": str(exc), "Progress": lines})
    return _json(200, {**stack_json(state), "Progress": lines})
