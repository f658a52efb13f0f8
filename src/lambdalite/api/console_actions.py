"""The console's POST actions: each checks the CSRF token and origin (console/guard.py),
runs one console action (console/actions.py) or an Invoke through the Lambda API's own
code, and answers with an HTML fragment (or JSON under `/_lambdalite/api/actions/`)."""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lambdalite.api import console_forms
from lambdalite.api.errors import error_response
from lambdalite.api.http import JSON, Headers, Request
from lambdalite.api.lambda_api.invoke import invoke
from lambdalite.console import actions
from lambdalite.console.guard import parse_form
from lambdalite.console.render import render
from lambdalite.errors import AwsError, InvalidParameterValueException, UnknownOperationException
from lambdalite.invoke.invoker import new_request_id
from lambdalite.platform import Platform

if TYPE_CHECKING:
    from lambdalite.api.console_api import ConsoleApi

HTML = b"text/html; charset=utf-8"


def _field(form: dict[str, list[str]], name: str, required: bool = True) -> str:
    values = form.get(name)
    if not values or (required and not values[0]):
        if required:
            raise InvalidParameterValueException(f"The form field {name} is required")
        return ""
    return values[0]


async def _invoke(p: Platform, form: dict[str, list[str]]) -> dict[str, Any]:
    """An Invoke as the Lambda API would take it (same validation, same errors)."""
    name = _field(form, "function")
    kind = _field(form, "type", required=False) or "RequestResponse"
    request = Request(
        method="POST",
        path=f"/2015-03-31/functions/{quote(name, safe='')}/invocations",
        raw_path=b"",
        query_string=b"",
        headers={"x-amz-invocation-type": kind, "x-amz-log-type": "Tail"},
        body=_field(form, "payload", required=False).encode(),
    )
    try:
        status, headers, body = await invoke(p, request, name)
    except Exception as exc:
        status, headers, body = error_response(exc, new_request_id())
    found = {k.decode(): v.decode() for k, v in headers}
    log = found.get("x-amz-log-result")
    return {
        "status": status,
        "payload": body.decode("utf-8", "replace"),
        "functionError": found.get("x-amz-function-error"),
        "errorType": found.get("x-amzn-errortype"),
        "requestId": found.get("x-amzn-requestid") if kind == "Event" else None,
        "log": base64.b64decode(log).decode("utf-8", "replace") if log else "",
    }


async def _run(p: Platform, action: str, form: dict[str, list[str]]) -> dict[str, Any]:
    resource_form = console_forms.FORMS.get(action)
    if resource_form is not None:  # the resources screen's Send/Put/Publish forms
        return await resource_form(p, form)
    if action == "invoke":
        return await _invoke(p, form)
    if action == "reinvoke":
        return await actions.reinvoke(p, _field(form, "request-id"))
    if action == "redrive":
        message_id = _field(form, "message-id", required=False) or None
        return await actions.redrive(p, _field(form, "queue"), message_id)
    if action == "move":
        return await actions.move_to_sources(p, _field(form, "queue"))
    if action == "purge":
        confirm = _field(form, "confirm", required=False)
        return await actions.purge(
            p, _field(form, "queue"), int(confirm) if confirm.isdigit() else None
        )
    if action == "mapping":
        enabled = _field(form, "enabled")
        if enabled not in ("true", "false"):
            raise InvalidParameterValueException("enabled must be true or false")
        return await actions.set_mapping_enabled(p, _field(form, "uuid"), enabled == "true")
    if action == "clock":
        try:
            seconds = float(_field(form, "advance"))
        except ValueError:
            raise InvalidParameterValueException("advance must be a number of seconds") from None
        return await actions.advance_clock(p, seconds)
    raise UnknownOperationException(f"Unknown console action {action}")


async def handle(
    console: ConsoleApi, request: Request, json_twin: bool
) -> tuple[int, Headers, bytes]:
    prefix = "/_lambdalite/api/actions/" if json_twin else "/_lambdalite/ui/actions/"
    if not request.path.startswith(prefix):
        raise UnknownOperationException(f"Unknown operation POST {request.path}")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        try:
            doc = json.loads(request.body or b"{}")
        except ValueError:
            raise InvalidParameterValueException("The body is not JSON") from None
        form = {k: [str(v)] for k, v in doc.items()} if isinstance(doc, dict) else {}
    else:
        form = parse_form(request.body)
    console.guard.check_post(request.headers, form)  # Forbidden -> 403 by the caller
    action = request.path.removeprefix(prefix)
    try:
        result = await _run(console.platform, action, form)
    except AwsError as exc:
        if json_twin:
            return error_response(exc, new_request_id())
        error = {"type": exc.wire_code, "message": str(exc)}
        body = render(
            "_action.html", action=action, result={}, error=error, csrf=console.guard.token
        )
        return exc.status_code, [(b"content-type", HTML)], body
    if json_twin:
        return 200, [(b"content-type", JSON)], json.dumps(result).encode()
    body = render(
        "_action.html", action=action, result=result, error=None, csrf=console.guard.token
    )
    return 200, [(b"content-type", HTML)], body
