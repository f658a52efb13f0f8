"""S3 and DynamoDB outlive the server process: after `kill -9` and a restart on the same
data directory, buckets, objects (plain, versioned, multipart, deleted), tables, items and
DynamoDB streams are as they were, with the same timestamps, version ids and stream ARN,
and a stream's event source mapping carries on from its checkpoint without repeating a
record. An upload in progress survives too and completes after the restart."""

from __future__ import annotations

import importlib.util
import json
import signal
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import drain
from tests.acceptance.conftest import Server, create, start_server

if importlib.util.find_spec("moto") is None:
    pytest.skip("needs lambdalite[services]", allow_module_level=True)

HANDLER = """
import json, os

def handler(event, context):
    with open(os.environ["LOG"], "a") as f:
        for r in event["Records"]:
            f.write(r["dynamodb"]["Keys"]["id"]["S"] + "\\n")
    return {}
"""
PART = 5 * 1024 * 1024  # S3's smallest part but the last


def _kill_9(server: Server) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)


def _object_facts(s3: Any, bucket: str, key: str) -> dict[str, Any]:
    head = s3.head_object(Bucket=bucket, Key=key)
    return {k: head.get(k) for k in ("ETag", "LastModified", "VersionId", "ContentLength")}


def _write_s3(s3: Any) -> dict[str, Any]:
    """Buckets and objects of every kind, and an upload left open; what to compare later."""
    s3.create_bucket(Bucket="keep")
    s3.put_object(Bucket="keep", Key="a.txt", Body=b"alpha", ContentType="text/plain")
    s3.put_object(Bucket="keep", Key="gone.txt", Body=b"x")
    s3.delete_object(Bucket="keep", Key="gone.txt")
    s3.create_bucket(Bucket="versions")
    s3.put_bucket_versioning(Bucket="versions", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="versions", Key="doc", Body=b"one")["VersionId"]
    v2 = s3.put_object(Bucket="versions", Key="doc", Body=b"two")["VersionId"]
    done = s3.create_multipart_upload(Bucket="keep", Key="big.bin")["UploadId"]
    parts = [
        {"PartNumber": n, "ETag": s3.upload_part(
            Bucket="keep", Key="big.bin", UploadId=done, PartNumber=n, Body=body
        )["ETag"]}
        for n, body in ((1, b"a" * PART), (2, b"tail"))
    ]  # fmt: skip
    s3.complete_multipart_upload(
        Bucket="keep", Key="big.bin", UploadId=done, MultipartUpload={"Parts": parts}
    )
    open_upload = s3.create_multipart_upload(Bucket="keep", Key="later.bin")["UploadId"]
    early = s3.upload_part(
        Bucket="keep", Key="later.bin", UploadId=open_upload, PartNumber=1, Body=b"b" * PART
    )["ETag"]
    return {
        "facts": {key: _object_facts(s3, "keep", key) for key in ("a.txt", "big.bin")},
        "versions": sorted([v1, v2]),
        "v1": v1,
        "upload": (open_upload, early),
    }


def _check_s3(s3: Any, before: dict[str, Any]) -> None:
    assert s3.get_object(Bucket="keep", Key="a.txt")["Body"].read() == b"alpha"
    assert s3.get_object(Bucket="keep", Key="a.txt")["ContentType"] == "text/plain"
    after = {key: _object_facts(s3, "keep", key) for key in ("a.txt", "big.bin")}
    assert after == before["facts"]  # ETag, LastModified, size: as they were
    listed = [o["Key"] for o in s3.list_objects_v2(Bucket="keep")["Contents"]]
    assert listed == ["a.txt", "big.bin"]  # the deleted one stays deleted
    versions = s3.list_object_versions(Bucket="versions", Prefix="doc")["Versions"]
    assert sorted(v["VersionId"] for v in versions) == before["versions"]
    old = s3.get_object(Bucket="versions", Key="doc", VersionId=before["v1"])["Body"].read()
    assert old == b"one"
    # The upload begun before the crash goes on under its id.
    upload, early = before["upload"]
    late = s3.upload_part(
        Bucket="keep", Key="later.bin", UploadId=upload, PartNumber=2, Body=b"end"
    )["ETag"]
    s3.complete_multipart_upload(
        Bucket="keep", Key="later.bin", UploadId=upload,
        MultipartUpload={"Parts": [
            {"PartNumber": 1, "ETag": early}, {"PartNumber": 2, "ETag": late},
        ]},
    )  # fmt: skip
    assert s3.head_object(Bucket="keep", Key="later.bin")["ContentLength"] == PART + 3


def test_s3_survives_kill_9(tmp_path: Path) -> None:
    first = start_server(tmp_path, "--no-example")
    try:
        before = _write_s3(first.client("s3"))
    finally:
        _kill_9(first)
    second = start_server(tmp_path, "--no-example")
    try:
        _check_s3(second.client("s3"), before)
    finally:
        _kill_9(second)


def _new_table(ddb: Any) -> tuple[str, str]:
    table = ddb.create_table(
        TableName="orders",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]
    return table["LatestStreamArn"], table["CreationDateTime"]


def _write_items(ddb: Any) -> None:
    for n in range(3):
        ddb.put_item(TableName="orders", Item={"id": {"S": f"o{n}"}, "n": {"N": str(n)}})
    ddb.update_item(
        TableName="orders", Key={"id": {"S": "o1"}}, UpdateExpression="SET n = :v",
        ExpressionAttributeValues={":v": {"N": "10"}},
    )  # fmt: skip
    ddb.delete_item(TableName="orders", Key={"id": {"S": "o2"}})


def _event_names(server: Server, stream_arn: str) -> list[str]:
    records = server.client("dynamodbstreams")
    shard = records.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"][0]
    iterator = records.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return [r["eventName"] for r in records.get_records(ShardIterator=iterator)["Records"]]


def test_dynamodb_and_its_stream_mapping_survive_kill_9(tmp_path: Path) -> None:
    log = tmp_path / "seen.txt"
    first = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        ddb, lam = first.client("dynamodb"), first.client("lambda")
        stream_arn, created = _new_table(ddb)
        name = create(lam, HANDLER, Environment={"Variables": {"LOG": str(log)}})
        lam.create_event_source_mapping(
            FunctionName=name, EventSourceArn=stream_arn, StartingPosition="TRIM_HORIZON",
            BatchSize=10,
        )  # fmt: skip
        _write_items(ddb)
        drain(first.endpoint)
        seen_before = log.read_text().split()
        assert seen_before == ["o0", "o1", "o2", "o1", "o2"]
    finally:
        _kill_9(first)

    second = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        ddb = second.client("dynamodb")
        described = ddb.describe_table(TableName="orders")["Table"]
        assert (described["LatestStreamArn"], described["CreationDateTime"]) == (
            stream_arn, created,
        )  # fmt: skip
        items = ddb.scan(TableName="orders")["Items"]
        assert sorted((i["id"]["S"], i["n"]["N"]) for i in items) == [("o0", "0"), ("o1", "10")]
        # The mapping resumes after its checkpoint: only the new record is delivered.
        ddb.put_item(TableName="orders", Item={"id": {"S": "o3"}, "n": {"N": "3"}})
        drain(second.endpoint)
        assert log.read_text().split() == [*seen_before, "o3"]
        assert _event_names(second, stream_arn) == [
            "INSERT", "INSERT", "INSERT", "MODIFY", "REMOVE", "INSERT",
        ]  # fmt: skip
    finally:
        _kill_9(second)


def test_a_server_that_never_served_s3_keeps_nothing(tmp_path: Path) -> None:
    """Reads are not kept, nor are failed requests: only what changed the state."""
    server = start_server(tmp_path, "--no-example")
    try:
        s3 = server.client("s3")
        assert s3.list_buckets()["Buckets"] == []
        with pytest.raises(s3.exceptions.NoSuchBucket):
            s3.put_object(Bucket="nowhere", Key="k", Body=b"x")
        s3.create_bucket(Bucket="one")
    finally:
        _kill_9(server)
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(tmp_path / "data" / "lambdalite.sqlite3")) as db:
        kept = db.execute("SELECT method, url FROM moto_requests").fetchall()
    assert [(method, json.dumps(url)) for method, url in kept] == [
        ("PUT", json.dumps("https://s3.amazonaws.com/one"))
    ]
