"""Kinesis Data Streams through boto3 against a real server on a virtual clock."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from unittest.mock import ANY

import pytest
from botocore.exceptions import ClientError

from lambdalite import testing
from tests.acceptance.conftest import Server, start_server, stop_server

HASH_SPACE = 1 << 128
_names = (f"stream-{i}" for i in itertools.count())


@pytest.fixture(scope="module")
def srv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = start_server(tmp_path_factory.mktemp("kinesis"), "--no-example", "--clock", "virtual")
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def kin(srv: Server) -> Any:
    return srv.client("kinesis")


def advance(srv: Server, seconds: float) -> None:
    testing.advance(srv.endpoint, seconds)


def clock_now(srv: Server) -> float:
    return testing.clock_now(srv.endpoint)


def make_stream(kin: Any, shards: int | None = 1, **extra: Any) -> str:
    """A new ACTIVE stream; ``shards=None`` sends no ShardCount (an on-demand stream)."""
    name = next(_names)
    if shards is not None and "StreamModeDetails" not in extra:
        extra["ShardCount"] = shards
    kin.create_stream(StreamName=name, **extra)
    wait_active(kin, name)
    return name


def wait_active(kin: Any, name: str) -> None:
    kin.get_waiter("stream_exists").wait(
        StreamName=name, WaiterConfig={"Delay": 0.05, "MaxAttempts": 400}
    )


def aws_cli(srv: Server, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    command = ["aws", "--endpoint-url", srv.endpoint, "--output", "json", "kinesis", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=60)


def error_code(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    response = exc.value.response
    error = response["Error"]
    return error["Code"], response["ResponseMetadata"]["HTTPStatusCode"], error["Message"]


def iterator(kin: Any, name: str, shard: str = "shardId-000000000000", **kw: Any) -> str:
    kw.setdefault("ShardIteratorType", "TRIM_HORIZON")
    return str(kin.get_shard_iterator(StreamName=name, ShardId=shard, **kw)["ShardIterator"])


def read_all(kin: Any, it: str) -> list[dict[str, Any]]:
    return list(kin.get_records(ShardIterator=it)["Records"])


def expected_shard(partition_key: str, shards: int) -> int:
    key = int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")
    return min(key // (HASH_SPACE // shards), shards - 1)


# control plane -----------------------------------------------------------------------------


def test_create_describe_list_and_delete(kin: Any) -> None:
    name = next(_names)
    kin.create_stream(StreamName=name, ShardCount=3)
    first = kin.describe_stream(StreamName=name)["StreamDescription"]["StreamStatus"]
    assert first in ("CREATING", "ACTIVE")
    kin.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 0.05})
    desc = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamStatus"] == "ACTIVE"
    assert desc["StreamARN"] == f"arn:aws:kinesis:us-east-1:000000000000:stream/{name}"
    assert desc["RetentionPeriodHours"] == 24
    assert desc["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert [s["ShardId"] for s in desc["Shards"]] == [f"shardId-{i:012d}" for i in range(3)]
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in desc["Shards"]]  # fmt: skip
    assert ranges[0][0] == 0 and ranges[-1][1] == HASH_SPACE - 1
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(2))
    summary = kin.describe_stream_summary(StreamARN=desc["StreamARN"])
    assert summary["StreamDescriptionSummary"]["OpenShardCount"] == 3
    listed = kin.list_streams()
    assert name in listed["StreamNames"]
    assert {
        "StreamName": name,
        "StreamARN": desc["StreamARN"],
        "StreamStatus": "ACTIVE",
    }.items() <= [s for s in listed["StreamSummaries"] if s["StreamName"] == name][0].items()
    with pytest.raises(ClientError) as exc:
        kin.create_stream(StreamName=name, ShardCount=1)
    assert error_code(exc) == ("ResourceInUseException", 400)
    kin.delete_stream(StreamName=name)
    with pytest.raises(ClientError) as exc:
        kin.describe_stream(StreamName=name)
    assert error_code(exc) == ("ResourceNotFoundException", 400)
    assert f"Stream {name} under account 000000000000 not found." in str(exc.value)


def test_on_demand_stream_has_four_shards(kin: Any) -> None:
    name = make_stream(kin, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4


# capacity modes ----------------------------------------------------------------------------


def test_create_stream_without_shard_count_makes_an_on_demand_stream(kin: Any) -> None:
    name = make_stream(kin, shards=None)
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4 and summary["StreamStatus"] == "ACTIVE"
    assert summary["RetentionPeriodHours"] == 24
    desc = kin.describe_stream(StreamName=name)["StreamDescription"]
    assert desc["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert [s["ShardId"] for s in desc["Shards"]] == [f"shardId-{i:012d}" for i in range(4)]
    ranges = [(int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
              for s in desc["Shards"]]  # fmt: skip
    assert ranges[0][0] == 0 and ranges[-1][1] == HASH_SPACE - 1
    assert all(ranges[i][1] + 1 == ranges[i + 1][0] for i in range(3))
    listed = [s for s in kin.list_streams()["StreamSummaries"] if s["StreamName"] == name]
    assert listed[0]["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    out = kin.put_record(StreamName=name, Data=b"x", PartitionKey="solo")
    assert out["ShardId"] == f"shardId-{expected_shard('solo', 4):012d}"


def test_aws_cli_creates_an_on_demand_stream_without_shard_count(srv: Server, kin: Any) -> None:
    name = next(_names)
    created = aws_cli(srv, "create-stream", "--stream-name", name)
    assert created.returncode == 0, created.stderr
    wait_active(kin, name)
    described = aws_cli(srv, "describe-stream-summary", "--stream-name", name)
    assert described.returncode == 0, described.stderr
    summary = json.loads(described.stdout)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
    refused = aws_cli(
        srv, "create-stream", "--stream-name", next(_names),
        "--stream-mode-details", "StreamMode=PROVISIONED",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "(InvalidArgumentException)" in refused.stderr
    assert "ShardCount is required for PROVISIONED stream mode." in refused.stderr
    scaled = aws_cli(
        srv, "update-shard-count", "--stream-name", name,
        "--target-shard-count", "8", "--scaling-type", "UNIFORM_SCALING",
    )  # fmt: skip
    assert scaled.returncode != 0 and "(ValidationException)" in scaled.stderr
    assert f"Stream {name} under account 000000000000 is in On-Demand mode." in scaled.stderr


def test_create_stream_refuses_a_shard_count_that_does_not_fit_the_mode(kin: Any) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"StreamModeDetails": {"StreamMode": "PROVISIONED"}},
         "ShardCount is required for PROVISIONED stream mode."),
        ({"StreamModeDetails": {"StreamMode": "ON_DEMAND"}, "ShardCount": 2},
         "ShardCount cannot be set while creating stream in On-Demand StreamMode"),
    ]  # fmt: skip
    for params, message in cases:
        name = next(_names)
        with pytest.raises(ClientError) as exc:
            kin.create_stream(StreamName=name, **params)
        assert error_of(exc) == ("InvalidArgumentException", 400, message)
        with pytest.raises(ClientError) as exc:
            kin.describe_stream_summary(StreamName=name)  # nothing was created
        assert error_code(exc) == ("ResourceNotFoundException", 400)
    make_stream(kin, shards=2, StreamModeDetails={"StreamMode": "PROVISIONED"}, ShardCount=2)


def test_update_shard_count_is_refused_on_an_on_demand_stream(kin: Any) -> None:
    name = make_stream(kin, shards=None)
    with pytest.raises(ClientError) as exc:
        kin.update_shard_count(StreamName=name, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert error_of(exc) == (
        "ValidationException",
        400,
        f"Request is invalid. Stream {name} under account 000000000000 is in On-Demand mode.",
    )
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 4
    with pytest.raises(ClientError) as exc:
        kin.update_shard_count(
            StreamName="missing", TargetShardCount=1, ScalingType="UNIFORM_SCALING"
        )
    assert error_code(exc) == ("ResourceNotFoundException", 400)


def test_a_mode_switch_keeps_the_shards_and_decides_what_update_shard_count_does(
    kin: Any,
) -> None:
    name = make_stream(kin, shards=None)
    arn = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    before = kin.describe_limits()
    kin.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    summary = kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert summary["OpenShardCount"] == 4
    after = kin.describe_limits()
    assert after["OnDemandStreamCount"] == before["OnDemandStreamCount"] - 1
    assert after["OpenShardCount"] == before["OpenShardCount"] + 4
    same = kin.update_shard_count(
        StreamARN=arn, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )  # a provisioned stream takes it (resharding to another count is not modelled)
    assert (same["CurrentShardCount"], same["TargetShardCount"]) == (4, 4)
    assert same["StreamName"] == name and same["StreamARN"] == arn
    with pytest.raises(ClientError) as exc:
        kin.update_shard_count(StreamARN=arn, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    code, status, message = error_of(exc)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "not supported by lambdalite" in message
    kin.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as exc:
        kin.update_shard_count(StreamARN=arn, TargetShardCount=4, ScalingType="UNIFORM_SCALING")
    assert error_code(exc) == ("ValidationException", 400)
    assert kin.describe_limits() == {**before, "ResponseMetadata": ANY}


def test_on_demand_streams_are_limited_to_fifty(tmp_path: Any) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        kin = server.client("kinesis")
        limits = kin.describe_limits()
        assert limits["OnDemandStreamCountLimit"] == 50
        assert (limits["OnDemandStreamCount"], limits["OpenShardCount"]) == (0, 0)
        names = [f"od-{i}" for i in range(50)]
        for name in names:
            kin.create_stream(StreamName=name)
        provisioned = make_stream(kin, shards=3)  # provisioned streams are not counted
        limits = kin.describe_limits()
        assert (limits["OnDemandStreamCount"], limits["OpenShardCount"]) == (50, 3)
        with pytest.raises(ClientError) as exc:
            kin.create_stream(StreamName="one-too-many")
        code, status, message = error_of(exc)
        assert (code, status) == ("LimitExceededException", 400)
        assert "on-demand stream limit" in message and "is 50" in message
        wait_active(kin, names[0])
        arn = kin.describe_stream_summary(StreamName=provisioned)["StreamDescriptionSummary"][
            "StreamARN"
        ]
        with pytest.raises(ClientError) as exc:  # a switch to on-demand counts too
            kin.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "ON_DEMAND"})
        assert error_code(exc) == ("LimitExceededException", 400)
        kin.delete_stream(StreamName=names[0])
        kin.create_stream(StreamName="one-too-many")  # a place came free
        assert kin.describe_limits()["OnDemandStreamCount"] == 50
    finally:
        stop_server(server)


def test_list_streams_and_shards_paginate(kin: Any) -> None:
    names = [make_stream(kin) for _ in range(3)]
    page = kin.list_streams(Limit=1, ExclusiveStartStreamName=names[0])
    assert page["StreamNames"] == [names[1]] and page["HasMoreStreams"] is True
    page = kin.list_streams(NextToken=page["NextToken"], Limit=1)
    assert page["StreamNames"] == [names[2]]
    name = make_stream(kin, shards=5)
    page = kin.list_shards(StreamName=name, MaxResults=2)
    got = [s["ShardId"] for s in page["Shards"]]
    while "NextToken" in page:
        page = kin.list_shards(NextToken=page["NextToken"], MaxResults=2)
        got += [s["ShardId"] for s in page["Shards"]]
    assert got == [f"shardId-{i:012d}" for i in range(5)]
    after = kin.list_shards(StreamName=name, ExclusiveStartShardId="shardId-000000000002")
    assert [s["ShardId"] for s in after["Shards"]] == [
        "shardId-000000000003",
        "shardId-000000000004",
    ]
    with pytest.raises(ClientError) as exc:
        kin.list_shards(StreamName=name, NextToken=page.get("NextToken", "x") or "x")
    assert error_code(exc)[0] == "InvalidArgumentException"


def test_retention_period_changes(kin: Any) -> None:
    name = make_stream(kin)
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    assert (
        kin.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
            "RetentionPeriodHours"
        ]
        == 48
    )
    kin.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    for call, hours in [
        (kin.increase_stream_retention_period, 8761),
        (kin.decrease_stream_retention_period, 23),
        (kin.decrease_stream_retention_period, 48),
    ]:
        with pytest.raises(ClientError) as exc:
            call(StreamName=name, RetentionPeriodHours=hours)
        assert error_code(exc) == ("InvalidArgumentException", 400)
    kin.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8760)


# write path --------------------------------------------------------------------------------


def test_partition_keys_hash_onto_the_md5_shard(kin: Any) -> None:
    name = make_stream(kin, shards=4)
    keys = [f"key-{i}" for i in range(40)]
    out = kin.put_records(
        StreamName=name, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys]
    )
    assert out["FailedRecordCount"] == 0
    for key, result in zip(keys, out["Records"], strict=True):
        assert result["ShardId"] == f"shardId-{expected_shard(key, 4):012d}"
    single = kin.put_record(StreamName=name, Data=b"x", PartitionKey="solo")
    assert single["ShardId"] == f"shardId-{expected_shard('solo', 4):012d}"
    for shard in range(4):
        records = read_all(kin, iterator(kin, name, f"shardId-{shard:012d}"))
        assert all(expected_shard(r["PartitionKey"], 4) == shard for r in records)


def test_explicit_hash_key_overrides_the_partition_key(kin: Any) -> None:
    name = make_stream(kin, shards=4)
    out = kin.put_record(
        StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey=str(HASH_SPACE - 1)
    )
    assert out["ShardId"] == "shardId-000000000003"
    out = kin.put_records(
        StreamName=name,
        Records=[{"Data": b"y", "PartitionKey": "a", "ExplicitHashKey": str(HASH_SPACE // 4)}],
    )
    assert out["Records"][0]["ShardId"] == "shardId-000000000001"


def test_invalid_explicit_hash_key_rejects_the_whole_batch(kin: Any) -> None:
    # AWS reports only throughput and internal failures per record; bad input fails the call.
    name = make_stream(kin)
    with pytest.raises(ClientError) as exc:
        kin.put_records(
            StreamName=name,
            Records=[
                {"Data": b"ok", "PartitionKey": "a"},
                {"Data": b"bad", "PartitionKey": "b", "ExplicitHashKey": str(HASH_SPACE)},
            ],
        )
    assert error_code(exc) == ("InvalidArgumentException", 400)
    assert read_all(kin, iterator(kin, name)) == []


def test_sequence_numbers_increase_per_shard_in_order(kin: Any) -> None:
    name = make_stream(kin, shards=2)
    sequences: dict[str, list[int]] = {}
    for i in range(10):
        out = kin.put_record(StreamName=name, Data=b"%d" % i, PartitionKey=f"k{i % 3}")
        sequences.setdefault(out["ShardId"], []).append(int(out["SequenceNumber"]))
    batch = kin.put_records(
        StreamName=name,
        Records=[{"Data": b"b%d" % i, "PartitionKey": f"k{i % 3}"} for i in range(10)],
    )
    for r in batch["Records"]:
        sequences.setdefault(r["ShardId"], []).append(int(r["SequenceNumber"]))
    for shard, seqs in sequences.items():
        assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
        records = read_all(kin, iterator(kin, name, shard))
        assert [int(r["SequenceNumber"]) for r in records] == seqs


# read path ---------------------------------------------------------------------------------


def test_every_iterator_type(srv: Server, kin: Any) -> None:
    name = make_stream(kin)
    seqs = [kin.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="p")["SequenceNumber"]
            for i in range(3)]  # fmt: skip
    latest = iterator(kin, name, ShardIteratorType="LATEST")
    advance(srv, 10)
    later = clock_now(srv)
    seqs.append(kin.put_record(StreamName=name, Data=b"3", PartitionKey="p")["SequenceNumber"])

    def data(it: str) -> list[bytes]:
        return [r["Data"] for r in read_all(kin, it)]

    assert data(iterator(kin, name)) == [b"0", b"1", b"2", b"3"]
    assert data(latest) == [b"3"]
    at = iterator(kin, name, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1])
    assert data(at) == [b"1", b"2", b"3"]
    after = iterator(
        kin, name, ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]
    )
    assert data(after) == [b"2", b"3"]
    ts = datetime.fromtimestamp(later, tz=UTC)
    assert data(iterator(kin, name, ShardIteratorType="AT_TIMESTAMP", Timestamp=ts)) == [b"3"]


def test_limit_and_next_iterator_walk_the_shard(kin: Any) -> None:
    name = make_stream(kin)
    kin.put_records(
        StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "p"} for i in range(7)]
    )
    it, seen = iterator(kin, name), []
    for _ in range(5):
        page = kin.get_records(ShardIterator=it, Limit=3)
        seen += [r["Data"] for r in page["Records"]]
        it = page["NextShardIterator"]
    assert seen == [b"%d" % i for i in range(7)]
    kin.put_record(StreamName=name, Data=b"new", PartitionKey="p")
    assert [r["Data"] for r in read_all(kin, it)] == [b"new"]


def test_millis_behind_latest(srv: Server, kin: Any) -> None:
    name = make_stream(kin)
    kin.put_records(
        StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "p"} for i in range(3)]
    )
    advance(srv, 10)
    page = kin.get_records(ShardIterator=iterator(kin, name), Limit=1)
    assert 10_000 <= page["MillisBehindLatest"] < 11_000
    page = kin.get_records(ShardIterator=page["NextShardIterator"])
    assert len(page["Records"]) == 2 and page["MillisBehindLatest"] == 0
    arrival = page["Records"][0]["ApproximateArrivalTimestamp"].timestamp()
    assert abs(clock_now(srv) - 10 - arrival) < 1


def test_iterators_expire_after_five_minutes(srv: Server, kin: Any) -> None:
    name = make_stream(kin)
    kin.put_record(StreamName=name, Data=b"x", PartitionKey="p")
    old = iterator(kin, name)
    advance(srv, 299)
    assert len(read_all(kin, old)) == 1
    advance(srv, 2)
    with pytest.raises(ClientError) as exc:
        kin.get_records(ShardIterator=old)
    assert error_code(exc) == ("ExpiredIteratorException", 400)
    assert "tolerated delay of 300000 milliseconds" in str(exc.value)
    assert len(read_all(kin, iterator(kin, name))) == 1
    with pytest.raises(ClientError) as exc:
        kin.get_records(ShardIterator="not-an-iterator")
    assert error_code(exc) == ("InvalidArgumentException", 400)


def test_retention_drops_old_records(srv: Server, kin: Any) -> None:
    name = make_stream(kin)
    kin.put_record(StreamName=name, Data=b"old", PartitionKey="p")
    advance(srv, 23 * 3600)
    kin.put_record(StreamName=name, Data=b"young", PartitionKey="p")
    assert [r["Data"] for r in read_all(kin, iterator(kin, name))] == [b"old", b"young"]
    advance(srv, 2 * 3600)
    assert [r["Data"] for r in read_all(kin, iterator(kin, name))] == [b"young"]
    testing.drain(srv.endpoint)  # the trimmer's pass, due at the advance, is done
    db = sqlite3.connect(srv.data_dir / "lambdalite.sqlite3")
    try:
        rows = db.execute(
            "SELECT data FROM kinesis_records WHERE stream_id IN "
            "(SELECT id FROM kinesis_streams WHERE name = ?)",
            (name,),
        ).fetchall()
    finally:
        db.close()
    assert [bytes(r[0]) for r in rows] == [b"young"]


# errors ------------------------------------------------------------------------------------


def test_errors(kin: Any) -> None:
    name = make_stream(kin, shards=2)
    seq = kin.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey="0")[
        "SequenceNumber"
    ]
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("put_record", {"StreamName": "missing", "Data": b"x", "PartitionKey": "a"},
         "ResourceNotFoundException"),
        ("put_record", {"StreamName": name, "Data": b"x", "PartitionKey": "a" * 257},
         "ValidationException"),
        ("put_record", {"StreamName": name, "Data": b"x" * (1024 * 1024), "PartitionKey": "a"},
         "InvalidArgumentException"),
        ("put_records", {"StreamName": name,
                         "Records": [{"Data": b"x", "PartitionKey": "a"}] * 501},
         "ValidationException"),
        ("get_shard_iterator", {"StreamName": name, "ShardId": "shardId-000000000009",
                                "ShardIteratorType": "LATEST"}, "ResourceNotFoundException"),
        ("get_shard_iterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                "ShardIteratorType": "AT_SEQUENCE_NUMBER"},
         "InvalidArgumentException"),
        ("get_shard_iterator", {"StreamName": name, "ShardId": "shardId-000000000001",
                                "ShardIteratorType": "AT_SEQUENCE_NUMBER",
                                "StartingSequenceNumber": seq}, "InvalidArgumentException"),
        ("get_shard_iterator", {"StreamName": name, "ShardId": "shardId-000000000000",
                                "ShardIteratorType": "AT_TIMESTAMP"}, "InvalidArgumentException"),
        ("create_stream", {"StreamName": "too-big", "ShardCount": 501}, "LimitExceededException"),
        ("create_stream", {"StreamName": "x", "ShardCount": 1,
                           "StreamModeDetails": {"StreamMode": "ON_DEMAND"}},
         "InvalidArgumentException"),
        ("delete_stream", {"StreamName": "missing"}, "ResourceNotFoundException"),
        ("increase_stream_retention_period", {"StreamName": "missing",
                                              "RetentionPeriodHours": 48},
         "ResourceNotFoundException"),
    ]  # fmt: skip
    for operation, params, code in cases:
        with pytest.raises(ClientError) as exc:
            getattr(kin, operation)(**params)
        assert error_code(exc) == (code, 400), operation
    kin.list_streams()  # still serving


# durability --------------------------------------------------------------------------------


def test_records_and_sequence_order_survive_kill_9(tmp_path: Any) -> None:
    server = start_server(tmp_path, "--no-example", "--clock", "virtual")
    try:
        kin = server.client("kinesis")
        name = make_stream(kin, shards=2)
        acked = [
            kin.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="p")["SequenceNumber"]
            for i in range(5)
        ]
        batch = kin.put_records(
            StreamName=name, Records=[{"Data": b"b%d" % i, "PartitionKey": "p"} for i in range(50)]
        )
        acked += [r["SequenceNumber"] for r in batch["Records"]]
        shard = batch["Records"][0]["ShardId"]
        server.process.kill()
        server.process.wait()
        server = start_server(tmp_path, "--no-example", "--clock", "virtual")
        kin = server.client("kinesis")
        records = read_all(kin, iterator(kin, name, shard))
        assert [r["SequenceNumber"] for r in records] == acked
        after = kin.put_record(StreamName=name, Data=b"after", PartitionKey="p")
        assert int(after["SequenceNumber"]) > int(acked[-1])
    finally:
        stop_server(server)
