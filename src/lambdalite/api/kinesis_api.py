"""Amazon Kinesis Data Streams on the wire: json 1.1, ``X-Amz-Target: Kinesis_20131202.*``.

botocore's kinesis model lists only ``json`` in ``protocols`` (checked on botocore 1.43),
so boto3 and the aws CLI send JSON with base64 ``Data``. The AWS SDK for Java sends CBOR
(``application/x-amz-cbor-1.1``) unless ``AWS_CBOR_DISABLE``/``aws.cborEnabled=false``;
that content type is not served. Params arrive decoded and checked against the model;
handlers map them onto ``services/kinesis`` and shape the output.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lambdalite.api.dispatch import Operation, ServiceSpec
from lambdalite.platform import Platform
from lambdalite.services.kinesis import KinesisService, Stream
from lambdalite.services.kinesis.errors import InvalidArgumentException
from lambdalite.services.kinesis.iterators import decode_list_token, encode_list_token
from lambdalite.services.kinesis.model import NewRecord, Shard, StreamMode

_DEFAULT_LIST_STREAMS = 100
_DEFAULT_DESCRIBE_SHARDS = 100
_DEFAULT_LIST_SHARDS = 1000


def _svc(p: Platform) -> KinesisService:
    return p.kinesis


def _name(p: Platform, params: dict[str, Any]) -> str:
    return _svc(p).name_of(params.get("StreamName"), params.get("StreamARN"))


def _mode(stream: Stream) -> dict[str, Any]:
    return {"StreamMode": stream.mode.value}


def _shard(stream: Stream, shard: Shard) -> dict[str, Any]:
    return {
        "ShardId": shard.shard_id,
        "HashKeyRange": {
            "StartingHashKey": str(shard.starting_hash),
            "EndingHashKey": str(shard.ending_hash),
        },
        "SequenceNumberRange": {"StartingSequenceNumber": stream.starting_sequence(shard)},
    }


async def create_stream(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    details = params.get("StreamModeDetails")
    mode = None if details is None else StreamMode(details["StreamMode"])
    await _svc(p).create_stream(
        params["StreamName"], params.get("ShardCount"), mode, params.get("MaxRecordSizeInKiB")
    )
    return {}


async def delete_stream(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    await _svc(p).delete_stream(_name(p, params))
    return {}


async def list_streams(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    streams = await _svc(p).streams()
    start = params.get("ExclusiveStartStreamName")
    token = params.get("NextToken")
    if token is not None:
        start, _ = decode_list_token(token, p.clock.now())
    if start is not None:
        streams = [s for s in streams if s.name > start]
    limit = params.get("Limit", _DEFAULT_LIST_STREAMS)
    page, more = streams[:limit], len(streams) > limit
    out: dict[str, Any] = {
        "StreamNames": [s.name for s in page],
        "HasMoreStreams": more,
        "StreamSummaries": [
            {
                "StreamName": s.name,
                "StreamARN": s.arn,
                "StreamStatus": s.status.value,
                "StreamModeDetails": _mode(s),
                "StreamCreationTimestamp": s.created_at,
            }
            for s in page
        ],
    }
    if more:
        out["NextToken"] = encode_list_token(page[-1].name, 0, p.clock.now())
    return out


async def describe_stream(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    stream = await _svc(p).stream(_name(p, params))
    shards = _shards_after(stream, params.get("ExclusiveStartShardId"))
    limit = params.get("Limit", _DEFAULT_DESCRIBE_SHARDS)
    return {
        "StreamDescription": {
            **_summary(stream),
            "Shards": [_shard(stream, s) for s in shards[:limit]],
            "HasMoreShards": len(shards) > limit,
        }
    }


def _summary(stream: Stream) -> dict[str, Any]:
    return {
        "StreamName": stream.name,
        "StreamARN": stream.arn,
        "StreamStatus": stream.status.value,
        "StreamModeDetails": _mode(stream),
        "RetentionPeriodHours": stream.retention_hours,
        "StreamCreationTimestamp": stream.created_at,
        "EnhancedMonitoring": [{"ShardLevelMetrics": []}],
        "EncryptionType": "NONE",
    }


def _shards_after(stream: Stream, shard_id: str | None) -> list[Shard]:
    if shard_id is None:
        return list(stream.shards)
    return [s for s in stream.shards if s.shard_id > shard_id]


async def describe_stream_summary(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    stream = await _svc(p).stream(_name(p, params))
    summary = {
        **_summary(stream),
        "OpenShardCount": len(stream.shards),
        "ConsumerCount": 0,
        "MaxRecordSizeInKiB": stream.max_record_kib,
    }
    return {"StreamDescriptionSummary": summary}


async def list_shards(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    token = params.get("NextToken")
    if token is not None:
        if params.get("StreamName") is not None or params.get("StreamARN") is not None:
            raise InvalidArgumentException("NextToken and StreamName cannot be provided together.")
        name, after_index = decode_list_token(token, p.clock.now())
        stream = await _svc(p).stream(name)
        shards = [s for s in stream.shards if s.index > after_index]
    else:
        stream = await _svc(p).stream(_name(p, params))
        shards = _shards_after(stream, params.get("ExclusiveStartShardId"))
        shard_filter = params.get("ShardFilter") or {}
        if shard_filter.get("Type") == "AFTER_SHARD_ID":
            shards = _shards_after(stream, shard_filter.get("ShardId"))
    limit = params.get("MaxResults", _DEFAULT_LIST_SHARDS)
    page = shards[:limit]
    out: dict[str, Any] = {"Shards": [_shard(stream, s) for s in page]}
    if len(shards) > limit:
        out["NextToken"] = encode_list_token(stream.name, page[-1].index, p.clock.now())
    return out


async def put_record(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    entry = NewRecord(params["Data"], params["PartitionKey"], params.get("ExplicitHashKey"))
    [result] = await _svc(p).put_records(_name(p, params), [entry], batch=False)
    return {
        "ShardId": result.shard_id,
        "SequenceNumber": result.sequence_number,
        "EncryptionType": "NONE",
    }


async def put_records(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    entries = [
        NewRecord(r["Data"], r["PartitionKey"], r.get("ExplicitHashKey")) for r in params["Records"]
    ]
    results = await _svc(p).put_records(_name(p, params), entries, batch=True)
    return {
        "FailedRecordCount": 0,
        "Records": [{"SequenceNumber": r.sequence_number, "ShardId": r.shard_id} for r in results],
        "EncryptionType": "NONE",
    }


async def get_shard_iterator(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    timestamp = params.get("Timestamp")
    iterator = await _svc(p).reader.get_shard_iterator(
        _name(p, params),
        params["ShardId"],
        params["ShardIteratorType"],
        params.get("StartingSequenceNumber"),
        timestamp.timestamp() if isinstance(timestamp, datetime) else None,
    )
    return {"ShardIterator": iterator}


async def get_records(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    page = await _svc(p).reader.get_records(params["ShardIterator"], params.get("Limit", 10_000))
    return {
        "Records": [
            {
                "SequenceNumber": r.sequence_number,
                "ApproximateArrivalTimestamp": r.approximate_arrival_timestamp,
                "Data": r.data,
                "PartitionKey": r.partition_key,
            }
            for r in page.records
        ],
        "NextShardIterator": page.next_iterator,
        "MillisBehindLatest": page.millis_behind_latest,
    }


async def increase_retention(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    hours = params["RetentionPeriodHours"]
    await _svc(p).set_retention(_name(p, params), hours, increase=True)
    return {}


async def decrease_retention(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    hours = params["RetentionPeriodHours"]
    await _svc(p).set_retention(_name(p, params), hours, increase=False)
    return {}


async def update_shard_count(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    name = _name(p, params)
    target = params["TargetShardCount"]
    current = await _svc(p).capacity.update_shard_count(name, target)
    return {
        "StreamName": name,
        "StreamARN": _svc(p).catalog.arn(name),
        "CurrentShardCount": current,
        "TargetShardCount": target,
    }


async def update_stream_mode(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    mode = StreamMode(params["StreamModeDetails"]["StreamMode"])
    await _svc(p).capacity.update_stream_mode(params["StreamARN"], mode)
    return {}


async def describe_limits(p: Platform, params: dict[str, Any]) -> dict[str, Any]:
    limits = await _svc(p).capacity.limits()
    return {
        "ShardLimit": limits.shard_limit,
        "OpenShardCount": limits.open_shards,
        "OnDemandStreamCount": limits.on_demand_streams,
        "OnDemandStreamCountLimit": limits.on_demand_stream_limit,
    }


OPERATIONS: dict[str, Operation] = {
    "CreateStream": create_stream,
    "DeleteStream": delete_stream,
    "ListStreams": list_streams,
    "DescribeStream": describe_stream,
    "DescribeStreamSummary": describe_stream_summary,
    "ListShards": list_shards,
    "PutRecord": put_record,
    "PutRecords": put_records,
    "GetShardIterator": get_shard_iterator,
    "GetRecords": get_records,
    "IncreaseStreamRetentionPeriod": increase_retention,
    "DecreaseStreamRetentionPeriod": decrease_retention,
    "UpdateShardCount": update_shard_count,
    "UpdateStreamMode": update_stream_mode,
    "DescribeLimits": describe_limits,
}
SERVICE = ServiceSpec("kinesis", "json", OPERATIONS)
