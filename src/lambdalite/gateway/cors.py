"""A function URL's Cors configuration applied as Lambda applies it: a preflight
(OPTIONS with Origin and Access-Control-Request-Method) is answered without invoking the
function, and other answers to an allowed origin get the CORS headers, which replace any
the function set itself."""

from __future__ import annotations

from typing import Any

from lambdalite.gateway.request import GatewayRequest
from lambdalite.gateway.responses import HttpResponse

_CORS_HEADERS = "access-control-"


def _allowed_origin(cors: dict[str, Any], origin: str | None) -> str | None:
    if not origin:
        return None
    allowed = cors.get("AllowOrigins") or []
    if "*" in allowed:
        return "*" if not cors.get("AllowCredentials") else origin
    return origin if origin in allowed else None


def preflight(cors: dict[str, Any] | None, req: GatewayRequest) -> HttpResponse | None:
    """The answer to a CORS preflight, or None when this is not one (the function runs)."""
    if cors is None or req.method != "OPTIONS":
        return None
    if req.header("origin") is None or req.header("access-control-request-method") is None:
        return None
    response = HttpResponse(200)
    origin = _allowed_origin(cors, req.header("origin"))
    if origin is not None:
        headers = response.headers
        headers.append(("access-control-allow-origin", origin))
        if cors.get("AllowMethods"):
            headers.append(("access-control-allow-methods", ",".join(cors["AllowMethods"])))
        if cors.get("AllowHeaders"):
            headers.append(("access-control-allow-headers", ",".join(cors["AllowHeaders"])))
        if cors.get("MaxAge") is not None:
            headers.append(("access-control-max-age", str(cors["MaxAge"])))
        if cors.get("AllowCredentials"):
            headers.append(("access-control-allow-credentials", "true"))
        headers.append(("vary", "Origin"))
    return response


def decorate(cors: dict[str, Any] | None, req: GatewayRequest, response: HttpResponse) -> None:
    """Put the configured CORS headers on an answer to an allowed origin."""
    if cors is None:
        return
    origin = _allowed_origin(cors, req.header("origin"))
    if origin is None:
        return
    headers = [(k, v) for k, v in response.headers if not k.lower().startswith(_CORS_HEADERS)]
    headers.append(("access-control-allow-origin", origin))
    if cors.get("ExposeHeaders"):
        headers.append(("access-control-expose-headers", ",".join(cors["ExposeHeaders"])))
    if cors.get("AllowCredentials"):
        headers.append(("access-control-allow-credentials", "true"))
    headers.append(("vary", "Origin"))
    response.headers = headers
