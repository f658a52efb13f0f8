"""The moto backend's pure parts: which requests it claims, which S3 events a request
raises and where they go, the DynamoDB stream record format, and the answer without the
``services`` extra."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import Any

import pytest

from lambdalite.api.http import Request
from lambdalite.clock import VirtualClock
from lambdalite.config import Settings
from lambdalite.esm.filtering import RecordFilter
from lambdalite.esm.streams.dynamodb import DynamoDBFormat
from lambdalite.esm.streams.format import RecordContext
from lambdalite.outbox.model import Entry
from lambdalite.services.directory import ServiceDirectory
from lambdalite.services.moto_backend import MotoServices
from lambdalite.services.moto_backend.ddb_stream import DynamoRecord
from lambdalite.services.moto_backend.routes import Route, route, s3_target
from lambdalite.services.moto_backend.s3_events import object_events
from lambdalite.services.moto_backend.s3_notify import Destination, RequestFacts, record

PRESIGNED = b"X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
SIGNED = "AWS4-HMAC-SHA256 Credential=test/20240101/{region}/{service}/aws4_request, X=y"


def request(path: str = "/", method: str = "GET", query: bytes = b"", **headers: str) -> Request:
    return Request(method, path, path.encode(), query, headers, b"")


@pytest.mark.parametrize(
    ("req", "expected"),
    [
        (request(**{"x-amz-target": "DynamoDB_20120810.PutItem"}), Route("dynamodb", None)),
        (
            request(**{"x-amz-target": "DynamoDBStreams_20120810.GetRecords"}),
            Route("dynamodbstreams", None),
        ),
        (request("/b/k", authorization=SIGNED.format(region="eu-west-1", service="s3")),
         Route("s3", "eu-west-1")),
        (request("/b", **{"x-amz-content-sha256": "UNSIGNED-PAYLOAD"}), Route("s3", None)),
        (request("/k", host="my-bucket.s3.localhost:4566"), Route("s3", None, "my-bucket")),
        (request("/k", host="my-bucket.localhost"), Route("s3", None, "my-bucket")),
        (
            request("/b/k", query=PRESIGNED),
            Route("s3", "us-east-1"),
        ),
    ],
)  # fmt: skip
def test_claimed(req: Request, expected: Route) -> None:
    assert route(req) == expected


@pytest.mark.parametrize(
    "req",
    [
        request(**{"x-amz-target": "Kinesis_20131202.PutRecord"}),
        request("/2015-03-31/functions/", authorization=SIGNED.format(region="r", service="x")),
        request("/2015-03-31/functions/f/invocations", **{"x-amz-content-sha256": "x"}),
        request("/000000000000/queue", authorization=SIGNED.format(region="r", service="sqs")),
        request("/", host="127.0.0.1:4566"),
        request("/", host="localhost:4566"),
    ],
)  # fmt: skip
def test_left_to_other_services(req: Request) -> None:
    assert route(req) is None


def test_virtual_host_and_path_style_name_the_same_object() -> None:
    virtual = s3_target(request("/a%20b/c"), "bkt")
    path = s3_target(request("/bkt/a%20b/c"), None)
    assert virtual == path
    assert (path.bucket, path.key, path.raw_path) == ("bkt", "a b/c", "/bkt/a%20b/c")


def events(method: str, path: str, status: int = 200, **kw: Any) -> list[tuple[str, str]]:
    query = kw.pop("query", {})
    got = object_events(
        method, s3_target(request(path), None), query, kw.pop("headers", {}), status,
        kw.pop("answer_headers", {}), kw.pop("body", b""),
    )  # fmt: skip
    return [(e.event_name, e.key) for e in got]


def test_object_events() -> None:
    assert events("PUT", "/b/k") == [("ObjectCreated:Put", "k")]
    assert events("PUT", "/b/k", headers={"x-amz-copy-source": "/b/j"}) == [
        ("ObjectCreated:Copy", "k")
    ]
    assert events("POST", "/b/k", query={"uploadId": ["u"]}) == [
        ("ObjectCreated:CompleteMultipartUpload", "k")
    ]
    assert events("DELETE", "/b/k") == [("ObjectRemoved:Delete", "k")]
    assert events("DELETE", "/b/k", answer_headers={"x-amz-delete-marker": "true"}) == [
        ("ObjectRemoved:DeleteMarkerCreated", "k")
    ]
    deleted = (
        b"<DeleteResult><Deleted><Key>a</Key></Deleted><Error><Key>b</Key></Error></DeleteResult>"
    )
    assert events("POST", "/b", query={"delete": [""]}, body=deleted) == [
        ("ObjectRemoved:Delete", "a")
    ]
    # no events: failures, reads, parts, sub-resources, bucket operations
    assert events("PUT", "/b/k", status=403) == []
    assert events("GET", "/b/k") == []
    assert events("PUT", "/b/k", query={"partNumber": ["1"], "uploadId": ["u"]}) == []
    assert events("PUT", "/b/k", query={"tagging": [""]}) == []
    assert events("PUT", "/b") == []


@pytest.mark.parametrize(
    ("events_", "prefix", "suffix", "name", "key", "wanted"),
    [
        (("s3:ObjectCreated:*",), None, None, "ObjectCreated:Put", "k", True),
        (("s3:ObjectCreated:*",), None, None, "ObjectRemoved:Delete", "k", False),
        (("s3:ObjectCreated:Copy",), None, None, "ObjectCreated:Put", "k", False),
        (("s3:ObjectRemoved:*",), None, None, "ObjectRemoved:DeleteMarkerCreated", "k", True),
        (("s3:ObjectCreated:*",), "in/", ".txt", "ObjectCreated:Put", "in/a.txt", True),
        (("s3:ObjectCreated:*",), "in/", ".txt", "ObjectCreated:Put", "out/a.txt", False),
        (("s3:ObjectCreated:*",), "in/", ".txt", "ObjectCreated:Put", "in/a.csv", False),
    ],
)
def test_destination_rules(
    events_: tuple[str, ...], prefix: str | None, suffix: str | None, name: str, key: str,
    wanted: bool,
) -> None:  # fmt: skip
    assert Destination("c", "arn", events_, prefix, suffix).wants(name, key) is wanted


def test_record_encodes_the_key_as_s3_does() -> None:
    from lambdalite.services.moto_backend.s3_events import ObjectEvent

    facts = RequestFacts("000000000000", "us-east-1", "b", "AK", "1.2.3.4", "R", "H", 0.25)
    doc = record(ObjectEvent("ObjectRemoved:Delete", "a b/c=d", sequencer="0A"),
                 Destination("c", "arn", ()), facts)  # fmt: skip
    assert doc["s3"]["object"] == {"key": "a+b/c%3Dd", "sequencer": "0A"}
    assert doc["eventTime"] == "1970-01-01T00:00:00.250Z"


def test_dynamodb_record_format() -> None:
    fmt = DynamoDBFormat()
    rec = DynamoRecord("5", 100.7, "e1", "MODIFY", {"id": {"S": "a"}}, {"v": {"N": "2"}},
                       {"v": {"N": "1"}}, "NEW_AND_OLD_IMAGES", 42)  # fmt: skip
    ctx = RecordContext("shard", "arn:aws:dynamodb:eu-west-1:1:table/t/stream/x", "eu-west-1", "")
    doc = fmt.event_record(rec, ctx)
    assert list(doc) == [
        "eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "dynamodb",
        "eventSourceARN",
    ]  # fmt: skip
    assert doc["dynamodb"]["ApproximateCreationDateTime"] == 100.0
    assert list(doc["dynamodb"]) == [
        "ApproximateCreationDateTime", "Keys", "NewImage", "OldImage", "SequenceNumber",
        "SizeBytes", "StreamViewType",
    ]  # fmt: skip
    assert fmt.arrival_text(100.7) == "1970-01-01T00:01:40Z"
    new_v = RecordFilter([json.dumps({"dynamodb": {"NewImage": {"v": {"N": ["2"]}}}})])
    assert fmt.passes(new_v, rec, ctx)
    assert not fmt.passes(RecordFilter([json.dumps({"eventName": ["INSERT"]})]), rec, ctx)


class _Outbox:
    def register(self, kind: str, courier: Any) -> None: ...
    def wake(self) -> None: ...
    async def add(self, entries: list[Entry]) -> None: ...


class _KeptRequests:
    async def append(self, kept: Any) -> None: ...
    async def kept(self) -> list[Any]:
        return []


@pytest.mark.parametrize(
    ("req", "status", "code"),
    [
        (request("/b/k", **{"x-amz-content-sha256": "x"}), 501, b"<Code>NotImplemented</Code>"),
        (request(**{"x-amz-target": "DynamoDB_20120810.ListTables"}), 400,
         b"#UnknownOperationException"),
    ],
)  # fmt: skip
def test_without_the_extra_the_error_names_it(
    monkeypatch: pytest.MonkeyPatch, req: Request, status: int, code: bytes
) -> None:
    monkeypatch.setitem(sys.modules, "moto", None)  # as if not installed
    outbox = _Outbox()
    services = MotoServices(
        Settings(),
        VirtualClock(),
        ServiceDirectory(),
        outbox,
        outbox,
        _KeptRequests(),  # type: ignore[arg-type]
    )
    claimed = services.route(req)
    assert claimed is not None
    got_status, _, body = asyncio.run(services.handle(req, claimed))
    services.engine.close()
    assert got_status == status and code in body
    assert b"pip install 'lambdalite[services]'" in body
