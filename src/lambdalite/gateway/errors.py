"""The gateway's own answers (not the function's), as API Gateway, function URLs and ALB
send them (spec 6.2.1, 6.3)."""

from __future__ import annotations

import json

from lambdalite.gateway.responses import HttpResponse

API_BODY_LIMIT = 10 * 1024 * 1024  # API Gateway's payload quota (spec 6.2.1)
ALB_BODY_LIMIT = 1024 * 1024  # an ALB's request body to a Lambda target (spec 6.3)


def api_error(status: int, message: str, error_type: str | None = None) -> HttpResponse:
    headers = [("content-type", "application/json")]
    if error_type is not None:
        headers.append(("x-amzn-ErrorType", error_type))
    return HttpResponse(status, headers, json.dumps({"message": message}).encode())


def not_found_http() -> HttpResponse:
    return api_error(404, "Not Found")


def missing_token() -> HttpResponse:
    return api_error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")


def internal_error(status: int = 502) -> HttpResponse:
    """502 for a function error or a malformed answer, 500 when Invoke was refused."""
    kind = "InternalServerErrorException"
    return api_error(status, "Internal server error", kind)


def timed_out() -> HttpResponse:
    return api_error(504, "Endpoint request timed out", "InternalServerErrorException")


def too_large() -> HttpResponse:
    return api_error(413, "Request Too Long", "RequestEntityTooLargeException")


def url_error(status: int, message: str) -> HttpResponse:
    return HttpResponse(
        status, [("content-type", "application/json")], json.dumps({"Message": message}).encode()
    )


def alb_error(status: int, reason: str) -> HttpResponse:
    body = (
        f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()
    return HttpResponse(status, [("content-type", "text/html")], body)
