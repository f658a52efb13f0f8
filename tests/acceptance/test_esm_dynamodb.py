"""DynamoDB (embedded moto) and DynamoDB Streams event source mappings against a real
server on the virtual clock: table CRUD, the stream event shape for INSERT/MODIFY/REMOVE in
order, AWS's validation for stream ARNs, filters, and bisection down to a poison record
with its DDBStreamBatchInfo on-failure record."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lambdalite.testing import clock_now, drain
from tests.acceptance.conftest import Server, create, start_server, stop_server

# The server imports moto, not the tests: skip only when the services extra is missing.
if importlib.util.find_spec("moto") is None:
    pytest.skip("needs lambdalite[services]", allow_module_level=True)

REGION = "us-east-1"

# Logs each event; fails while an item whose "v" is "poison" is in its batch.
HANDLER = """
import json, os

def handler(event, context):
    with open(os.environ["LOG"], "a") as f:
        f.write(json.dumps(event) + "\\n")
    for r in event["Records"]:
        if r["dynamodb"].get("NewImage", {}).get("v", {}).get("S") == "poison":
            raise ValueError("poison")
    return {"ok": len(event["Records"])}
"""

_names = iter(range(1_000_000))


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("ddb"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def lam(srv: Server) -> Any:
    return srv.client("lambda")


@pytest.fixture(scope="module")
def ddb(srv: Server) -> Any:
    return srv.client("dynamodb")


@pytest.fixture(scope="module")
def streams(srv: Server) -> Any:
    return srv.client("dynamodbstreams")


class Fn:
    def __init__(self, lam: Any, tmp: Path) -> None:
        self.log = tmp / f"log-{next(_names)}.jsonl"
        self.name = create(lam, HANDLER, Environment={"Variables": {"LOG": str(self.log)}})

    def events(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def ids(self) -> list[list[str]]:
        return [[r["dynamodb"]["Keys"]["id"]["S"] for r in e["Records"]] for e in self.events()]


def new_table(ddb: Any, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = f"t-{os.getpid()}-{next(_names)}"
    out = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )
    return name, str(out["TableDescription"]["LatestStreamArn"])


def mapping(lam: Any, fn: Fn, arn: str, **config: Any) -> str:
    config.setdefault("StartingPosition", "TRIM_HORIZON")
    out = lam.create_event_source_mapping(FunctionName=fn.name, EventSourceArn=arn, **config)
    return str(out["UUID"])


def stream_records(streams: Any, arn: str) -> list[dict[str, Any]]:
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]
    it = streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    return list(streams.get_records(ShardIterator=it)["Records"])


def test_table_crud(ddb: Any) -> None:
    name, _ = new_table(ddb)
    ddb.put_item(TableName=name, Item={"id": {"S": "a"}, "n": {"N": "1"}})
    ddb.update_item(
        TableName=name, Key={"id": {"S": "a"}}, UpdateExpression="SET n = n + :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )  # fmt: skip
    assert ddb.get_item(TableName=name, Key={"id": {"S": "a"}})["Item"]["n"] == {"N": "2"}
    assert ddb.scan(TableName=name)["Count"] == 1
    ddb.delete_item(TableName=name, Key={"id": {"S": "a"}})
    assert "Item" not in ddb.get_item(TableName=name, Key={"id": {"S": "a"}})
    with pytest.raises(ddb.exceptions.ResourceNotFoundException):
        ddb.get_item(TableName="no-such-table", Key={"id": {"S": "a"}})
    assert name in ddb.list_tables()["TableNames"]


def test_insert_modify_remove_in_order_with_the_aws_shape(
    srv: Server, lam: Any, ddb: Any, streams: Any, tmp_path: Path
) -> None:
    fn = Fn(lam, tmp_path)
    name, arn = new_table(ddb)
    written_at = clock_now(srv.endpoint)
    ddb.put_item(TableName=name, Item={"id": {"S": "k1"}, "v": {"S": "one"}})
    ddb.put_item(TableName=name, Item={"id": {"S": "k1"}, "v": {"S": "two"}})
    ddb.delete_item(TableName=name, Key={"id": {"S": "k1"}})
    uuid = mapping(lam, fn, arn)  # after the writes: one batch of all three
    drain(srv.endpoint)
    stored = stream_records(streams, arn)
    images: list[dict[str, Any]] = [
        {"NewImage": {"id": {"S": "k1"}, "v": {"S": "one"}}},
        {
            "NewImage": {"id": {"S": "k1"}, "v": {"S": "two"}},
            "OldImage": {"id": {"S": "k1"}, "v": {"S": "one"}},
        },
        {"OldImage": {"id": {"S": "k1"}, "v": {"S": "two"}}},
    ]
    expected = [
        {
            "eventID": s["eventID"],
            "eventName": name_,
            "eventVersion": "1.1",
            "eventSource": "aws:dynamodb",
            "awsRegion": REGION,
            "dynamodb": {
                "ApproximateCreationDateTime": float(int(written_at)),
                "Keys": {"id": {"S": "k1"}},
                **image,
                "SequenceNumber": s["dynamodb"]["SequenceNumber"],
                "SizeBytes": len(
                    json.dumps({"Keys": {"id": {"S": "k1"}}, **image}, separators=(",", ":"))
                ),
                "StreamViewType": "NEW_AND_OLD_IMAGES",
            },
            "eventSourceARN": arn,
        }
        for s, name_, image in zip(stored, ["INSERT", "MODIFY", "REMOVE"], images, strict=True)
    ]
    (event,) = fn.events()
    assert list(event) == ["Records"]
    assert event["Records"] == expected
    assert [list(r) for r in event["Records"]] == [list(e) for e in expected]
    seqs = [int(r["dynamodb"]["SequenceNumber"]) for r in event["Records"]]
    assert seqs == sorted(seqs)
    assert lam.get_event_source_mapping(UUID=uuid)["LastProcessingResult"] == "OK"


def test_keys_only_and_batch_write_and_filters(
    srv: Server, lam: Any, ddb: Any, tmp_path: Path
) -> None:
    everything, removes = Fn(lam, tmp_path), Fn(lam, tmp_path)
    name, arn = new_table(ddb, view="KEYS_ONLY")
    pattern = json.dumps({"eventName": ["REMOVE"]})
    ddb.batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": {"id": {"S": f"b{i}"}}}} for i in range(3)]}
    )
    ddb.transact_write_items(
        TransactItems=[{"Delete": {"TableName": name, "Key": {"id": {"S": "b1"}}}}]
    )
    mapping(lam, everything, arn)
    mapping(lam, removes, arn, FilterCriteria={"Filters": [{"Pattern": pattern}]})
    drain(srv.endpoint)
    records = [r for e in everything.events() for r in e["Records"]]
    assert [r["eventName"] for r in records] == ["INSERT"] * 3 + ["REMOVE"]
    assert all(set(r["dynamodb"]) == {
        "ApproximateCreationDateTime", "Keys", "SequenceNumber", "SizeBytes", "StreamViewType"
    } for r in records)  # fmt: skip
    assert removes.ids() == [["b1"]]


def test_mapping_validation(lam: Any, ddb: Any, tmp_path: Path) -> None:
    fn = Fn(lam, tmp_path)
    _, arn = new_table(ddb)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
        mapping(lam, fn, arn, StartingPosition="AT_TIMESTAMP", StartingPositionTimestamp=0)
    assert err.value.response["Error"]["Message"] == (
        f"Unsupported starting position for arn type: {arn}"
    )
    gone = arn.replace("/stream/", "-gone/stream/")
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as err:
        mapping(lam, fn, gone)
    assert err.value.response["Error"]["Message"] == f"Stream not found: {gone}"
    uuid = mapping(lam, fn, arn)
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["EventSourceArn"] == arn and got["BatchSize"] == 100
    assert got["DestinationConfig"] == {"OnFailure": {}}
    with pytest.raises(lam.exceptions.ResourceConflictException):
        mapping(lam, fn, arn)


def test_bisect_isolates_a_poison_item_then_on_failure(
    srv: Server, lam: Any, ddb: Any, streams: Any, tmp_path: Path
) -> None:
    sqs = srv.client("sqs")
    url = sqs.create_queue(QueueName=f"ddbq-{os.getpid()}-{next(_names)}")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]
    fn = Fn(lam, tmp_path)
    name, arn = new_table(ddb)
    values = [str(i) for i in range(8)]
    values[5] = "poison"
    for i, value in enumerate(values):
        ddb.put_item(TableName=name, Item={"id": {"S": f"i{i}"}, "v": {"S": value}})
    mapping(
        lam, fn, arn, BatchSize=8, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": qarn["QueueArn"]}},
    )  # fmt: skip
    drain(srv.endpoint)
    poisoned = [ids for ids in fn.ids() if "i5" in ids]
    assert [len(ids) for ids in poisoned] == [8, 4, 2, 1]
    delivered = sum((ids for ids in fn.ids() if "i5" not in ids), [])
    assert delivered == [f"i{i}" for i in range(8) if i != 5]  # each once, in order
    (message,) = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    record = json.loads(message["Body"])
    info = record["DDBStreamBatchInfo"]
    poison_seq = stream_records(streams, arn)[5]["dynamodb"]["SequenceNumber"]
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == poison_seq
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert "." not in info["approximateArrivalOfFirstRecord"]  # no milliseconds for DynamoDB
