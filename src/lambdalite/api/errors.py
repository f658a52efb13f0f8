"""Exceptions to wire responses, in one place. No response ever carries a server traceback."""

from __future__ import annotations

import json
import logging

from lambdalite.api.http import JSON, Headers
from lambdalite.errors import AwsError, ServiceException

log = logging.getLogger(__name__)


def error_response(exc: BaseException, request_id: str) -> tuple[int, Headers, bytes]:
    if not isinstance(exc, AwsError):
        log.error("internal error (request %s)", request_id, exc_info=exc)
        exc = ServiceException()
    headers: Headers = [
        (b"content-type", JSON),
        (b"x-amzn-requestid", request_id.encode()),
        (b"x-amzn-errortype", exc.wire_code.encode()),
    ]
    headers.extend((k.encode(), v.encode()) for k, v in exc.headers().items())
    return exc.status_code, headers, json.dumps(exc.body()).encode()
