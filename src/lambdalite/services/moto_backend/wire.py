"""moto's answers as lambdalite's responses, and the errors lambdalite itself answers
S3 (rest-xml) and DynamoDB (awsJson 1.0) requests with."""

from __future__ import annotations

import json
from xml.sax.saxutils import escape

from lambdalite.api.http import Headers
from lambdalite.services.moto_backend.engine import MotoResponse

Response = tuple[int, Headers, bytes]
_DROPPED = frozenset({"content-length", "server", "date", "transfer-encoding", "connection"})


def response(answer: MotoResponse, method: str) -> Response:
    """A HEAD answer keeps moto's Content-Length (the object's size, with no body); every
    other length is the body's, which the HTTP layer sets."""
    headers: Headers = []
    for name, value in answer.headers.items():
        lower = name.lower()
        if lower in _DROPPED and not (lower == "content-length" and method == "HEAD"):
            continue
        headers.append((lower.encode("latin-1"), value.encode("latin-1", "replace")))
    return answer.status, headers, answer.body


def s3_error(code: str, message: str, status: int, request_id: str) -> Response:
    doc = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"<RequestId>{escape(request_id)}</RequestId></Error>"
    )
    headers: Headers = [
        (b"content-type", b"application/xml"),
        (b"x-amz-request-id", request_id.encode()),
    ]
    return status, headers, doc.encode()


def json_error(code: str, message: str, status: int, request_id: str) -> Response:
    doc = {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": message}
    headers: Headers = [
        (b"content-type", b"application/x-amz-json-1.0"),
        (b"x-amzn-requestid", request_id.encode()),
    ]
    return status, headers, json.dumps(doc).encode()


def error(service: str, code: str, message: str, status: int, request_id: str) -> Response:
    if service == "s3":
        return s3_error(code, message, status, request_id)
    return json_error(code, message, status, request_id)
