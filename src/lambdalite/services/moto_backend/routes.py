"""Which requests on the shared endpoint are S3's or DynamoDB's, and the URL moto expects.

DynamoDB and DynamoDB Streams speak awsJson 1.0 with ``X-Amz-Target`` prefixes of their
own. S3 speaks rest-xml on any path, so it is recognised by what only S3 clients send: a
SigV4 credential scope (header or presigned query) naming ``s3``, the
``x-amz-content-sha256`` header S3's signer adds, or a virtual-host name
(``bucket.s3.localhost``, ``bucket.localhost``). Lambda's REST paths, SQS queue URLs and
``/_lambdalite/`` never carry those; Lambda's paths are excluded all the same.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import unquote

from lambdalite.api.http import Request

DYNAMODB_TARGET = "DynamoDB_20120810."
STREAMS_TARGET = "DynamoDBStreams_20120810."
S3_HOST = "s3.amazonaws.com"
_SCOPE = re.compile(r"Credential=[^/,&]+/\d{8}/([^/,&]+)/([^/,&]+)/aws4_request")
_QUERY_SCOPE = re.compile(r"X-Amz-Credential=[^&]*?(?:%2F|/)([a-z0-9-]+)(?:%2F|/)s3(?:%2F|/)")
_VIRTUAL_HOST = re.compile(
    r"^(?P<bucket>[a-z0-9][a-z0-9.-]*?)\.(?:s3[.-][^:]*|localhost)(?::\d+)?$"
)
_LAMBDA_PATHS = ("/2015-03-31/", "/2016-08-19/", "/2017-03-31/", "/2017-10-31/", "/2018-10-31/",
                 "/2019-09-25/", "/2019-09-30/", "/2020-04-22/", "/2020-06-30/", "/2021-10-31/",
                 "/2022-10-31/", "/_lambdalite/")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Route:
    service: str  # "s3", "dynamodb", "dynamodbstreams"
    region: str | None  # from the credential scope, when signed
    bucket: str | None = None  # S3, virtual-host addressing: the bucket the host names


def route(request: Request) -> Route | None:
    """The moto-served service ``request`` is for, None when it is for another service."""
    headers = request.headers
    target = headers.get("x-amz-target")
    if target is not None:
        if target.startswith(DYNAMODB_TARGET):
            return Route("dynamodb", _region(headers))
        if target.startswith(STREAMS_TARGET):
            return Route("dynamodbstreams", _region(headers))
        return None
    if request.path.startswith(_LAMBDA_PATHS):
        return None
    scope = _SCOPE.search(headers.get("authorization", ""))
    host = _VIRTUAL_HOST.match(headers.get("host", ""))
    bucket = host.group("bucket") if host is not None else None
    if scope is not None:
        return Route("s3", scope.group(1), bucket) if scope.group(2) == "s3" else None
    if "x-amz-content-sha256" in headers or bucket is not None:
        return Route("s3", None, bucket)
    query = _QUERY_SCOPE.search(request.query_string.decode("latin-1"))
    if query is not None:
        return Route("s3", query.group(1), bucket)
    return None


def _region(headers: dict[str, str]) -> str | None:
    scope = _SCOPE.search(headers.get("authorization", ""))
    return scope.group(1) if scope is not None else None


@dataclass(frozen=True, slots=True)
class S3Target:
    bucket: str | None
    key: str | None  # decoded
    raw_path: str  # path-style, still percent-encoded: /bucket/key


def s3_target(request: Request, virtual_bucket: str | None) -> S3Target:
    """Bucket and key, from a path-style or virtual-host request alike."""
    raw = request.raw_path.decode("latin-1") or "/"
    if virtual_bucket is not None:
        raw = f"/{virtual_bucket}{raw}"
    bucket, _, key = raw[1:].partition("/")
    return S3Target(unquote(bucket) or None, unquote(key) or None, raw)


def s3_url(target: S3Target, query_string: bytes) -> str:
    query = query_string.decode("latin-1")
    return f"https://{S3_HOST}{target.raw_path}" + (f"?{query}" if query else "")


def json_url(service: str, region: str) -> str:
    host = "dynamodb" if service == "dynamodb" else "streams.dynamodb"
    return f"https://{host}.{region}.amazonaws.com/"
