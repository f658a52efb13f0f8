"""S3 (embedded moto) on lambdalite's endpoint, against a real server on the virtual clock:
buckets and objects through boto3, path-style and virtual-host addressing, and event
notifications built by lambdalite (spec 6.4) and delivered through the asynchronous invoke
path (retries, dead-letter queue, destinations) or to SQS."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from lambdalite.testing import advance, clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

# The server imports moto, not the tests: skip only when the services extra is missing.
if importlib.util.find_spec("moto") is None:
    pytest.skip("needs lambdalite[services]", allow_module_level=True)

REGION = "us-east-1"
LOGGER = """
import json, os

def handler(event, context):
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    if os.environ.get("FAIL"):
        raise RuntimeError("boom")
    return {"ok": True}
"""
_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("s3"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def s3(srv: Server) -> Any:
    return srv.client("s3")


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def sqs(srv: Server) -> Any:
    return srv.client("sqs")


def new_bucket(s3: Any) -> str:
    name = f"bkt-{os.getpid()}-{next(_names)}"
    s3.create_bucket(Bucket=name)
    return name


def new_queue(sqs: Any) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"s3q-{os.getpid()}-{next(_names)}")["QueueUrl"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    return url, attrs["QueueArn"]


def receive_all(sqs: Any, url: str) -> list[dict[str, Any]]:
    got = []
    while True:
        page = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        if not page.get("Messages"):
            return got
        for m in page["Messages"]:
            got.append(json.loads(m["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])


class Fn:
    def __init__(self, lam: Any, tmp: Path, **config: Any) -> None:
        self.log = tmp / f"log-{next(_names)}.jsonl"
        env = {"LOG": str(self.log), **config.pop("env", {})}
        self.name = create(lam, LOGGER, Environment={"Variables": env}, **config)
        self.arn = lam.get_function(FunctionName=self.name)["Configuration"]["FunctionArn"]

    def records(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        events = [json.loads(line) for line in self.log.read_text().splitlines()]
        assert all(len(e["Records"]) == 1 for e in events)  # one record per notification
        return [e["Records"][0] for e in events]


def notify(s3: Any, bucket: str, **config: Any) -> None:
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def lambda_config(fn: Fn, events: list[str], cid: str = "cfg", **rules: str) -> dict[str, Any]:
    config: dict[str, Any] = {"Id": cid, "LambdaFunctionArn": fn.arn, "Events": events}
    if rules:
        config["Filter"] = {
            "Key": {"FilterRules": [{"Name": k, "Value": v} for k, v in rules.items()]}
        }
    return config


def test_buckets_and_objects(s3: Any) -> None:
    bucket = new_bucket(s3)
    assert bucket in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    s3.put_object(Bucket=bucket, Key="dir/a b.txt", Body=b"hello", ContentType="text/plain")
    got = s3.get_object(Bucket=bucket, Key="dir/a b.txt")
    assert got["Body"].read() == b"hello" and got["ContentType"] == "text/plain"
    head = s3.head_object(Bucket=bucket, Key="dir/a b.txt")
    assert head["ContentLength"] == 5
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "dir/a b.txt"})
    listed = s3.list_objects_v2(Bucket=bucket, Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/a b.txt"]
    s3.delete_object(Bucket=bucket, Key="dir/a b.txt")
    with pytest.raises(s3.exceptions.NoSuchKey):
        s3.get_object(Bucket=bucket, Key="dir/a b.txt")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "copy"}]})
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    s3.delete_bucket(Bucket=bucket)
    with pytest.raises(s3.exceptions.NoSuchBucket):
        s3.list_objects_v2(Bucket=bucket)


def test_virtual_host_addressing(srv: Server, s3: Any) -> None:
    bucket = new_bucket(s3)
    unsigned = {"x-amz-content-sha256": "UNSIGNED-PAYLOAD", "host": f"{bucket}.s3.localhost"}
    put = httpx.put(f"{srv.endpoint}/v/key", content=b"virtual", headers=unsigned)
    assert put.status_code == 200, put.text
    assert s3.get_object(Bucket=bucket, Key="v/key")["Body"].read() == b"virtual"
    anonymous = httpx.get(f"{srv.endpoint}/v/key", headers=unsigned)
    assert anonymous.status_code == 403  # unsigned: the object is private


def test_other_services_keep_their_routes(lam: Any, sqs: Any, s3: Any) -> None:
    new_bucket(s3)
    assert "Functions" in lam.list_functions()
    url, _ = new_queue(sqs)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"still": "sqs"}))
    assert receive_all(sqs, url) == [{"still": "sqs"}]


def test_put_notifies_a_function_with_the_aws_record(
    srv: Server, s3: Any, lam: Any, tmp_path: Path
) -> None:
    fn = Fn(lam, tmp_path)
    bucket = new_bucket(s3)
    notify(s3, bucket, LambdaFunctionConfigurations=[lambda_config(fn, ["s3:ObjectCreated:*"])])
    now = clock_now(srv.endpoint)
    put = s3.put_object(Bucket=bucket, Key="photos/my photo=1.jpg", Body=b"12345678")
    drain(srv.endpoint)
    (record,) = fn.records()
    headers = put["ResponseMetadata"]["HTTPHeaders"]
    stamp = datetime.fromtimestamp(now, UTC)
    obj = record["s3"]["object"]
    owner = record["s3"]["bucket"]["ownerIdentity"]["principalId"]
    expected = {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z",
        "eventName": "ObjectCreated:Put",
        "userIdentity": {"principalId": "AWS:test"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {
            "x-amz-request-id": headers["x-amz-request-id"],
            "x-amz-id-2": headers["x-amz-id-2"],
        },
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "cfg",
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": owner},
                "arn": f"arn:aws:s3:::{bucket}",
            },
            "object": {
                "key": "photos/my+photo%3D1.jpg",  # URL-encoded, spaces as "+"
                "size": 8,
                "eTag": put["ETag"].strip('"'),
                "sequencer": obj["sequencer"],
            },
        },
    }
    assert record == expected
    assert list(record) == list(expected) and list(record["s3"]) == list(expected["s3"])
    assert list(obj) == ["key", "size", "eTag", "sequencer"]
    assert owner.startswith("A") and int(obj["sequencer"], 16) > 0


def test_event_names_and_filters(srv: Server, s3: Any, lam: Any, tmp_path: Path) -> None:
    created, removed = Fn(lam, tmp_path), Fn(lam, tmp_path)
    bucket = new_bucket(s3)
    notify(
        s3, bucket, LambdaFunctionConfigurations=[
            lambda_config(created, ["s3:ObjectCreated:*"], "c", prefix="in/", suffix=".txt"),
            lambda_config(removed, ["s3:ObjectRemoved:Delete"], "r"),
        ],
    )  # fmt: skip
    s3.put_object(Bucket=bucket, Key="in/a.txt", Body=b"a")
    s3.put_object(Bucket=bucket, Key="in/a.csv", Body=b"no: suffix")
    s3.put_object(Bucket=bucket, Key="out/a.txt", Body=b"no: prefix")
    s3.copy_object(Bucket=bucket, Key="in/b.txt", CopySource={"Bucket": bucket, "Key": "in/a.txt"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="in/c.txt")
    part = s3.upload_part(
        Bucket=bucket, Key="in/c.txt", UploadId=upload["UploadId"], PartNumber=1, Body=b"c" * 10
    )
    s3.complete_multipart_upload(
        Bucket=bucket, Key="in/c.txt", UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )  # fmt: skip
    s3.delete_object(Bucket=bucket, Key="in/a.txt")
    s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": "in/b.txt"}, {"Key": "x"}]})
    drain(srv.endpoint)
    got = [(r["eventName"], r["s3"]["object"]["key"]) for r in created.records()]
    assert got == [
        ("ObjectCreated:Put", "in/a.txt"),
        ("ObjectCreated:Copy", "in/b.txt"),
        ("ObjectCreated:CompleteMultipartUpload", "in/c.txt"),
    ]
    assert created.records()[2]["s3"]["object"]["size"] == 10
    removals = [(r["eventName"], r["s3"]["object"]["key"]) for r in removed.records()]
    assert removals[0] == ("ObjectRemoved:Delete", "in/a.txt")
    assert sorted(removals[1:]) == [
        ("ObjectRemoved:Delete", "in/b.txt"),
        ("ObjectRemoved:Delete", "x"),
    ]
    assert "size" not in removed.records()[0]["s3"]["object"]
    sequencers = [int(r["s3"]["object"]["sequencer"], 16) for r in created.records()]
    assert sequencers == sorted(sequencers)


def test_queue_notifications_start_with_a_test_event(srv: Server, s3: Any, sqs: Any) -> None:
    url, arn = new_queue(sqs)
    bucket = new_bucket(s3)
    notify(
        s3,
        bucket,
        QueueConfigurations=[{"Id": "q", "QueueArn": arn, "Events": ["s3:ObjectCreated:Put"]}],
    )
    s3.put_object(Bucket=bucket, Key="k", Body=b"v")
    drain(srv.endpoint)
    test, event = receive_all(sqs, url)
    assert test["Event"] == "s3:TestEvent" and test["Bucket"] == bucket
    assert test["Service"] == "Amazon S3"
    (record,) = event["Records"]
    assert record["eventName"] == "ObjectCreated:Put" and record["s3"]["configurationId"] == "q"


def test_a_failing_function_retries_then_its_dlq_and_on_failure_destination(
    srv: Server, s3: Any, lam: Any, sqs: Any, tmp_path: Path
) -> None:
    dlq_url, dlq_arn = new_queue(sqs)
    dest_url, dest_arn = new_queue(sqs)
    fn = Fn(lam, tmp_path, env={"FAIL": "1"}, DeadLetterConfig={"TargetArn": dlq_arn})
    lam.put_function_event_invoke_config(
        FunctionName=fn.name, MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": dest_arn}},
    )  # fmt: skip
    bucket = new_bucket(s3)
    notify(s3, bucket, LambdaFunctionConfigurations=[lambda_config(fn, ["s3:ObjectCreated:*"])])
    s3.put_object(Bucket=bucket, Key="bad", Body=b"x")
    drain(srv.endpoint)
    assert len(fn.records()) == 1
    advance(srv.endpoint, 60)
    drain(srv.endpoint)
    assert len(fn.records()) == 2  # the async queue retried the notification
    (dead,) = receive_all(sqs, dlq_url)
    assert dead["Records"][0]["s3"]["object"]["key"] == "bad"  # the event itself
    (failure,) = receive_all(sqs, dest_url)
    assert failure["requestContext"]["condition"] == "RetriesExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 2
    assert failure["requestPayload"] == {"Records": [fn.records()[0]]}
